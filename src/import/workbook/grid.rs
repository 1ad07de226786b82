//! The cells holding a value, kept sparse and within the sheet's limits, and `A1` names.

use super::{MAX_CELL_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_TEXT_BYTES};
use crate::import::FileError;

/// The cells holding a value, kept sparse until the end, within the limits.
#[derive(Default)]
pub(super) struct Grid {
    cells: Vec<(u32, u32, String)>,
    text: usize,
}

impl Grid {
    /// Keeps a value at (row, column), both from 0; an empty value takes nothing.
    pub(super) fn put(&mut self, row: u64, column: u64, value: &str) -> Result<(), FileError> {
        if value.is_empty() {
            return Ok(());
        }
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(FileError::CellOutOfBounds(cell_name(row, column)));
        }
        if value.len() > MAX_CELL_BYTES {
            return Err(FileError::CellTooLong(cell_name(row, column)));
        }
        self.text += value.len();
        if self.text > MAX_TEXT_BYTES {
            return Err(FileError::TooMuchText);
        }
        if self.cells.len() >= MAX_CELLS {
            return Err(FileError::TooManyCells);
        }
        self.cells
            .push((row as u32, column as u32, value.to_string()));
        Ok(())
    }

    pub(super) fn into_rows(self) -> Vec<Vec<String>> {
        let (Some(first_row), Some(last_row), Some(first_col), Some(last_col)) = (
            self.cells.iter().map(|c| c.0).min(),
            self.cells.iter().map(|c| c.0).max(),
            self.cells.iter().map(|c| c.1).min(),
            self.cells.iter().map(|c| c.1).max(),
        ) else {
            return Vec::new();
        };
        let width = (last_col - first_col + 1) as usize;
        let mut rows = vec![vec![String::new(); width]; (last_row - first_row + 1) as usize];
        for (row, column, value) in self.cells {
            rows[(row - first_row) as usize][(column - first_col) as usize] = value;
        }
        rows
    }
}

/// `A1` names of a cell, from 0-based row and column.
pub fn cell_name(row: u64, column: u64) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// (row, column) from 0 of an `A1` reference; `None` when it is not one.
pub(super) fn parse_reference(reference: &str) -> Option<(u64, u64)> {
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let column = letters
        .bytes()
        .fold(0u64, |n, b| n * 26 + u64::from(b - b'A' + 1));
    let row: u64 = digits.parse().ok().filter(|r| *r > 0)?;
    Some((row - 1, column - 1))
}

/// A value at (row, column), repeated `count` times to the right, must fit in the sheet's
/// limits: checked before the copies are made.
pub(super) fn check_cell(row: u64, column: u64, count: u64) -> Result<(), FileError> {
    if row >= MAX_ROWS {
        return Err(FileError::CellOutOfBounds(cell_name(row, column)));
    }
    if column.saturating_add(count - 1) >= MAX_COLUMNS {
        // The first copy beyond the last column.
        return Err(FileError::CellOutOfBounds(cell_name(
            row,
            column.max(MAX_COLUMNS),
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_and_references_agree() {
        for (row, column, name) in [
            (0, 0, "A1"),
            (9, 25, "Z10"),
            (0, 26, "AA1"),
            (4_999, 99, "CV5000"),
            (1_048_575, 16_383, "XFD1048576"),
        ] {
            assert_eq!(cell_name(row, column), name);
            assert_eq!(parse_reference(name), Some((row, column)));
        }
        assert_eq!(parse_reference("A0"), None);
        assert_eq!(parse_reference("1A"), None);
        assert_eq!(parse_reference("ABCD1"), None);
    }
}
