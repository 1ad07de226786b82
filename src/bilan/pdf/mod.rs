//! The bilan as a paginated PDF, made on the server with genpdf: a cover, the synthesis, then
//! each objective from a new page, with a running header and « page n / N ».
//!
//! Fonts are DejaVu Sans, read from the system (Debian's `fonts-dejavu-core`, installed by
//! `.ci/run`): genpdf embeds them, so every accent and the French spaces print.

mod elements;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::OnceLock;

use genpdf::elements::{Break, PageBreak, Paragraph};
use genpdf::fonts::{FontData, FontFamily};
use genpdf::style::Style;
use genpdf::{Element, Margins};

use super::{Bilan, BilanIndicator, Edition, value};
use elements::{ChartBlock, MUTED, Mark, Pages, StatusBars, Table};

/// Where DejaVu Sans is looked for (Debian's path first).
const FONT_DIRS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
];

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("fonts: {0}")]
    Fonts(String),
    #[error("pdf: {0}")]
    Render(#[from] genpdf::error::Error),
}

fn fonts() -> Result<FontFamily<FontData>, PdfError> {
    static FONTS: OnceLock<Result<FontFamily<FontData>, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let dir = FONT_DIRS
                .iter()
                .find(|d| std::path::Path::new(d).join("DejaVuSans.ttf").exists())
                .ok_or_else(|| format!("DejaVuSans.ttf in none of {FONT_DIRS:?}"))?;
            let load = |file: &str, builtin| {
                let data = std::fs::read(std::path::Path::new(dir).join(file))
                    .map_err(|e| format!("{file}: {e}"))?;
                FontData::new(data, builtin).map_err(|e| format!("{file}: {e}"))
            };
            // The document has no italics: PDF's built-in obliques stand in for them, so that
            // only `fonts-dejavu-core` is needed and no unused face is embedded.
            use printpdf::BuiltinFont::{HelveticaBoldOblique, HelveticaOblique};
            Ok(FontFamily {
                regular: load("DejaVuSans.ttf", None)?,
                bold: load("DejaVuSans-Bold.ttf", None)?,
                italic: load("DejaVuSans.ttf", Some(HelveticaOblique))?,
                bold_italic: load("DejaVuSans-Bold.ttf", Some(HelveticaBoldOblique))?,
            })
        })
        .clone()
        .map_err(PdfError::Fonts)
}

/// The PDF of a bilan. Laid out twice: once to count the pages, once to number them.
pub fn to_pdf(bilan: &Bilan, edition: &Edition) -> Result<Vec<u8>, PdfError> {
    let count = Rc::new(Cell::new(0));
    let mut sink = Vec::new();
    document(bilan, edition, None, count.clone())?.render(&mut sink)?;
    let total = count.get();
    let mut out = Vec::new();
    document(bilan, edition, Some(total), Rc::new(Cell::new(0)))?.render(&mut out)?;
    Ok(out)
}

/// Accents dropped, other non-ASCII characters replaced.
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'É' | 'È' | 'Ê' => 'E',
            'À' => 'A',
            'Ç' => 'C',
            c if c.is_ascii() => c,
            _ => ' ',
        })
        .collect()
}

fn heading(text: impl Into<String>, size: u8) -> impl Element {
    Paragraph::new(text.into())
        .styled(Style::new().bold().with_font_size(size))
        .padded(Margins::trbl(3, 0, 2, 0))
}

fn text(text: impl Into<String>) -> Paragraph {
    Paragraph::new(text.into())
}

fn muted(text: impl Into<String>) -> impl Element {
    Paragraph::new(text.into()).styled(Style::new().with_font_size(9).with_color(MUTED))
}

fn document(
    bilan: &Bilan,
    edition: &Edition,
    total: Option<usize>,
    count: Rc<Cell<usize>>,
) -> Result<genpdf::Document, PdfError> {
    let mut doc = genpdf::Document::new(fonts()?);
    // printpdf writes the title's bytes as they are, which readers take for Latin-1: keep it
    // to ASCII.
    doc.set_title(ascii(&format!(
        "Bilan {} - {}",
        bilan.year, bilan.plan_title
    )));
    doc.set_minimal_conformance();
    doc.set_font_size(10);
    doc.set_line_spacing(1.2);
    doc.set_page_decorator(Pages {
        header: format!(
            "Bilan {} — {} — {}",
            bilan.year, bilan.organisation, bilan.plan_title
        ),
        total,
        count,
    });

    // The cover.
    doc.push(Break::new(4));
    doc.push(Mark {
        initials: edition.initials.clone(),
        colour: edition.accent,
    });
    doc.push(
        Paragraph::new(bilan.organisation.clone()).styled(Style::new().bold().with_font_size(16)),
    );
    doc.push(Break::new(4));
    doc.push(heading(format!("Bilan {}", bilan.year), 28));
    doc.push(Paragraph::new(bilan.plan_title.clone()).styled(Style::new().with_font_size(16)));
    doc.push(muted(format!(
        "Période du plan : {} – {}",
        bilan.first_year, bilan.last_year
    )));
    doc.push(Break::new(3));
    doc.push(Paragraph::new(edition.state()).styled(Style::new().bold().with_font_size(12)));
    doc.push(muted(format!(
        "Document produit le {}.",
        crate::domain::format::date_fr(edition.made_on)
    )));
    if edition.public {
        doc.push(muted(
            "Document publié par l'acheteur en application de l'article L2111-3 du code de la commande publique. \
             Seules les valeurs validées par la commande publique, ou celles d'une année verrouillée, sont publiées.",
        ));
    }

    // The synthesis.
    doc.push(PageBreak::new());
    doc.push(heading("Synthèse", 18));
    let label = bilan.objective_term.label_plural();
    doc.push(heading(format!("{label} par statut en {}", bilan.year), 12));
    let parts = bilan
        .summary
        .first()
        .map(|s| s.counts.parts())
        .unwrap_or_default();
    let mut header = vec![String::new()];
    header.extend(parts.iter().map(|p| p.2.to_string()));
    // « Partiellement » needs its width: genpdf leaves out a word wider than its cell (five
    // status columns since « À apprécier » counts on its own).
    let mut weights = vec![4];
    weights.extend(parts.iter().map(|_| 4));
    let mut summary = Table::new(header, weights);
    for line in &bilan.summary {
        // « Axe 1 » only: five status columns leave too narrow a cell for the axis's name (genpdf
        // drops a word wider than its cell), which heads the axis's pages anyway.
        let label = match line.label.split_once(" — ") {
            Some((axis, _)) if axis.starts_with("Axe ") => axis.to_string(),
            _ => line.label.clone(),
        };
        let mut cells = vec![label];
        cells.extend(line.counts.parts().iter().map(|p| p.0.to_string()));
        summary.row(cells)?;
    }
    doc.push(summary);
    doc.push(Break::new(0.5));
    doc.push(StatusBars::new(&bilan.summary));
    doc.push(Break::new(1));
    doc.push(heading(format!("{label} : l'essentiel"), 12));
    let mut lines = Table::new(
        vec![
            label.to_string(),
            "Statut".into(),
            "Chiffre clé".into(),
            format!("Mis en œuvre en {}", bilan.year),
        ],
        vec![5, 2, 4, 6],
    );
    for line in bilan.synthesis() {
        lines.row(vec![
            line.heading,
            line.status.status.label().to_string(),
            line.key_figure
                .map(|k| format!("{} : {}", k.indicator, k.sentence))
                .unwrap_or_else(|| "—".into()),
            line.summary.unwrap_or_else(|| "—".into()),
        ])?;
    }
    doc.push(lines);

    // The detail: each objective from a new page.
    for group in &bilan.groups {
        for (i, objective) in group.objectives.iter().enumerate() {
            doc.push(PageBreak::new());
            if let (0, Some(axis)) = (i, &group.axis) {
                doc.push(heading(axis.clone(), 16));
            }
            doc.push(heading(bilan.objective_heading(objective), 14));
            doc.push(text(format!(
                "Statut : {}",
                objective.status.status.label()
            )));
            for action in &objective.actions {
                doc.push(heading(
                    match &action.code {
                        Some(code) => format!("Action {code} — {}", action.label),
                        None => action.label.clone(),
                    },
                    11,
                ));
                doc.push(text(format!("Statut : {}", action.status.status.label())));
                if action.withheld {
                    doc.push(muted("Valeurs en cours de validation : non publiées."));
                }
                if !action.pilots.is_empty() {
                    doc.push(muted(format!("Pilotes : {}", action.pilots.join(", "))));
                }
                if action.indicators.is_empty() {
                    doc.push(muted("Pas d'indicateur particulier."));
                } else {
                    doc.push(Break::new(0.5));
                    doc.push(indicators(
                        bilan,
                        action.withheld,
                        action.previous_withheld,
                        &action.indicators,
                    )?);
                    for ind in &action.indicators {
                        if let Some(s) = &ind.sentence {
                            doc.push(
                                text(format!("{} : {s}", ind.label))
                                    .padded(Margins::trbl(1, 0, 0, 0)),
                            );
                        }
                    }
                    doc.push(Break::new(0.5));
                    for ind in &action.indicators {
                        if let Some(chart) = &ind.chart {
                            doc.push(ChartBlock::new(ind.label.clone(), chart.clone()));
                        }
                    }
                }
                if let Some(narrative) = &action.narrative {
                    doc.push(heading(format!("Mis en œuvre en {}", bilan.year), 10));
                    for p in narrative.split("\n\n") {
                        doc.push(text(p.to_string()).padded(Margins::trbl(0, 0, 1.5, 0)));
                    }
                }
            }
        }
    }
    Ok(doc)
}

fn indicators(
    bilan: &Bilan,
    withheld: bool,
    previous_withheld: bool,
    list: &[BilanIndicator],
) -> Result<Table, PdfError> {
    let year = bilan.year;
    let mut header = vec![
        "Indicateur de suivi".to_string(),
        format!("Cible {year}"),
        format!("Réalisé {year}"),
    ];
    let mut weights = vec![6, 3, 3];
    if let Some(p) = bilan.previous_year {
        header.push(format!("Réalisé {p}"));
        weights.push(3);
    }
    header.push("Statut".into());
    weights.push(3);
    let pending = "en cours de validation".to_string();
    let mut table = Table::new(header, weights);
    for i in list {
        let unit = i.unit.as_deref();
        let mut cells = vec![
            i.label.clone(),
            value(i.target, i.target_text.as_ref(), unit),
            if withheld {
                pending.clone()
            } else {
                value(i.actual, i.actual_text.as_ref(), unit)
            },
        ];
        if bilan.previous_year.is_some() {
            cells.push(if previous_withheld {
                pending.clone()
            } else {
                value(i.previous, i.previous_text.as_ref(), unit)
            });
        }
        cells.push(i.status.status.label().to_string());
        table.row(cells)?;
    }
    Ok(table)
}
