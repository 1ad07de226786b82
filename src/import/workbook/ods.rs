//! ODS (OpenDocument): the first table of `content.xml`.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::grid::{Budget, Grid, cell_name, check_cell};
use super::xml::{attribute, number_text, push_text, xml_error};
use super::{MAX_CELL_BYTES, MAX_SHEETS, Sheet};
use crate::import::FileError;

/// A repeat count (`table:number-rows-repeated`…), 1 when absent.
pub(super) fn repeats(part: &str, e: &BytesStart<'_>, name: &str) -> Result<u64, FileError> {
    match attribute(e, name) {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|n| n.max(1))
            .map_err(|_| xml_error(part, format!("{name} « {v} » illisible"))),
    }
}

/// The tables of an ODS `content.xml` (the first [`MAX_SHEETS`]). Repeated rows and cells are
/// counted, never expanded, unless they hold a value (then each copy counts against the
/// limits); a cell spanning rows spreads its value down them.
pub(super) fn read_ods_content(xml: &str) -> Result<Vec<Sheet>, FileError> {
    const PART: &str = "content.xml";
    let mut reader = Reader::from_str(xml);
    let mut sheets: Vec<Sheet> = Vec::new();
    let mut grid = Grid::new(Budget::default());
    let mut name = String::new();
    // Depth of nested tables (a table inside a cell is not the sheet's).
    let mut tables = 0u32;
    let mut started = false;
    let (mut row, mut column): (u64, u64) = (0, 0);
    let mut row_repeats = 1u64;
    // The current row's cells holding a value: (column, repeats, value).
    let mut row_cells: Vec<(u64, u64, String)> = Vec::new();
    // The cell being read: its repeats, its value from attributes, its text, its paragraphs.
    let mut cell: Option<(u64, Option<String>)> = None;
    let mut text = String::new();
    let mut paragraphs = 0u32;

    /// The value of a cell from its attributes, for the types that carry one there.
    fn typed_value(e: &BytesStart<'_>) -> Option<String> {
        match attribute(e, "value-type").as_deref() {
            Some("float" | "percentage" | "currency") => {
                attribute(e, "value").map(|v| number_text(&v))
            }
            Some("boolean") => attribute(e, "boolean-value"),
            Some("date") => attribute(e, "date-value"),
            Some("time") => attribute(e, "time-value"),
            _ => None,
        }
    }

    let flush_row = |grid: &mut Grid,
                     row: u64,
                     row_repeats: u64,
                     cells: &mut Vec<(u64, u64, String)>|
     -> Result<(), FileError> {
        if cells.is_empty() {
            return Ok(());
        }
        for r in 0..row_repeats {
            for (column, count, value) in cells.iter() {
                for c in 0..*count {
                    grid.put(row.saturating_add(r), column.saturating_add(c), value)?;
                }
            }
        }
        cells.clear();
        Ok(())
    };

    loop {
        let event = reader.read_event().map_err(|e| xml_error(PART, e))?;
        match &event {
            Event::Start(e) if e.local_name().as_ref() == "table" => {
                tables += 1;
                if tables == 1 {
                    name = attribute(e, "name").unwrap_or_default();
                    (row, column) = (0, 0);
                }
                started = true;
            }
            Event::End(e) if e.local_name().as_ref() == "table" => {
                tables = tables.saturating_sub(1);
                if started && tables == 0 {
                    let (rows, budget) =
                        std::mem::replace(&mut grid, Grid::new(Budget::default())).into_rows()?;
                    grid = Grid::new(budget);
                    sheets.push(Sheet {
                        name: std::mem::take(&mut name),
                        rows,
                    });
                    if sheets.len() >= MAX_SHEETS {
                        break;
                    }
                }
            }
            _ if tables != 1 => {
                if matches!(event, Event::Eof) {
                    break;
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "annotation" => {
                // A comment on the cell, not its value.
                reader
                    .read_to_end(e.name())
                    .map_err(|e| xml_error(PART, e))?;
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "table-row" => {
                row_repeats = repeats(PART, e, "number-rows-repeated")?;
                column = 0;
                row_cells.clear();
                if matches!(event, Event::Empty(_)) {
                    row = row.saturating_add(row_repeats);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "table-row" => {
                flush_row(&mut grid, row, row_repeats, &mut row_cells)?;
                row = row.saturating_add(row_repeats);
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(e.local_name().as_ref(), "table-cell" | "covered-table-cell") =>
            {
                let count = repeats(PART, e, "number-columns-repeated")?;
                let spanned = repeats(PART, e, "number-rows-spanned")?;
                if spanned > 1 {
                    grid.merge(row, column, row.saturating_add(spanned - 1))?;
                }
                let value = typed_value(e);
                if matches!(event, Event::Empty(_)) {
                    if let Some(v) = value.filter(|v| !v.is_empty()) {
                        check_cell(row, column, count)?;
                        row_cells.push((column, count, v));
                    }
                    column = column.saturating_add(count);
                } else {
                    cell = Some((count, value));
                    text.clear();
                    paragraphs = 0;
                }
            }
            Event::End(e)
                if matches!(e.local_name().as_ref(), "table-cell" | "covered-table-cell") =>
            {
                if let Some((count, value)) = cell.take() {
                    let value = value.unwrap_or_else(|| std::mem::take(&mut text));
                    if !value.is_empty() {
                        check_cell(row, column, count)?;
                        row_cells.push((column, count, value));
                    }
                    column = column.saturating_add(count);
                }
            }
            Event::Start(e) if cell.is_some() && e.local_name().as_ref() == "p" => {
                if paragraphs > 0 {
                    text.push('\n');
                }
                paragraphs += 1;
            }
            Event::Start(e) | Event::Empty(e) if cell.is_some() => match e.local_name().as_ref() {
                "s" => {
                    let spaces = attribute(e, "c")
                        .and_then(|c| c.trim().parse::<usize>().ok())
                        .unwrap_or(1);
                    if text.len().saturating_add(spaces) > MAX_CELL_BYTES {
                        return Err(FileError::CellTooLong(cell_name(row, column)));
                    }
                    text.extend(std::iter::repeat_n(' ', spaces));
                }
                "tab" => text.push('\t'),
                "line-break" => text.push('\n'),
                _ => {}
            },
            Event::Eof => break,
            other if cell.is_some() => {
                push_text(&mut text, other);
                if text.len() > MAX_CELL_BYTES {
                    return Err(FileError::CellTooLong(cell_name(row, column)));
                }
            }
            _ => {}
        }
    }
    if sheets.is_empty() {
        // A table the document never closes: what it held.
        let (rows, _) = grid.into_rows()?;
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ods_repeats_are_counted_not_expanded() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="Plan">
              <table:table-row><table:table-cell office:value-type="string"><text:p>N°</text:p></table:table-cell>
                <table:table-cell table:number-columns-repeated="2"/>
                <table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>
                <table:table-cell table:number-columns-repeated="16380"/></table:table-row>
              <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
            </table:table>
            <table:table table:name="Autre"><table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>
            </office:spreadsheet></office:body></office:document-content>"#;
        let sheets = read_ods_content(content).unwrap();
        assert_eq!(sheets[0].rows, [["N°", "", "", "3"]]);
        assert_eq!(
            (sheets[0].name.as_str(), sheets[1].name.as_str()),
            ("Plan", "Autre")
        );
        let far = r#"<table:table><table:table-row table:number-rows-repeated="6000"/>
            <table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        assert_eq!(
            read_ods_content(far),
            Err(FileError::CellOutOfBounds("A6001".into()))
        );
        let wide = r#"<table:table><table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        assert_eq!(
            read_ods_content(wide),
            Err(FileError::CellOutOfBounds("CW1".into()))
        );
        let spaces = r#"<table:table><table:table-row><table:table-cell><text:p>a<text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row></table:table>"#;
        assert_eq!(
            read_ods_content(spaces),
            Err(FileError::CellTooLong("A1".into()))
        );
    }

    #[test]
    fn ods_cells_spanning_rows_spread_down_and_every_table_is_a_sheet() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="Lisez-moi"><table:table-row><table:table-cell office:value-type="string"><text:p>Bonjour</text:p></table:table-cell></table:table-row></table:table>
            <table:table table:name="Plan">
              <table:table-row><table:table-cell office:value-type="string" table:number-rows-spanned="3"><text:p>Axe I</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row>
              <table:table-row><table:covered-table-cell/><table:table-cell office:value-type="string"><text:p>b</text:p></table:table-cell></table:table-row>
              <table:table-row><table:covered-table-cell/><table:table-cell office:value-type="string"><text:p>c</text:p></table:table-cell></table:table-row>
              <table:table-row><table:table-cell office:value-type="string" table:number-rows-spanned="1048576"><text:p>II</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>d</text:p></table:table-cell></table:table-row>
            </table:table>
            </office:spreadsheet></office:body></office:document-content>"#;
        let sheets = read_ods_content(content).unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].rows, [["Bonjour"]]);
        assert_eq!(sheets[1].name, "Plan");
        assert_eq!(
            sheets[1].rows,
            [["Axe I", "a"], ["Axe I", "b"], ["Axe I", "c"], ["II", "d"]],
            "spread down its rows, never past the last row holding a value"
        );
    }
}
