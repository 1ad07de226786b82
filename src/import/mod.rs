//! Bringing a buyer's plan in from its spreadsheet (XLSX, ODS, CSV with `;` or `,`, TSV), and
//! sending it back out in the same columns.

mod changes;
mod export;
mod preview;
mod reading;
mod workbook;

pub use changes::{Changes, changes};
pub use export::{plan_rows, rows_to_csv, rows_to_xlsx, template_xlsx};
pub use preview::{preview_json, preview_text};
pub use reading::{
    ColumnChoice, Payload, ReadOptions, Table, apply_remembered, locate, marked_period, read_file,
    read_located, read_located_or_ask, read_rows,
};
pub use workbook::{
    MAX_CELL_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_ENTRIES, MAX_PART_BYTES, MAX_ROWS, MAX_SHEETS,
    MAX_TEXT_BYTES, MAX_WORKBOOK_BYTES, Sheet, cell_name,
};

pub use crate::domain::model::{action_key, slugify};

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
    #[error(
        "Le classeur est trop volumineux une fois décompressé : ses feuilles font plus de {max} en tout, la limite d'un classeur importé.",
        max = megabytes(MAX_WORKBOOK_BYTES)
    )]
    WorkbookTooLarge,
}

/// The sheets of a file, as text (a CSV or TSV file is one sheet without a name). Bounded
/// before it allocates: the file's size, then the rows, columns, cells and text that its content
/// may unpack to.
pub fn read_sheets(bytes: &[u8], file_name: &str) -> Result<Vec<Sheet>, FileError> {
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
    Ok(vec![Sheet {
        name: String::new(),
        rows: read_text(bytes, &name)?,
    }])
}

/// The rows of the file's first sheet, as text.
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Vec<Vec<String>>, FileError> {
    Ok(read_sheets(bytes, file_name)?
        .into_iter()
        .next()
        .map(|s| s.rows)
        .unwrap_or_default())
}

/// A CSV or TSV file's rows.
fn read_text(bytes: &[u8], name: &str) -> Result<Vec<Vec<String>>, FileError> {
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
