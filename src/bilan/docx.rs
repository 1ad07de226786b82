//! The bilan as a word-processing document (DOCX) that a buyer completes and restyles in Word or
//! LibreOffice: real heading styles (« Titre 1 », « Titre 2 »… map onto them), real tables.

use docx_rs::{
    Docx, Footer, Header, NumPages, PageNum, Paragraph, Run, Style, StyleType, Table, TableCell,
    TableRow,
};

use super::{Bilan, Edition, value};

/// Word's built-in heading ids: Word and LibreOffice show them as their own heading styles.
fn heading_styles(docx: Docx) -> Docx {
    [(1, 36), (2, 30), (3, 26), (4, 22)]
        .into_iter()
        .fold(docx, |docx, (level, size)| {
            docx.add_style(
                Style::new(format!("Heading{level}"), StyleType::Paragraph)
                    .name(format!("heading {level}"))
                    .based_on("Normal")
                    .next("Normal")
                    .bold()
                    .size(size)
                    .outline_lvl(level - 1),
            )
        })
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .bold()
                .size(56),
        )
}

fn heading(level: usize, text: impl Into<String>) -> Paragraph {
    Paragraph::new()
        .add_run(Run::new().add_text(text.into()))
        .style(&format!("Heading{level}"))
}

fn text(text: impl Into<String>) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text.into()))
}

fn table(header: Vec<String>, rows: Vec<Vec<String>>) -> Table {
    let row = |cells: Vec<String>, bold: bool| {
        TableRow::new(
            cells
                .into_iter()
                .map(|c| {
                    let run = Run::new().add_text(c);
                    TableCell::new().add_paragraph(Paragraph::new().add_run(if bold {
                        run.bold()
                    } else {
                        run
                    }))
                })
                .collect(),
        )
    };
    let mut t = Table::new(vec![row(header, true)]);
    for cells in rows {
        t = t.add_row(row(cells, false));
    }
    t
}

/// The DOCX of a bilan: the same document as the PDF, to be edited.
pub fn to_docx(bilan: &Bilan, edition: &Edition) -> std::io::Result<Vec<u8>> {
    let running = format!(
        "Bilan {} — {} — {}",
        bilan.year, bilan.organisation, bilan.plan_title
    );
    let mut docx = heading_styles(Docx::new())
        .header(Header::new().add_paragraph(text(running)))
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text("page "))
                    .add_page_num(PageNum::new())
                    .add_run(Run::new().add_text(" / "))
                    .add_num_pages(NumPages::new()),
            ),
        )
        .add_paragraph(text(bilan.organisation.clone()))
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text(format!("Bilan {}", bilan.year)))
                .style("Title"),
        )
        .add_paragraph(text(bilan.plan_title.clone()))
        .add_paragraph(text(format!(
            "Période du plan : {} – {}",
            bilan.first_year, bilan.last_year
        )))
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(edition.state()).bold()))
        .add_paragraph(text(format!(
            "Document produit le {}.",
            crate::domain::format::date_fr(edition.made_on)
        )));
    if edition.public {
        docx = docx.add_paragraph(text(
            "Document publié par l'acheteur en application de l'article L2111-3 du code de la \
             commande publique. Seules les valeurs validées par la commande publique, ou celles \
             d'une année verrouillée, sont publiées.",
        ));
    }

    let label = bilan.objective_term.label_plural();
    docx = docx
        .add_paragraph(heading(1, "Synthèse").page_break_before(true))
        .add_paragraph(heading(2, format!("{label} par statut en {}", bilan.year)));
    let parts = bilan
        .summary
        .first()
        .map(|s| s.counts.parts())
        .unwrap_or_default();
    let mut header = vec![String::new()];
    header.extend(parts.iter().map(|p| p.2.to_string()));
    docx = docx.add_table(table(
        header,
        bilan
            .summary
            .iter()
            .map(|line| {
                let mut cells = vec![line.label.clone()];
                cells.extend(line.counts.parts().iter().map(|p| p.0.to_string()));
                cells
            })
            .collect(),
    ));
    docx = docx
        .add_paragraph(heading(2, format!("{label} : l'essentiel")))
        .add_table(table(
            vec![
                label.to_string(),
                "Statut".into(),
                "Chiffre clé".into(),
                format!("Mis en œuvre en {}", bilan.year),
            ],
            bilan
                .synthesis()
                .into_iter()
                .map(|l| {
                    vec![
                        l.heading,
                        l.status.status.label().to_string(),
                        l.key_figure
                            .map(|k| format!("{} : {}", k.indicator, k.sentence))
                            .unwrap_or_else(|| "—".into()),
                        l.summary.unwrap_or_else(|| "—".into()),
                    ]
                })
                .collect(),
        ));

    for group in &bilan.groups {
        let level = if group.axis.is_some() { 2 } else { 1 };
        for (i, objective) in group.objectives.iter().enumerate() {
            let title = heading(level, bilan.objective_heading(objective));
            match (i, &group.axis) {
                (0, Some(axis)) => {
                    docx = docx
                        .add_paragraph(heading(1, axis.clone()).page_break_before(true))
                        .add_paragraph(title);
                }
                _ => docx = docx.add_paragraph(title.page_break_before(true)),
            }
            docx = docx.add_paragraph(text(format!(
                "Statut : {}",
                objective.status.status.label()
            )));
            for action in &objective.actions {
                docx = docx
                    .add_paragraph(heading(
                        level + 1,
                        match &action.code {
                            Some(code) => format!("Action {code} — {}", action.label),
                            None => action.label.clone(),
                        },
                    ))
                    .add_paragraph(text(format!("Statut : {}", action.status.status.label())));
                if action.withheld {
                    docx =
                        docx.add_paragraph(text("Valeurs en cours de validation : non publiées."));
                }
                if !action.pilots.is_empty() {
                    docx =
                        docx.add_paragraph(text(format!("Pilotes : {}", action.pilots.join(", "))));
                }
                if !action.indicators.is_empty() {
                    let year = bilan.year;
                    let mut header = vec![
                        "Indicateur de suivi".to_string(),
                        format!("Cible {year}"),
                        format!("Réalisé {year}"),
                    ];
                    if let Some(p) = bilan.previous_year {
                        header.push(format!("Réalisé {p}"));
                    }
                    header.push("Statut".into());
                    let pending = || "en cours de validation".to_string();
                    let rows = action
                        .indicators
                        .iter()
                        .map(|i| {
                            let unit = i.unit.as_deref();
                            let mut cells = vec![
                                i.label.clone(),
                                value(i.target, i.target_text.as_ref(), unit),
                                if action.withheld {
                                    pending()
                                } else {
                                    value(i.actual, i.actual_text.as_ref(), unit)
                                },
                            ];
                            if bilan.previous_year.is_some() {
                                cells.push(if action.previous_withheld {
                                    pending()
                                } else {
                                    value(i.previous, i.previous_text.as_ref(), unit)
                                });
                            }
                            cells.push(i.status.status.label().to_string());
                            cells
                        })
                        .collect();
                    docx = docx.add_table(table(header, rows));
                    for ind in &action.indicators {
                        if let Some(s) = &ind.sentence {
                            docx = docx.add_paragraph(text(format!("{} : {s}", ind.label)));
                        }
                    }
                }
                if let Some(narrative) = &action.narrative {
                    docx = docx.add_paragraph(heading(
                        level + 2,
                        format!("Mis en œuvre en {}", bilan.year),
                    ));
                    for p in narrative.split("\n\n") {
                        docx = docx.add_paragraph(text(p.to_string()));
                    }
                }
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    // docx-rs has its own version of the zip crate: its error is passed on as words.
    docx.build()
        .pack(&mut out)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(out.into_inner())
}
