//! Reading a plan spreadsheet (one row per action or per indicator, as buyers keep them) into a
//! [`PlanDraft`].
//!
//! The table is found in the sheet and its columns recognised by meaning ([`Layout`]), or as a
//! person mapped them. Axes, objectives and actions keep the numbers the buyer gave them
//! (`A`, `II`, `1.1`; their order is the rows' order); an objective without a number is known by
//! its text. An empty axis, objective or action cell continues the one above (as merged cells
//! do). Targets come from a free-text column ([`super::targets`]) and/or one column per year, with
//! unit, direction and baseline from their own columns when the sheet has them. What cannot be
//! read is noted with its row and column, never a reason to refuse the plan, except a row that
//! names no action or gives one number to two actions.

#[cfg(test)]
use super::cells::edit_distance;
use super::cells::{Objective, RowColumns, canonicalise_pilots, into_draft, year_in};
pub use super::cells::{direction_cell, split_pilots};
pub use super::columns::{Field, Layout};
use super::model::{ActionDraft, IndicatorDraft, IndicatorKind, PlanDraft, YearValue};
use super::targets::{self, find_baseline, read_targets};

/// The office's columns: the name the export and the messages use.
pub type Column = Field;

/// Something the reader skipped or could not read, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct SheetNote {
    /// 1-based line of the sheet.
    pub line: usize,
    /// The column's header as the file writes it, when the note is about a cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetReading {
    pub draft: PlanDraft,
    pub notes: Vec<SheetNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("le fichier est vide")]
    Empty,
    #[error("colonnes introuvables : {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("ligne {line} : {message}")]
    Row { line: usize, message: String },
}

/// Splits tab-separated text into rows of cells (no quoting: the export has none, and its
/// cells hold quotes of their own).
pub fn split_tsv(text: &str) -> Vec<Vec<String>> {
    text.trim_start_matches('\u{FEFF}')
        .lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

/// The period the sheet's targets name (`2025: … 2027: …`, or « Cible 2025 » columns): the
/// first and last years, when they span 15 years at most. A baseline's year is not one.
pub fn marked_period(rows: &[Vec<String>]) -> Option<(i32, i32)> {
    marked_period_with(rows, &Layout::of(rows))
}

pub fn marked_period_with(rows: &[Vec<String>], layout: &Layout) -> Option<(i32, i32)> {
    let mut years: Vec<i32> = layout
        .fields
        .iter()
        .filter_map(|f| match f {
            Some(Field::TargetYear(y)) => Some(*y),
            _ => None,
        })
        .collect();
    if let Some(column) = layout.column(Field::Targets) {
        years.extend(
            rows.iter()
                .skip(layout.header_row + 1)
                .filter_map(|row| row.get(column))
                .flat_map(|cell| targets::marked_years(cell)),
        );
    }
    let (first, last) = (*years.iter().min()?, *years.iter().max()?);
    (last - first <= 15).then_some((first, last))
}

/// Reads a plan from its rows, its table and columns found by [`Layout::of`].
pub fn read_plan(
    rows: &[Vec<String>],
    first_year: i32,
    last_year: i32,
) -> Result<SheetReading, SheetError> {
    read_plan_with(rows, &Layout::of(rows), first_year, last_year)
}

/// Reads a plan from its rows, with the given layout.
pub fn read_plan_with(
    rows: &[Vec<String>],
    layout: &Layout,
    first_year: i32,
    last_year: i32,
) -> Result<SheetReading, SheetError> {
    if rows.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
        return Err(SheetError::Empty);
    }
    let missing = layout.missing();
    if !missing.is_empty() {
        return Err(SheetError::MissingColumns(missing));
    }
    let header_line = layout.header_row + 1;
    let mut notes: Vec<SheetNote> = layout
        .headers
        .iter()
        .zip(&layout.fields)
        .filter(|(h, f)| f.is_none() && !h.trim().is_empty())
        .map(|(h, _)| SheetNote {
            line: header_line,
            column: None,
            message: format!("colonne « {} » ignorée", h.trim()),
        })
        .collect();
    // The header of a field's column as the file writes it, for notes.
    let written = |field: Field| -> String {
        layout
            .column(field)
            .and_then(|i| layout.headers.get(i))
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| field.header())
    };
    let year_columns: Vec<(usize, i32)> = layout
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f {
            Some(Field::TargetYear(y)) => Some((i, *y)),
            _ => None,
        })
        .collect();
    let baseline_header_year = layout
        .column(Field::Baseline)
        .and_then(|i| layout.headers.get(i))
        .and_then(|h| year_in(h));

    // Axes: (key, code, label); objectives; actions seen: number → (line, objective, text).
    let mut axes: Vec<(String, String, String)> = Vec::new();
    let mut objectives: Vec<Objective> = Vec::new();
    let mut seen_actions: std::collections::HashMap<String, (usize, (usize, String))> =
        std::collections::HashMap::new();
    let (mut current_axis, mut current_objective): (Option<usize>, Option<usize>) = (None, None);
    for (offset, row) in rows.iter().enumerate().skip(layout.header_row + 1) {
        let line = offset + 1;
        let cell = |c: Field| -> String {
            layout
                .column(c)
                .and_then(|i| row.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let filled = row.iter().filter(|c| !c.trim().is_empty()).count();
        if filled == 0 {
            continue;
        }
        if filled == 1 {
            notes.push(SheetNote {
                line,
                column: None,
                message: format!("ligne « {} » ignorée (pied de page)", row.concat().trim()),
            });
            continue;
        }
        // The axis: its number or text, else the one above.
        let (axis_code, axis_label) = (cell(Field::AxisNumber), cell(Field::Axis));
        if !axis_code.is_empty() || !axis_label.is_empty() {
            let key = if axis_code.is_empty() {
                format!("t:{}", fold(&axis_label))
            } else {
                format!("n:{}", fold(&axis_code))
            };
            current_axis = Some(match axes.iter().position(|a| a.0 == key) {
                Some(i) => {
                    if axes[i].2.is_empty() {
                        axes[i].2 = axis_label;
                    }
                    i
                }
                None => {
                    axes.push((key, axis_code, axis_label));
                    axes.len() - 1
                }
            });
        }
        let (action_code, action_label) = (cell(Field::ActionNumber), cell(Field::Action));
        let indicator_cell = cell(Field::Indicators);
        if action_code.is_empty() && action_label.is_empty() && indicator_cell.is_empty() {
            // A section row (« Axe A — Social »): it sets the axis of the rows under it.
            continue;
        }
        // The objective: its number, else its text, else the one above.
        let (objective_code, objective_label) =
            (cell(Field::ObjectiveNumber), cell(Field::Objective));
        let objective = if objective_code.is_empty() && objective_label.is_empty() {
            current_objective.ok_or_else(|| SheetError::Row {
                line,
                message: format!(
                    "colonne {} : objectif manquant",
                    written(if layout.column(Field::ObjectiveNumber).is_some() {
                        Field::ObjectiveNumber
                    } else {
                        Field::Objective
                    })
                ),
            })?
        } else {
            let key = if objective_code.is_empty() {
                format!("t:{}", fold(&objective_label))
            } else {
                format!("n:{objective_code}")
            };
            match objectives.iter().position(|o| o.key == key) {
                Some(i) => i,
                None => {
                    objectives.push(Objective {
                        key,
                        code: Some(objective_code).filter(|c| !c.is_empty()),
                        label: objective_label,
                        axis: current_axis,
                        actions: Vec::new(),
                    });
                    objectives.len() - 1
                }
            }
        };
        current_objective = Some(objective);

        let targets_text = cell(Field::Targets);
        let pilots = split_pilots(&cell(Field::Pilots));
        let kind = IndicatorKind::parse_fr(&cell(Field::IndicatorKind));
        let (mut indicators, outside) = read_indicators(
            &indicator_cell,
            &targets_text,
            kind,
            &pilots,
            first_year,
            last_year,
        );
        for year in outside {
            notes.push(outside_note(
                line,
                &written(Field::Targets),
                year,
                first_year,
                last_year,
            ));
        }
        let columns = RowColumns {
            unit: cell(Field::Unit),
            direction: cell(Field::Direction),
            baseline: cell(Field::Baseline),
            years: year_columns
                .iter()
                .map(|&(i, y)| {
                    (
                        y,
                        row.get(i).map(|s| s.trim().to_string()).unwrap_or_default(),
                        i,
                    )
                })
                .filter(|(_, text, _)| !text.is_empty())
                .collect(),
        };
        for (year, _, i) in &columns.years {
            if !(first_year..=last_year).contains(year) {
                let header = layout
                    .headers
                    .get(*i)
                    .map_or(String::new(), |h| h.trim().to_string());
                notes.push(outside_note(line, &header, *year, first_year, last_year));
            }
        }
        for indicator in &mut indicators {
            columns.apply(indicator, first_year, last_year, baseline_header_year);
        }
        if kind == Some(IndicatorKind::Quantitative) {
            for indicator in &indicators {
                let texts: Vec<String> = indicator
                    .targets
                    .iter()
                    .filter(|t| t.value.is_none())
                    .map(|t| t.year.to_string())
                    .collect();
                if !texts.is_empty() {
                    notes.push(SheetNote {
                        line,
                        column: Some(written(Field::Targets)),
                        message: format!(
                            "colonne {} : pas de nombre pour {} (« {} ») ; la cible reste un texte",
                            written(Field::Targets),
                            texts.join(", "),
                            short(&indicator.label)
                        ),
                    });
                }
            }
        }
        let actions = &mut objectives[objective].actions;
        // No action on the row: its indicators go to the action above (merged cells).
        if action_label.is_empty() {
            let previous = if action_code.is_empty() {
                actions.last_mut()
            } else {
                actions
                    .iter_mut()
                    .find(|a| a.code.as_deref() == Some(action_code.as_str()))
            };
            match previous {
                Some(previous) => {
                    previous.indicators.extend(indicators);
                    continue;
                }
                None => {
                    return Err(SheetError::Row {
                        line,
                        message: format!(
                            "colonne {} : intitulé de l'action manquant",
                            written(Field::Action)
                        ),
                    });
                }
            }
        }
        // A row repeating an action (same number, same text) adds indicators to it; another
        // action under the same number is an error.
        let action_code = Some(action_code).filter(|s| !s.is_empty());
        if let Some(code) = &action_code {
            if let Some((first_line, same)) = seen_actions.get(code) {
                if *same == (objective, action_label.clone()) {
                    let previous = objectives[objective]
                        .actions
                        .iter_mut()
                        .find(|a| a.code.as_deref() == Some(code.as_str()))
                        .expect("seen action");
                    previous.indicators.extend(indicators);
                    continue;
                }
                return Err(SheetError::Row {
                    line,
                    message: format!(
                        "colonne {} : le numéro d'action {code} est déjà celui d'une autre action (ligne {first_line})",
                        written(Field::ActionNumber)
                    ),
                });
            }
            seen_actions.insert(code.clone(), (line, (objective, action_label.clone())));
        } else if let Some(previous) = objectives[objective]
            .actions
            .iter_mut()
            .rev()
            .take(1)
            .find(|a| a.code.is_none() && a.label == action_label)
        {
            // The same unnumbered action on the next row: another indicator of it.
            previous.indicators.extend(indicators);
            continue;
        }
        objectives[objective].actions.push(ActionDraft {
            code: action_code,
            label: action_label,
            pilots: Vec::new(),
            indicators,
            narratives: Vec::new(),
        });
    }
    let mut draft = into_draft(axes, objectives);
    canonicalise_pilots(&mut draft);
    Ok(SheetReading { draft, notes })
}

fn outside_note(line: usize, column: &str, year: i32, first: i32, last: i32) -> SheetNote {
    SheetNote {
        line,
        column: Some(column.to_string()),
        message: format!(
            "colonne {column} : l'année {year} est hors de la période du plan ({first}–{last}) ; cette cible n'est pas reprise"
        ),
    }
}

/// One cell may hold several indicators, separated by a wide gap, with their targets in the
/// same order in the targets cell (the office's action 7). Also gives the years outside the
/// period the targets name.
fn read_indicators(
    labels: &str,
    targets: &str,
    kind: Option<IndicatorKind>,
    pilots: &[String],
    first_year: i32,
    last_year: i32,
) -> (Vec<IndicatorDraft>, Vec<i32>) {
    let label_parts = split_wide(labels);
    let target_parts = split_wide(targets);
    let pairs: Vec<(String, String)> =
        if label_parts.len() > 1 && label_parts.len() == target_parts.len() {
            label_parts.into_iter().zip(target_parts).collect()
        } else {
            vec![(collapse(labels), collapse(targets))]
        };
    let mut outside = Vec::new();
    let indicators = pairs
        .into_iter()
        .filter(|(label, _)| !label.is_empty())
        .map(|(label, targets_text)| {
            let reading = read_targets(&targets_text, first_year, last_year);
            outside.extend(reading.outside.iter().copied());
            let mut reading = reading;
            let baseline = find_baseline(&label, first_year).or(reading.baseline.take());
            let unit = reading
                .targets
                .iter()
                .find_map(|t| t.unit.clone())
                .or_else(|| baseline.as_ref().and_then(|b| b.1.clone()));
            // Targets in another money unit than the first (`1,2 M€` after `800 k€`): converted.
            for t in &mut reading.targets {
                if let (Some(value), Some(from), Some(to)) = (t.value, &t.unit, &unit)
                    && let Some(converted) = targets::convert_money(value, from, to)
                {
                    t.value = Some(converted);
                }
            }
            IndicatorDraft {
                label,
                kind,
                unit,
                direction: reading.direction.unwrap_or_default(),
                baseline: baseline.map(|b| b.0),
                targets_source: Some(targets_text).filter(|t| !t.is_empty()),
                targets: reading
                    .targets
                    .into_iter()
                    .map(|t| YearValue {
                        year: t.year,
                        value: t.value,
                        text: t.text,
                    })
                    .collect(),
                pilots: pilots.to_vec(),
                ..IndicatorDraft::default()
            }
        })
        .collect();
    outside.sort_unstable();
    outside.dedup();
    (indicators, outside)
}

/// The start of a long label, for messages.
fn short(label: &str) -> String {
    let mut out: String = label.chars().take(60).collect();
    if label.chars().count() > 60 {
        out.push('…');
    }
    out
}

fn split_wide(text: &str) -> Vec<String> {
    text.split("  ")
        .map(collapse)
        .filter(|s| !s.is_empty())
        .collect()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower case, accents removed, spaces collapsed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().to_lowercase().chars() {
        match c {
            'à' | 'â' | 'ä' | 'á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' => out.push('i'),
            'ô' | 'ö' | 'ó' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::AxisDraft;

    #[test]
    fn the_period_is_read_from_the_years_the_targets_name() {
        let rows = split_tsv(crate::demo::OFFICE_TSV);
        assert_eq!(
            marked_period(&rows),
            Some((2025, 2027)),
            "the office's plan"
        );
        let sheet = |targets: &[&str]| {
            let mut rows = vec![vec!["Objectif".to_string(), "Valeurs cibles".to_string()]];
            rows.extend(targets.iter().map(|t| vec!["1".to_string(), t.to_string()]));
            rows
        };
        assert_eq!(
            marked_period(&sheet(&["2026 : 10 %", "Valeur cible 2030 : 30 %"])),
            Some((2026, 2030))
        );
        assert_eq!(
            marked_period(&sheet(&["10 % en fin de plan", "doubler"])),
            None,
            "no year written as a target marker"
        );
        assert_eq!(
            marked_period(&sheet(&["2001: 1", "2030: 2"])),
            None,
            "not a plural-year plan"
        );
        assert_eq!(
            marked_period(&[vec!["Objectif".to_string()]]),
            None,
            "no targets column"
        );
    }

    #[test]
    fn headers_are_recognised_with_tolerance() {
        let cases = [
            ("N° AXE", Column::AxisNumber),
            ("AXE", Column::Axis),
            ("N° Objectif", Column::ObjectiveNumber),
            ("No objectif", Column::ObjectiveNumber),
            ("Numéro  d'objectif", Column::ObjectiveNumber),
            ("OBJECTIFS", Column::Objective),
            ("N° ACTION", Column::ActionNumber),
            ("ACTIONS", Column::Action),
            ("Indicateurs", Column::Indicators),
            ("Type d'indicateur", Column::IndicatorKind),
            ("  valeurs   CIBLES ", Column::Targets),
            ("Qui pilote cet indicateur ?", Column::Pilots),
        ];
        for (cell, column) in cases {
            assert_eq!(Column::recognise(cell), Some(column), "{cell}");
        }
        assert_eq!(Column::recognise("Commentaire"), None);
    }

    #[test]
    fn a_bare_number_header_numbers_the_next_column() {
        let rows = split_tsv(
            "N°\tAXE\tN° Objectif\tOBJECTIFS\tN° ACTION\tACTIONS\tIndicateurs\tNotes\n\
             1\tSOCIAL\t3\tClauses\t4\tOptimiser\tPart de marchés\tx",
        );
        let reading = read_plan(&rows, 2025, 2027).unwrap();
        assert_eq!(
            reading.draft.axes,
            [AxisDraft {
                number: 1,
                label: "SOCIAL".into(),
                code: None,
            }]
        );
        assert_eq!(reading.draft.objectives[0].axis, Some(1));
        assert_eq!(
            reading.draft.objectives[0].actions[0].code.as_deref(),
            Some("4")
        );
        assert_eq!(
            reading.notes,
            [SheetNote {
                line: 1,
                column: None,
                message: "colonne « Notes » ignorée".into()
            }]
        );
    }

    #[test]
    fn pilots_split_on_slash_and_directions() {
        assert_eq!(
            split_pilots("Service Commande Publique/ services prescripteurs"),
            ["Service Commande Publique", "services prescripteurs"]
        );
        assert_eq!(split_pilots("DSI"), ["DSI"]);
        assert_eq!(
            split_pilots(
                "Direction Construction Directions Réhabilitation et Travaux Direction exploitation"
            ),
            [
                "Direction Construction",
                "Directions Réhabilitation et Travaux",
                "Direction exploitation"
            ]
        );
        assert!(split_pilots("").is_empty());
    }

    #[test]
    fn near_spellings_are_one_name() {
        assert_eq!(edit_distance("exploittion", "exploitation"), 1);
        assert_eq!(fold("Réhabilitation  Œuvre"), "rehabilitation oeuvre");
    }

    #[test]
    fn a_sheet_without_the_needed_columns_is_refused() {
        let rows = split_tsv("Nom\tPrénom\nA\tB");
        assert!(matches!(
            read_plan(&rows, 2025, 2027),
            Err(SheetError::MissingColumns(_))
        ));
        assert_eq!(read_plan(&[], 2025, 2027), Err(SheetError::Empty));
    }

    #[test]
    fn other_layouts_read_into_the_same_model() {
        let rows: Vec<Vec<String>> = [
            "SPASER de la ville\t\t\t\t\t",
            "\t\t\t\t\t",
            "Axe\tObjectif\tAction\tIndicateur\tUnité\tCibles",
            "I — Social\t\t\t\t\t",
            "I\tInsertion\tClauses\tHeures\th\t2025 : 10 000 ; 2026 : 12 000",
            "\t\t\tMarchés réservés\t\t2025 → 3 ; 2026 → 4",
            "II\tBudget\tSobriété\tDépenses\t€\t2025 : 1,2 M€ ; 2026 : 900 k€",
            "II\tBudget\tAutre\tPart\t\t2025 : 800 k€ ; 2026 : 1,2 M€",
        ]
        .iter()
        .map(|r| r.split('\t').map(String::from).collect())
        .collect();
        let layout = Layout::of(&rows);
        assert_eq!(layout.header_row, 2);
        let reading = read_plan(&rows, 2025, 2026).unwrap();
        let d = reading.draft;
        assert_eq!(
            d.axes
                .iter()
                .map(|a| (a.number, a.label.as_str()))
                .collect::<Vec<_>>(),
            [(1, "I"), (2, "II")],
            "axes by their text, in the rows' order"
        );
        assert!(
            reading
                .notes
                .iter()
                .any(|n| n.line == 4 && n.message.contains("I — Social")),
            "a row of one cell is said to be skipped"
        );
        assert_eq!(
            d.objectives
                .iter()
                .map(|o| (o.code.as_str(), o.label.as_str(), o.actions.len()))
                .collect::<Vec<_>>(),
            [("1", "Insertion", 1), ("2", "Budget", 2)],
            "objectives without numbers are numbered in order"
        );
        let clauses = &d.objectives[0].actions[0];
        assert_eq!(
            clauses.indicators.len(),
            2,
            "an empty action cell continues the one above"
        );
        let money: Vec<(Option<&str>, Vec<Option<rust_decimal::Decimal>>)> = d.objectives[1]
            .actions
            .iter()
            .map(|a| {
                let i = &a.indicators[0];
                (
                    i.unit.as_deref(),
                    i.targets.iter().map(|t| t.value).collect(),
                )
            })
            .collect();
        assert_eq!(
            money,
            [
                (
                    Some("€"),
                    vec![Some(1_200_000.into()), Some(900_000.into())]
                ),
                (Some("k€"), vec![Some(800.into()), Some(1200.into())]),
            ],
            "money in one unit per indicator, M€ being 10⁶ €"
        );
    }
}
