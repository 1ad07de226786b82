//! Reading a file's plan: the sheet that holds it, where its table starts, what its columns hold
//! (recognised, or as a person mapped them), then its rows.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Sheet, read_sheets};
use crate::domain::columns::{Field, HEADER_SEARCH_ROWS, Layout, column_letter, header_score};
use crate::domain::model::{PlanDraft, PlanHeader};
use crate::domain::sheet::{self, SheetError, SheetNote};

/// What a person chose about a file: the sheet, and what some columns hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOptions {
    /// The sheet, by name; else the one that holds a plan.
    pub sheet: Option<String>,
    /// (the column's header as written, or its letter; a field's key, or `ignore`).
    pub columns: Vec<(String, String)>,
}

impl ReadOptions {
    /// Reads `--column "Cibles=targets"` values.
    pub fn parse_column(spec: &str) -> Result<(String, String), String> {
        let (header, field) = spec.rsplit_once('=').ok_or_else(|| {
            format!(
                "--column « {spec} » : écrivez « En-tête=champ », par exemple « Cibles=targets »"
            )
        })?;
        Field::from_key(field)?;
        Ok((header.trim().to_string(), field.trim().to_string()))
    }
}

/// One column of the table and the field it holds, for the mapping step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnChoice {
    pub letter: String,
    pub header: String,
    /// The field's key ([`Field::key`]); `None`: ignored.
    pub field: Option<String>,
}

/// A plan read from a file, as kept between the preview and the commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub header: PlanHeader,
    pub draft: PlanDraft,
    pub notes: Vec<SheetNote>,
    /// The workbook's sheets, and the one read.
    #[serde(default)]
    pub sheets: Vec<String>,
    #[serde(default)]
    pub sheet: String,
    /// The header row, from 1.
    #[serde(default)]
    pub header_row: usize,
    #[serde(default)]
    pub columns: Vec<ColumnChoice>,
    /// Required fields no column holds yet: the preview asks for them, and nothing can be
    /// saved before they are chosen.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// A file's sheets, the one holding the plan, and its layout.
#[derive(Debug, Clone)]
pub struct Table {
    pub sheets: Vec<Sheet>,
    pub chosen: usize,
    pub layout: Layout,
}

/// `adopté le 16/09/2025`, `Adoption : 16.09.2025`.
static ADOPTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)adopt\w*\s*(?:le|:|en\s+s[ée]ance\s+du|par\s+\D{0,60}?\s+le)?\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
        .expect("adoption regex")
});

impl Table {
    pub fn rows(&self) -> &[Vec<String>] {
        &self.sheets[self.chosen].rows
    }

    /// The period the targets name (markers in the text, « Cible 2025 » columns).
    pub fn marked_period(&self) -> Option<(i32, i32)> {
        sheet::marked_period_with(self.rows(), &self.layout)
    }

    /// Each column of the header row and the field it holds.
    pub fn columns(&self) -> Vec<ColumnChoice> {
        self.layout
            .headers
            .iter()
            .zip(&self.layout.fields)
            .enumerate()
            .map(|(i, (header, field))| ColumnChoice {
                letter: column_letter(i),
                header: header.trim().to_string(),
                field: field.map(Field::key),
            })
            .collect()
    }

    /// An adoption date written above the table or in a footer (`adopté le 16/09/2025`).
    pub fn adopted_on(&self) -> Option<NaiveDate> {
        let rows = self.rows();
        let above = rows.iter().take(self.layout.header_row);
        let footers = rows
            .iter()
            .skip(self.layout.header_row + 1)
            .filter(|r| r.iter().filter(|c| !c.trim().is_empty()).count() == 1);
        above.chain(footers).flatten().find_map(|cell| {
            let caps = ADOPTED.captures(cell)?;
            NaiveDate::from_ymd_opt(
                caps[3].parse().ok()?,
                caps[2].parse().ok()?,
                caps[1].parse().ok()?,
            )
        })
    }
}

/// Finds the plan in a file's sheets: the sheet named, else the one whose header row names the
/// most fields (the first on a tie); then its header row and columns, with the person's choices.
pub fn locate(sheets: Vec<Sheet>, options: &ReadOptions) -> Result<Table, String> {
    if sheets.is_empty() {
        return Err("Le classeur ne contient aucune feuille.".into());
    }
    let chosen = match options.sheet.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(name) => sheets
            .iter()
            .position(|s| sheet::fold(&s.name) == sheet::fold(name))
            .ok_or_else(|| {
                format!(
                    "Feuille « {name} » introuvable (feuilles du classeur : {}).",
                    sheets
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
        None => {
            let score = |s: &Sheet| {
                s.rows
                    .iter()
                    .take(HEADER_SEARCH_ROWS)
                    .map(|r| header_score(r))
                    .max()
                    .unwrap_or(0)
            };
            let mut best = (0, 0);
            for (i, s) in sheets.iter().enumerate() {
                let score = score(s);
                if score > best.1 {
                    best = (i, score);
                }
            }
            best.0
        }
    };
    let mut layout = Layout::of(&sheets[chosen].rows);
    for (header, key) in &options.columns {
        let field = Field::from_key(key).map_err(|e| format!("Colonne « {header} » : {e}."))?;
        layout
            .assign(header, field)
            .map_err(|e| format!("{}.", capitalise(&e)))?;
    }
    Ok(Table {
        sheets,
        chosen,
        layout,
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The message for a plan the rows do not give.
fn sheet_message(e: SheetError) -> String {
    match e {
        SheetError::Empty => "Le fichier ne contient aucune ligne.".to_string(),
        SheetError::MissingColumns(c) => format!(
            "Colonnes introuvables : {}. La ligne d'en-tête doit nommer les colonnes du plan (N° AXE, AXE, N° Objectif, OBJECTIFS, N° ACTION, ACTIONS, Indicateurs, Type d'indicateur, Valeurs cibles, Qui pilote cet indicateur ?, ou leurs synonymes), ou indiquez quelle colonne les contient.",
            c.join(", ")
        ),
        SheetError::Row { line, message } => format!("Ligne {line}, {message}."),
    }
}

/// Reads the plan of a located table for a period.
pub fn read_located(table: &Table, header: PlanHeader) -> Result<Payload, String> {
    let reading = sheet::read_plan_with(
        table.rows(),
        &table.layout,
        header.first_year,
        header.last_year,
    )
    .map_err(sheet_message)?;
    if reading.draft.objectives.is_empty() {
        return Err("Le fichier ne contient aucune action.".into());
    }
    Ok(Payload {
        header,
        draft: reading.draft,
        notes: reading.notes,
        sheets: table.sheets.iter().map(|s| s.name.clone()).collect(),
        sheet: table.sheets[table.chosen].name.clone(),
        header_row: table.layout.header_row + 1,
        columns: table.columns(),
        missing: Vec::new(),
    })
}

/// Like [`read_located`], but a table whose required columns are not all recognised gives an
/// empty plan that says what is missing, for a person to choose those columns.
pub fn read_located_or_ask(table: &Table, header: PlanHeader) -> Result<Payload, String> {
    let missing = table.layout.missing();
    if missing.is_empty() || table.rows().is_empty() {
        return read_located(table, header);
    }
    Ok(Payload {
        header,
        draft: PlanDraft::default(),
        notes: Vec::new(),
        sheets: table.sheets.iter().map(|s| s.name.clone()).collect(),
        sheet: table.sheets[table.chosen].name.clone(),
        header_row: table.layout.header_row + 1,
        columns: table.columns(),
        missing,
    })
}

/// Applies an organisation's remembered mapping (folded header → field key) to the columns of
/// the same header; the others stay as recognised.
pub fn apply_remembered(table: &mut Table, remembered: &[(String, String)]) {
    for (header, key) in remembered {
        let present = table
            .layout
            .headers
            .iter()
            .any(|h| !h.trim().is_empty() && sheet::fold(h) == *header);
        if present && let Ok(field) = Field::from_key(key) {
            let _ = table.layout.assign(header, field);
        }
    }
}

/// Reads a file into a plan for a period: the file, its sheet, its columns, its rows.
pub fn read_file(bytes: &[u8], file_name: &str, header: PlanHeader) -> Result<Payload, String> {
    let sheets = read_sheets(bytes, file_name).map_err(|e| e.to_string())?;
    read_located(&locate(sheets, &ReadOptions::default())?, header)
}

/// Reads a plan for a period from one sheet's rows.
pub fn read_rows(rows: &[Vec<String>], header: PlanHeader) -> Result<Payload, String> {
    let sheets = vec![Sheet {
        name: String::new(),
        rows: rows.to_vec(),
    }];
    read_located(&locate(sheets, &ReadOptions::default())?, header)
}

/// The period a plan file's targets name (`2025: … 2027: …`), for a new plan whose years were
/// not given.
pub fn marked_period(bytes: &[u8], file_name: &str) -> Option<(i32, i32)> {
    let sheets = read_sheets(bytes, file_name).ok()?;
    locate(sheets, &ReadOptions::default())
        .ok()?
        .marked_period()
}
