//! The sheets of an XLSX or ODS workbook, read with bounds set before anything is
//! allocated: a workbook is a zip of XML parts, and a few kilobytes of it can declare a sheet of
//! 17 billion cells or unpack to gigabytes. So the parts read are capped in size (declared and
//! actually unpacked), the declared dimension is not trusted (nothing is sized by it), only the
//! cells that hold a value are kept, and a value beyond the sheet limits, too many cells or too
//! much text stop the reading with a message naming the limit.

mod archive;
mod grid;
mod ods;
mod xlsx;
mod xml;

use super::FileError;
use archive::Archive;
pub use grid::cell_name;
use ods::read_ods_content;
use xlsx::read_xlsx;

/// Rows of a plan sheet, at most (a plan has a few hundred).
pub const MAX_ROWS: u64 = 5_000;
/// Columns of a plan sheet, at most (the plan has ten; `CV` is the 100th).
pub const MAX_COLUMNS: u64 = 100;
/// Cells holding a value, at most.
pub const MAX_CELLS: usize = (MAX_ROWS * MAX_COLUMNS) as usize;
/// Unpacked size of one XML part read (sheet, shared strings, workbook…), at most.
pub const MAX_PART_BYTES: u64 = 20 * 1024 * 1024;
/// Unpacked size of all the parts read together (the sheets, their shared strings…), at most.
pub const MAX_WORKBOOK_BYTES: u64 = 60 * 1024 * 1024;
/// Text in all the cells, at most (a text shared by many cells counts each time).
pub const MAX_TEXT_BYTES: usize = 20 * 1024 * 1024;
/// Text in one cell, at most.
pub const MAX_CELL_BYTES: usize = 100 * 1024;
/// Files inside the archive, at most.
pub const MAX_ENTRIES: usize = 1_000;
/// Sheets read, at most (the others are left unread); the limits on cells and text are for
/// all of them together.
pub const MAX_SHEETS: usize = 20;

/// One sheet: its name and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

/// The sheets, in the order of their tabs (hidden ones left out): each from its first row and
/// column holding a value to its last (as spreadsheets show the used range), every row as wide
/// as the widest, merged cells spread down the rows they cover.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Sheet>, FileError> {
    let mut archive = Archive::open(bytes)?;
    if archive.has("content.xml") {
        let content = archive.part("content.xml")?;
        read_ods_content(&content)
    } else if archive.has("xl/workbook.xml") || archive.has("_rels/.rels") {
        read_xlsx(&mut archive)
    } else {
        Err(FileError::NotASpreadsheet)
    }
}
