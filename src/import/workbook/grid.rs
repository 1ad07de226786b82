//! The cells holding a value, kept sparse and within the sheet's limits, and `A1` names.

use super::{MAX_CELL_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_TEXT_BYTES};
use crate::import::FileError;

/// What the whole workbook may still hold: its sheets share the limits on cells and text.
#[derive(Default)]
pub(super) struct Budget {
    cells: usize,
    text: usize,
}

impl Budget {
    fn take(&mut self, text: usize) -> Result<(), FileError> {
        self.text += text;
        if self.text > MAX_TEXT_BYTES {
            return Err(FileError::TooMuchText);
        }
        if self.cells >= MAX_CELLS {
            return Err(FileError::TooManyCells);
        }
        self.cells += 1;
        Ok(())
    }
}

/// The cells holding a value, kept sparse until the end, within the limits; and the merged
/// ranges, spread at the end.
pub(super) struct Grid {
    cells: Vec<(u32, u32, String)>,
    /// (first row, column, last row) of each range merged down.
    merges: Vec<(u64, u64, u64)>,
    budget: Budget,
}

impl Grid {
    pub(super) fn new(budget: Budget) -> Self {
        Self {
            cells: Vec::new(),
            merges: Vec::new(),
            budget,
        }
    }

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
        self.budget.take(value.len())?;
        self.cells
            .push((row as u32, column as u32, value.to_string()));
        Ok(())
    }

    /// A range merged over rows `first..=last` of a column: its value (the first cell's) is
    /// spread down when the rows are made. Ranges past the sheet's limits are clipped to the
    /// cells that hold values, so they never widen the sheet.
    pub(super) fn merge(&mut self, first: u64, column: u64, last: u64) -> Result<(), FileError> {
        if last <= first || first >= MAX_ROWS || column >= MAX_COLUMNS {
            return Ok(());
        }
        if self.merges.len() >= MAX_CELLS {
            return Err(FileError::TooManyCells);
        }
        self.merges.push((first, column, last));
        Ok(())
    }

    /// The rows, from the first row and column holding a value to the last, and what is left
    /// of the budget for the next sheets.
    pub(super) fn into_rows(mut self) -> Result<(Vec<Vec<String>>, Budget), FileError> {
        let (Some(first_row), Some(last_row), Some(first_col), Some(last_col)) = (
            self.cells.iter().map(|c| c.0).min(),
            self.cells.iter().map(|c| c.0).max(),
            self.cells.iter().map(|c| c.1).min(),
            self.cells.iter().map(|c| c.1).max(),
        ) else {
            return Ok((Vec::new(), self.budget));
        };
        let width = (last_col - first_col + 1) as usize;
        let mut rows = vec![vec![String::new(); width]; (last_row - first_row + 1) as usize];
        for (row, column, value) in std::mem::take(&mut self.cells) {
            rows[(row - first_row) as usize][(column - first_col) as usize] = value;
        }
        let (first_row, last_row) = (u64::from(first_row), u64::from(last_row));
        let (first_col, last_col) = (u64::from(first_col), u64::from(last_col));
        for (top, column, bottom) in std::mem::take(&mut self.merges) {
            if top < first_row || top > last_row || column < first_col || column > last_col {
                continue;
            }
            let c = (column - first_col) as usize;
            let value = rows[(top - first_row) as usize][c].clone();
            if value.is_empty() {
                continue;
            }
            for r in top + 1..=bottom.min(last_row) {
                let cell = &mut rows[(r - first_row) as usize][c];
                if cell.is_empty() {
                    self.budget.take(value.len())?;
                    cell.clone_from(&value);
                }
            }
        }
        Ok((rows, self.budget))
    }
}

/// A range `A3:B7`: (first row, first column, last row, last column) from 0.
pub(super) fn parse_range(range: &str) -> Option<(u64, u64, u64, u64)> {
    let (from, to) = range.split_once(':')?;
    let (r0, c0) = parse_reference(from)?;
    let (r1, c1) = parse_reference(to)?;
    Some((r0.min(r1), c0.min(c1), r0.max(r1), c0.max(c1)))
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
