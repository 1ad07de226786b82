//! Bringing a buyer's plan in from its spreadsheet (XLSX, ODS, CSV with `;` or `,`, TSV), and
//! sending it back out in the same columns.

mod workbook;

pub use workbook::{
    MAX_CELL_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_ENTRIES, MAX_PART_BYTES, MAX_ROWS, MAX_TEXT_BYTES,
    cell_name,
};

use crate::domain::model::{IndicatorKind, PlanDraft};
pub use crate::domain::model::{action_key, slugify};
use crate::domain::sheet::Column;
use crate::domain::targets::{parse_targets, targets_text};
use crate::plans::read::PlanTree;

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// A size in megabytes, for messages.
fn megabytes(bytes: u64) -> String {
    format!("{} Mo", bytes.div_ceil(1024 * 1024))
}

/// A count as French writes it (`5 000`), for messages.
fn count_fr(n: u64) -> String {
    crate::domain::format::number_fr(n.into())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("Le fichier est vide.")]
    Empty,
    #[error("Le fichier dépasse la taille admise (10 Mo).")]
    TooLarge,
    #[error(
        "Ce fichier n'est pas un tableur lisible : envoyez un fichier XLSX, ODS, CSV (séparateur « ; » ou « , ») ou TSV."
    )]
    NotASpreadsheet,
    #[error(
        "Le classeur est illisible ({0}) : ouvrez-le dans votre tableur et enregistrez-le à nouveau."
    )]
    Corrupt(String),
    #[error("Le fichier texte n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 ».")]
    NotUtf8,
    #[error("Le classeur ne contient aucune feuille.")]
    NoSheet,
    #[error(
        "Le fichier compte plus de {max} lignes : c'est la limite d'un plan importé. Ne gardez que les lignes du plan.",
        max = count_fr(MAX_ROWS)
    )]
    TooManyRows,
    #[error(
        "La ligne {} compte {} colonnes : la limite est de {max} colonnes.",
        count_fr(*line as u64),
        count_fr(*count as u64),
        max = count_fr(MAX_COLUMNS)
    )]
    TooManyColumns { line: usize, count: usize },
    #[error(
        "La cellule {0} est au-delà des limites d'un plan importé ({rows} lignes, {columns} colonnes : de A1 à {last}). Videz les cellules en trop et enregistrez à nouveau.",
        rows = count_fr(MAX_ROWS),
        columns = count_fr(MAX_COLUMNS),
        last = workbook::cell_name(MAX_ROWS - 1, MAX_COLUMNS - 1)
    )]
    CellOutOfBounds(String),
    #[error(
        "La cellule {0} contient plus de {max} Ko de texte : c'est la limite d'une cellule.",
        max = MAX_CELL_BYTES / 1024
    )]
    CellTooLong(String),
    #[error(
        "Le classeur a plus de {max} cellules remplies : c'est la limite d'un plan importé.",
        max = count_fr(MAX_CELLS as u64)
    )]
    TooManyCells,
    #[error(
        "Les cellules du classeur contiennent plus de {max} de texte : c'est la limite d'un plan importé.",
        max = megabytes(MAX_TEXT_BYTES as u64)
    )]
    TooMuchText,
    #[error(
        "Le classeur est trop volumineux une fois décompressé : sa partie « {part} » fait {} ; la limite est de {max} par partie.",
        size.map_or_else(|| format!("plus de {}", megabytes(MAX_PART_BYTES)), megabytes),
        max = megabytes(MAX_PART_BYTES)
    )]
    PartTooLarge { part: String, size: Option<u64> },
    #[error(
        "Le classeur est invalide : sa partie « {0} » est plus grande une fois décompressée que la taille qu'elle annonce. Enregistrez-le à nouveau depuis votre tableur."
    )]
    PartLies(String),
    #[error(
        "Le classeur contient plus de {max} fichiers internes : c'est la limite d'un classeur importé.",
        max = count_fr(MAX_ENTRIES as u64)
    )]
    TooManyEntries,
}

/// The rows of the file's first sheet, as text. Bounded before it allocates: the file's size,
/// then the rows, columns, cells and text that its content may unpack to.
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Vec<Vec<String>>, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    let name = file_name.to_lowercase();
    let zipped = bytes.starts_with(b"PK\x03\x04");
    if name.ends_with(".xlsx") || name.ends_with(".xlsm") || name.ends_with(".ods") || zipped {
        if !zipped {
            return Err(FileError::NotASpreadsheet);
        }
        return workbook::read_workbook(bytes);
    }
    if name.ends_with(".xls") {
        return Err(FileError::NotASpreadsheet);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
    let text = text.trim_start_matches('\u{FEFF}');
    if text.chars().any(|c| c == '\0') {
        return Err(FileError::NotASpreadsheet);
    }
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let first = text.lines().next().unwrap_or_default();
    let delimiter = [('\t', b'\t'), (';', b';'), (',', b',')]
        .into_iter()
        .max_by_key(|(c, _)| first.matches(*c).count())
        .filter(|(c, _)| first.contains(*c))
        .map(|(_, b)| b)
        .ok_or(FileError::NotASpreadsheet)?;
    // A cell neutralised against formulas by an export reads back as it was.
    let restore = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|cell| crate::domain::csv_file::restore(&cell).into_owned())
                    .collect()
            })
            .collect()
    };
    let mut rows = Vec::new();
    let mut keep = |row: Vec<String>| {
        if rows.len() as u64 >= MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        rows.push(row);
        Ok(())
    };
    if delimiter == b'\t' {
        // The buyers' exports put quotes inside cells without quoting them: no CSV quoting here.
        for (i, line) in text.lines().enumerate() {
            let count = line.split('\t').count();
            if count as u64 > MAX_COLUMNS {
                return Err(FileError::TooManyColumns { line: i + 1, count });
            }
            keep(line.split('\t').map(str::to_string).collect())?;
        }
        return Ok(restore(rows));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.len() as u64 > MAX_COLUMNS {
                    let line = record.position().map_or(0, |p| p.line() as usize);
                    return Err(FileError::TooManyColumns {
                        line,
                        count: record.len(),
                    });
                }
                keep(record.iter().map(str::to_string).collect())?;
            }
            Err(e) => return Err(FileError::Corrupt(e.to_string())),
        }
    }
    Ok(restore(rows))
}

fn kind_text(kind: Option<IndicatorKind>) -> &'static str {
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
    let mut rows = vec![
        Column::ALL
            .iter()
            .map(|c| c.header().to_string())
            .collect::<Vec<_>>(),
    ];
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

/// What an import changes in an existing plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Changes {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// Items of the plan the file no longer has; removing them loses their values.
    pub removed: Vec<String>,
}

/// Compares a file's plan with the stored one.
pub fn changes(existing: &PlanTree, draft: &PlanDraft) -> Changes {
    let mut out = Changes::default();
    let old_objectives: Vec<_> = existing
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .collect();
    let old_actions: Vec<_> = old_objectives
        .iter()
        .flat_map(|o| o.actions.iter())
        .collect();
    for objective in &draft.objectives {
        match old_objectives.iter().find(|o| o.code == objective.code) {
            Some(o) if o.label != objective.label => out
                .updated
                .push(format!("Objectif {} : intitulé", objective.code)),
            Some(_) => {}
            None => out
                .created
                .push(format!("Objectif {} — {}", objective.code, objective.label)),
        }
        for action in &objective.actions {
            let key = action_key(action.code.as_deref(), &action.label);
            let name = action
                .code
                .as_ref()
                .map_or(action.label.clone(), |c| format!("Action {c}"));
            match old_actions
                .iter()
                .find(|a| action_key(a.code.as_deref(), &a.label) == key)
            {
                None => out.created.push(format!("{name} — {}", action.label)),
                Some(a) => {
                    if a.label != action.label {
                        out.updated.push(format!("{name} : intitulé"));
                    }
                    for (i, indicator) in action.indicators.iter().enumerate() {
                        match a.indicators.get(i) {
                            None => out
                                .created
                                .push(format!("{name} : indicateur « {} »", indicator.label)),
                            Some(old) => {
                                let old_targets: Vec<_> = old
                                    .targets
                                    .iter()
                                    .map(|t| (t.year, t.value, t.text.clone()))
                                    .collect();
                                let new_targets: Vec<_> = indicator
                                    .targets
                                    .iter()
                                    .map(|t| (t.year, t.value, t.text.clone()))
                                    .collect();
                                if old.label != indicator.label
                                    || old_targets != new_targets
                                    || old.unit != indicator.unit
                                    || old.kind != indicator.kind
                                {
                                    out.updated.push(format!(
                                        "{name} : indicateur « {} »",
                                        indicator.label
                                    ));
                                }
                            }
                        }
                    }
                    for old in a.indicators.iter().skip(action.indicators.len()) {
                        out.removed.push(format!(
                            "{name} : indicateur « {} » et ses valeurs saisies",
                            old.label
                        ));
                    }
                }
            }
        }
    }
    let new_keys: Vec<String> = draft
        .actions()
        .map(|a| action_key(a.code.as_deref(), &a.label))
        .collect();
    for old in &old_actions {
        if !new_keys.contains(&action_key(old.code.as_deref(), &old.label)) {
            let name = old
                .code
                .as_ref()
                .map_or(old.label.clone(), |c| format!("Action {c}"));
            out.removed
                .push(format!("{name} — {} et ses valeurs saisies", old.label));
        }
    }
    for old in &old_objectives {
        if !draft.objectives.iter().any(|o| o.code == old.code) {
            out.removed
                .push(format!("Objectif {} — {}", old.code, old.label));
        }
    }
    out
}

/// A plan read from a file, as kept between the preview and the commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payload {
    pub header: crate::domain::model::PlanHeader,
    pub draft: PlanDraft,
    pub notes: Vec<crate::domain::sheet::SheetNote>,
}

/// Reads a file into a plan for a period: the file, its columns, its rows.
pub fn read_file(
    bytes: &[u8],
    file_name: &str,
    header: crate::domain::model::PlanHeader,
) -> Result<Payload, String> {
    let rows = read_table(bytes, file_name).map_err(|e| e.to_string())?;
    read_rows(&rows, header)
}

/// Reads a plan for a period from a file's rows ([`read_table`]).
pub fn read_rows(
    rows: &[Vec<String>],
    header: crate::domain::model::PlanHeader,
) -> Result<Payload, String> {
    let reading = crate::domain::sheet::read_plan(rows, header.first_year, header.last_year)
        .map_err(|e| match e {
            crate::domain::sheet::SheetError::Empty => "Le fichier ne contient aucune ligne.".to_string(),
            crate::domain::sheet::SheetError::MissingColumns(c) => format!(
                "Colonnes introuvables : {}. La première ligne doit nommer les colonnes du plan (N° AXE, AXE, N° Objectif, OBJECTIFS, N° ACTION, ACTIONS, Indicateurs, Type d'indicateur, Valeurs cibles, Qui pilote cet indicateur ?).",
                c.join(", ")
            ),
            crate::domain::sheet::SheetError::Row { line, message } => format!("Ligne {line}, {message}."),
        })?;
    if reading.draft.objectives.is_empty() {
        return Err("Le fichier ne contient aucune action.".into());
    }
    Ok(Payload {
        header,
        draft: reading.draft,
        notes: reading.notes,
    })
}

/// The period a plan file's targets name (`2025: … 2027: …`), for a new plan whose years were
/// not given.
pub fn marked_period(bytes: &[u8], file_name: &str) -> Option<(i32, i32)> {
    crate::domain::sheet::marked_period(&read_table(bytes, file_name).ok()?)
}

/// The preview as text, for the command line.
pub fn preview_text(payload: &Payload, changes: Option<&Changes>) -> String {
    use std::fmt::Write;
    let d = &payload.draft;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "« {} » ({}–{}) : {} axe(s), {} objectif(s), {} action(s), {} indicateur(s), {} pilote(s)",
        payload.header.title,
        payload.header.first_year,
        payload.header.last_year,
        d.axes.len(),
        d.objectives.len(),
        d.actions().count(),
        d.indicators().count(),
        d.pilot_names().len()
    );
    for objective in &d.objectives {
        let _ = writeln!(out, "Objectif {} — {}", objective.code, objective.label);
        for action in &objective.actions {
            let _ = writeln!(
                out,
                "  Action {} — {}",
                action.code.as_deref().unwrap_or("—"),
                action.label
            );
            for indicator in &action.indicators {
                let _ = writeln!(out, "    Indicateur : {}", indicator.label);
                for t in &indicator.targets {
                    let value = t
                        .value
                        .map(|v| crate::domain::format::quantity_fr(v, indicator.unit.as_deref()));
                    let said = match (value, &t.text) {
                        (Some(v), Some(text)) => format!("{v} (« {text} »)"),
                        (Some(v), None) => v,
                        (None, Some(text)) => format!("« {text} » (texte)"),
                        (None, None) => "—".into(),
                    };
                    let _ = writeln!(
                        out,
                        "      {} : {}",
                        t.year,
                        said.replace(['\u{202F}', '\u{A0}'], " ")
                    );
                }
            }
        }
    }
    if !payload.notes.is_empty() {
        let _ = writeln!(out, "À vérifier :");
        for note in &payload.notes {
            let _ = writeln!(out, "  ligne {} : {}", note.line, note.message);
        }
    }
    if let Some(c) = changes {
        let _ = writeln!(
            out,
            "Mise à jour du plan existant : {} création(s), {} modification(s), {} retrait(s)",
            c.created.len(),
            c.updated.len(),
            c.removed.len()
        );
        for r in &c.removed {
            let _ = writeln!(out, "  retrait : {r}");
        }
    }
    out
}
