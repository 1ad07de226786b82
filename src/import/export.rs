//! The plan sent back out in the import's columns (CSV, XLSX), and the import template.

use crate::domain::model::IndicatorKind;
use crate::domain::sheet::Column;
use crate::domain::targets::{parse_targets, targets_text};
use crate::plans::read::PlanTree;

pub(super) fn kind_text(kind: Option<IndicatorKind>) -> &'static str {
    match kind {
        Some(IndicatorKind::Quantitative) => "Quanti (chiffre)",
        Some(IndicatorKind::Qualitative) => "Quali (texte)",
        Some(IndicatorKind::Both) => "Les 2",
        None => "",
    }
}

/// The plan in the import's columns: a header, then one row per indicator (an action with
/// several indicators takes several rows, its number and text repeated).
pub fn plan_rows(tree: &PlanTree) -> Vec<Vec<String>> {
    // The import's columns, then what the editor sets and the import reads from columns of its
    // own (the template's « Unité », « Sens », « Valeur de référence »): a plan exported and
    // imported back into itself changes nothing.
    let mut header: Vec<String> = Column::ALL.iter().map(|c| c.header().to_string()).collect();
    header.extend(["Unité", "Sens", "Valeur de référence"].map(String::from));
    let mut rows = vec![header];
    for group in &tree.groups {
        for objective in &group.objectives {
            for action in &objective.actions {
                let base = |indicator: Option<&crate::plans::read::IndicatorNode>| -> Vec<String> {
                    let targets_cell = indicator
                        .map(|i| {
                            let values: Vec<_> = i
                                .targets
                                .iter()
                                .map(|t| crate::domain::model::YearValue {
                                    year: t.year,
                                    value: t.value,
                                    text: t.text.clone(),
                                })
                                .collect();
                            // The authors' own words when they still say the same targets.
                            let same = i.targets_source.as_deref().is_some_and(|source| {
                                let parsed: Vec<_> =
                                    parse_targets(source, tree.first_year, tree.last_year)
                                        .into_iter()
                                        .map(|t| (t.year, t.value, t.text))
                                        .collect();
                                parsed
                                    == values
                                        .iter()
                                        .map(|v| (v.year, v.value, v.text.clone()))
                                        .collect::<Vec<_>>()
                            });
                            if same {
                                i.targets_source.clone().unwrap_or_default()
                            } else {
                                targets_text(&values, i.unit.as_deref())
                            }
                        })
                        .unwrap_or_default();
                    let pilots = indicator.map_or(&action.pilots, |i| {
                        if i.pilots.is_empty() {
                            &action.pilots
                        } else {
                            &i.pilots
                        }
                    });
                    vec![
                        group
                            .axis
                            .as_ref()
                            .map(|a| a.number.to_string())
                            .unwrap_or_default(),
                        group
                            .axis
                            .as_ref()
                            .map(|a| a.label.clone())
                            .unwrap_or_default(),
                        objective.code.clone(),
                        objective.label.clone(),
                        action.code.clone().unwrap_or_default(),
                        action.label.clone(),
                        indicator.map(|i| i.label.clone()).unwrap_or_default(),
                        kind_text(indicator.and_then(|i| i.kind)).to_string(),
                        targets_cell,
                        pilots.join("/ "),
                        indicator.and_then(|i| i.unit.clone()).unwrap_or_default(),
                        indicator
                            .map(|i| match i.direction {
                                crate::domain::model::Direction::Up => "hausse",
                                crate::domain::model::Direction::Down => "baisse",
                            })
                            .unwrap_or_default()
                            .to_string(),
                        indicator
                            .and_then(|i| i.baseline)
                            .map(|(value, year)| {
                                format!("{} ({year})", crate::domain::format::number_fr(value))
                            })
                            .unwrap_or_default(),
                    ]
                };
                if action.indicators.is_empty() {
                    rows.push(base(None));
                }
                for indicator in &action.indicators {
                    rows.push(base(Some(indicator)));
                }
            }
        }
    }
    rows
}

/// The rows as a CSV file; no cell is left that a spreadsheet would run as a formula (reading the
/// file back undoes it: see [`read_table`]).
pub fn rows_to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    use crate::domain::csv_file::{self, Cell};
    csv_file::write(
        rows.iter()
            .map(|row| row.iter().cloned().map(Cell::Text).collect()),
    )
}

pub fn rows_to_xlsx(rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Plan d'actions")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            // Numbers of axes, objectives and actions stay numbers for the spreadsheet.
            match cell.parse::<f64>() {
                Ok(n) if r > 0 && matches!(c, 0 | 2 | 4) => sheet.write_number(r, c, n)?,
                _ if r == 0 => sheet.write_string_with_format(r, c, cell, &bold)?,
                _ => sheet.write_string(r, c, cell)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

/// The import template: a plan sheet with the columns the import reads and one filled example
/// row, then a read-me sheet.
pub fn template_xlsx() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    const HEADERS: [&str; 13] = [
        "N° AXE",
        "AXE",
        "N° Objectif",
        "OBJECTIFS",
        "N° ACTION",
        "ACTIONS",
        "Indicateurs",
        "Type d'indicateur",
        "Unité",
        "Sens",
        "Valeur de référence",
        "Valeurs cibles",
        "Qui pilote cet indicateur ?",
    ];
    const EXAMPLE: [&str; 13] = [
        "1",
        "SOCIAL",
        "1",
        "Développer les clauses d'insertion",
        "1",
        "Inscrire des clauses d'insertion dans les marchés de travaux",
        "Nombre d'heures d'insertion réalisées",
        "Quanti (chiffre)",
        "heures",
        "hausse",
        "9 840 (2021)",
        "2025 : 10 000 h ; 2026 : 12 000 h ; 2027 : 14 000 h",
        "Service Commande Publique/ DRH",
    ];
    const README: [&str; 14] = [
        "Modèle d'import d'un plan SPASER",
        "",
        "Une ligne par action, ou par indicateur (répétez alors le numéro et l'intitulé de l'action).",
        "Les en-têtes peuvent être écrits autrement (Pilote(s), Intitulé de l'action, Cibles, Cible 2025…) : ils sont reconnus, et l'aperçu permet de choisir ce que contient chaque colonne.",
        "N° AXE, N° Objectif, N° ACTION : vos numéros tels quels (1, A, II, 1.1) ; un objectif sans numéro est reconnu par son intitulé.",
        "Une cellule vide d'axe, d'objectif ou d'action reprend celle du dessus (comme une cellule fusionnée).",
        "Type d'indicateur : Quanti (chiffre), Quali (texte) ou Les 2.",
        "Unité : %, heures, €, k€, M€, t, tCO2e, jours, agents, nombre…",
        "Sens : hausse (plus c'est mieux) ou baisse (moins c'est mieux).",
        "Valeur de référence : la valeur et son année, par exemple 9 840 (2021).",
        "Valeurs cibles : une cible par année, par exemple « 2025 : 10 000 h ; 2026 : 12 000 h », ou une colonne par année (Cible 2025, Cible 2026…).",
        "Une cible écrite sans année (« 30 % chaque année ») vaut pour toutes les années du plan.",
        "Qui pilote cet indicateur ? : un ou plusieurs services, séparés par « / ».",
        "Rien n'est enregistré avant la vérification de l'aperçu.",
    ];
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let wrap = rust_xlsxwriter::Format::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Plan d'actions")?;
    for (c, header) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *header, &bold)?;
        sheet.set_column_width(c as u16, 22)?;
    }
    for (c, cell) in EXAMPLE.iter().enumerate() {
        match cell.parse::<f64>() {
            Ok(n) => sheet.write_number(1, c as u16, n)?,
            Err(_) => sheet.write_string_with_format(1, c as u16, *cell, &wrap)?,
        };
    }
    sheet.set_freeze_panes(1, 0)?;
    let readme = workbook.add_worksheet();
    readme.set_name("Lisez-moi")?;
    readme.set_column_width(0, 120)?;
    for (r, line) in README.iter().enumerate() {
        if r == 0 {
            readme.write_string_with_format(0, 0, *line, &bold)?;
        } else {
            readme.write_string(r as u32, 0, *line)?;
        }
    }
    workbook.save_to_buffer()
}
