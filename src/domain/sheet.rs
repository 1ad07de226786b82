//! Reading a plan spreadsheet (one row per action, as buyers keep them) into a [`PlanDraft`].
//!
//! The columns are those of the office's plan: N° AXE, AXE, N° Objectif, OBJECTIFS,
//! N° ACTION, ACTIONS, Indicateurs, Type d'indicateur, Valeurs cibles, Qui pilote cet
//! indicateur ?. Headers are recognised whatever their case, accents or spacing.

use super::model::{
    ActionDraft, AxisDraft, IndicatorDraft, IndicatorKind, ObjectiveDraft, PlanDraft, YearValue,
};
use super::targets::{self, find_baseline, parse_targets};

/// The columns a plan sheet has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    AxisNumber,
    Axis,
    ObjectiveNumber,
    Objective,
    ActionNumber,
    Action,
    Indicators,
    IndicatorKind,
    Targets,
    Pilots,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::AxisNumber,
        Column::Axis,
        Column::ObjectiveNumber,
        Column::Objective,
        Column::ActionNumber,
        Column::Action,
        Column::Indicators,
        Column::IndicatorKind,
        Column::Targets,
        Column::Pilots,
    ];

    /// The header as the office's sheet writes it.
    pub fn header(self) -> &'static str {
        match self {
            Column::AxisNumber => "N° AXE",
            Column::Axis => "AXE",
            Column::ObjectiveNumber => "N° Objectif",
            Column::Objective => "OBJECTIFS",
            Column::ActionNumber => "N° ACTION",
            Column::Action => "ACTIONS",
            Column::Indicators => "Indicateurs",
            Column::IndicatorKind => "Type d'indicateur",
            Column::Targets => "Valeurs cibles",
            Column::Pilots => "Qui pilote cet indicateur ?",
        }
    }

    /// The number column of the same level.
    pub fn numbered(self) -> Option<Column> {
        match self {
            Column::Axis | Column::AxisNumber => Some(Column::AxisNumber),
            Column::Objective | Column::ObjectiveNumber => Some(Column::ObjectiveNumber),
            Column::Action | Column::ActionNumber => Some(Column::ActionNumber),
            _ => None,
        }
    }

    /// Recognises a header cell.
    pub fn recognise(cell: &str) -> Option<Column> {
        let key = fold(cell).replace('°', " ");
        let words: Vec<&str> = key
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let numbered = matches!(words.first(), Some(&("n" | "no" | "num" | "numero")));
        let has = |w: &str| words.iter().any(|x| x.starts_with(w));
        if has("pilot") {
            Some(Column::Pilots)
        } else if has("cible") {
            Some(Column::Targets)
        } else if has("type") {
            Some(Column::IndicatorKind)
        } else if has("indicateur") {
            Some(Column::Indicators)
        } else if has("action") {
            Some(if numbered {
                Column::ActionNumber
            } else {
                Column::Action
            })
        } else if has("objectif") {
            Some(if numbered {
                Column::ObjectiveNumber
            } else {
                Column::Objective
            })
        } else if has("axe") {
            Some(if numbered {
                Column::AxisNumber
            } else {
                Column::Axis
            })
        } else {
            None
        }
    }
}

/// Something the reader skipped or could not read, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct SheetNote {
    /// 1-based line of the sheet.
    pub line: usize,
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

fn is_number_marker(cell: &str) -> bool {
    matches!(
        fold(cell).trim_end_matches('.'),
        "n°" | "no" | "n" | "num" | "numero"
    )
}

/// Splits tab-separated text into rows of cells (no quoting: the export has none, and its
/// cells hold quotes of their own).
pub fn split_tsv(text: &str) -> Vec<Vec<String>> {
    text.trim_start_matches('\u{FEFF}')
        .lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

/// Which column holds what, from the header row; unknown headers become notes.
fn recognise_header(header: &[String]) -> ([Option<usize>; 10], Vec<SheetNote>) {
    let mut index = [None; 10];
    let mut notes = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        // A bare « N° » heads the number column of the level named in the next cell
        // (the office's sheet: `N°`, `AXE`, `N° Objectif`…).
        let recognised = if is_number_marker(cell) {
            header
                .get(i + 1)
                .and_then(|next| Column::recognise(next))
                .and_then(Column::numbered)
        } else {
            Column::recognise(cell)
        };
        match recognised {
            Some(col) => {
                let slot = &mut index[col as usize];
                if slot.is_none() {
                    *slot = Some(i);
                }
            }
            None if cell.trim().is_empty() => {}
            None => notes.push(SheetNote {
                line: 1,
                message: format!("colonne « {} » ignorée", cell.trim()),
            }),
        }
    }
    (index, notes)
}

/// The period the sheet's targets name (`2025: … 2027: …`): the first and last years written
/// as target markers, when they span 15 years at most.
pub fn marked_period(rows: &[Vec<String>]) -> Option<(i32, i32)> {
    let (header, body) = rows.split_first()?;
    let (index, _) = recognise_header(header);
    let column = index[Column::Targets as usize]?;
    let years: Vec<i32> = body
        .iter()
        .filter_map(|row| row.get(column))
        .flat_map(|cell| super::targets::marked_years(cell))
        .collect();
    let (first, last) = (*years.iter().min()?, *years.iter().max()?);
    (last - first <= 15).then_some((first, last))
}

/// Reads a plan from its rows, the first being the header.
pub fn read_plan(
    rows: &[Vec<String>],
    first_year: i32,
    last_year: i32,
) -> Result<SheetReading, SheetError> {
    let (header, body) = rows.split_first().ok_or(SheetError::Empty)?;
    let (index, mut notes) = recognise_header(header);
    let required = [
        Column::ObjectiveNumber,
        Column::Objective,
        Column::Action,
        Column::Indicators,
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|c| index[**c as usize].is_none())
        .map(|c| c.header().to_string())
        .collect();
    if !missing.is_empty() {
        return Err(SheetError::MissingColumns(missing));
    }

    let mut draft = PlanDraft::default();
    // Action number → (first line, (objective, text)).
    let mut seen_actions: std::collections::HashMap<String, (usize, (String, String))> =
        std::collections::HashMap::new();
    let objective_code_of = |cell: &dyn Fn(Column) -> String| cell(Column::ObjectiveNumber);
    for (offset, row) in body.iter().enumerate() {
        let line = offset + 2;
        let cell = |c: Column| -> String {
            index[c as usize]
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
                message: format!("ligne « {} » ignorée (pied de page)", row.concat().trim()),
            });
            continue;
        }
        let axis = match cell(Column::AxisNumber) {
            s if s.is_empty() => None,
            s => Some(s.parse::<i32>().map_err(|_| SheetError::Row {
                line,
                message: format!("colonne N° AXE : numéro d'axe « {s} » illisible"),
            })?),
        };
        if let Some(number) = axis
            && !draft.axes.iter().any(|a| a.number == number)
        {
            draft.axes.push(AxisDraft {
                number,
                label: cell(Column::Axis),
            });
        }
        let objective_code = cell(Column::ObjectiveNumber);
        if objective_code.is_empty() {
            return Err(SheetError::Row {
                line,
                message: "colonne N° Objectif : numéro d'objectif manquant".into(),
            });
        }
        if !draft.objectives.iter().any(|o| o.code == objective_code) {
            draft.objectives.push(ObjectiveDraft {
                axis,
                code: objective_code,
                label: cell(Column::Objective),
                actions: Vec::new(),
            });
        }
        let action_code = Some(cell(Column::ActionNumber)).filter(|s| !s.is_empty());
        let action_label = cell(Column::Action);
        if action_label.is_empty() {
            return Err(SheetError::Row {
                line,
                message: "colonne ACTIONS : intitulé de l'action manquant".into(),
            });
        }
        let targets_text = cell(Column::Targets);
        let outside = targets::marked_years_outside(&targets_text, first_year, last_year);
        if let Some(year) = outside.first() {
            return Err(SheetError::Row {
                line,
                message: format!(
                    "colonne Valeurs cibles : l'année {year} est hors de la période du plan ({first_year}–{last_year})"
                ),
            });
        }
        let pilots = split_pilots(&cell(Column::Pilots));
        let kind = IndicatorKind::parse_fr(&cell(Column::IndicatorKind));
        let indicators = read_indicators(
            &cell(Column::Indicators),
            &targets_text,
            kind,
            &pilots,
            first_year,
            last_year,
        );
        for indicator in &indicators {
            if kind == Some(IndicatorKind::Quantitative) {
                let texts: Vec<String> = indicator
                    .targets
                    .iter()
                    .filter(|t| t.value.is_none())
                    .map(|t| t.year.to_string())
                    .collect();
                if !texts.is_empty() {
                    notes.push(SheetNote {
                        line,
                        message: format!(
                            "colonne Valeurs cibles : pas de nombre pour {} (« {} ») ; la cible reste un texte",
                            texts.join(", "),
                            short(&indicator.label)
                        ),
                    });
                }
            }
        }
        // A row repeating an action (same number, same text) adds indicators to it; another
        // action under the same number is an error.
        if let Some(code) = &action_code {
            if let Some((first_line, same)) = seen_actions.get(code) {
                let previous = draft
                    .objectives
                    .iter_mut()
                    .flat_map(|o| o.actions.iter_mut())
                    .find(|a| a.code.as_deref() == Some(code.as_str()))
                    .expect("seen action");
                if *same == (objective_code_of(&cell), action_label.clone()) {
                    previous.indicators.extend(indicators);
                    continue;
                }
                return Err(SheetError::Row {
                    line,
                    message: format!(
                        "colonne N° ACTION : le numéro d'action {code} est déjà celui d'une autre action (ligne {first_line})"
                    ),
                });
            }
            seen_actions.insert(
                code.clone(),
                (line, (objective_code_of(&cell), action_label.clone())),
            );
        }
        let objective = draft
            .objectives
            .iter_mut()
            .find(|o| o.code == objective_code_of(&cell))
            .expect("just found or created");
        objective.actions.push(ActionDraft {
            code: action_code,
            label: action_label,
            pilots: Vec::new(),
            indicators,
            narratives: Vec::new(),
        });
    }
    canonicalise_pilots(&mut draft);
    Ok(SheetReading { draft, notes })
}

/// One cell may hold several indicators, separated by a wide gap, with their targets in the
/// same order in the targets cell (the office's action 7).
fn read_indicators(
    labels: &str,
    targets: &str,
    kind: Option<IndicatorKind>,
    pilots: &[String],
    first_year: i32,
    last_year: i32,
) -> Vec<IndicatorDraft> {
    let label_parts = split_wide(labels);
    let target_parts = split_wide(targets);
    let pairs: Vec<(String, String)> =
        if label_parts.len() > 1 && label_parts.len() == target_parts.len() {
            label_parts.into_iter().zip(target_parts).collect()
        } else {
            vec![(collapse(labels), collapse(targets))]
        };
    pairs
        .into_iter()
        .filter(|(label, _)| !label.is_empty())
        .map(|(label, targets_text)| {
            let parsed = parse_targets(&targets_text, first_year, last_year);
            let baseline = find_baseline(&label, first_year);
            let unit = parsed
                .iter()
                .find_map(|t| t.unit.clone())
                .or_else(|| baseline.as_ref().and_then(|b| b.1.clone()));
            IndicatorDraft {
                label,
                kind,
                unit,
                baseline: baseline.map(|b| b.0),
                targets_source: Some(targets_text).filter(|t| !t.is_empty()),
                targets: parsed
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
        .collect()
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

/// Pilots are joined by `/`; a run of directions (`Direction Construction Directions
/// Réhabilitation et Travaux Direction exploitation`) names one service per « Direction ».
pub fn split_pilots(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in cell.split('/') {
        let mut current: Vec<&str> = Vec::new();
        for word in part.split_whitespace() {
            if (word == "Direction" || word == "Directions") && !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
            current.push(word);
        }
        if !current.is_empty() {
            out.push(current.join(" "));
        }
    }
    out
}

/// Gives each service one spelling across the plan: names equal but for case and accents, or
/// one typing slip apart (`exploittion` / `exploitation`), are one service. The spelling kept
/// is the capitalised one, then the most frequent, then the longest.
fn canonicalise_pilots(draft: &mut PlanDraft) {
    let mut spellings: Vec<(String, usize)> = Vec::new();
    for name in draft.indicators().flat_map(|i| i.pilots.iter()) {
        match spellings.iter_mut().find(|(s, _)| s == name) {
            Some(entry) => entry.1 += 1,
            None => spellings.push((name.clone(), 1)),
        }
    }
    let same = |a: &str, b: &str| {
        let (fa, fb) = (fold(a), fold(b));
        fa == fb || (fa.chars().count() >= 8 && edit_distance(&fa, &fb) <= 1)
    };
    let canonical = |name: &str| -> String {
        spellings
            .iter()
            .filter(|(s, _)| same(s, name))
            .max_by_key(|(s, n)| (s.starts_with(char::is_uppercase), *n, s.chars().count()))
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| name.to_string())
    };
    for objective in &mut draft.objectives {
        for action in &mut objective.actions {
            for indicator in &mut action.indicators {
                let mut names: Vec<String> = Vec::new();
                for name in &indicator.pilots {
                    let c = canonical(name);
                    if !names.contains(&c) {
                        names.push(c);
                    }
                }
                indicator.pilots = names;
            }
        }
    }
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

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

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
                label: "SOCIAL".into()
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
}
