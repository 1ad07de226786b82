//! The first sheet of an XLSX or ODS workbook, read with bounds set before anything is
//! allocated: a workbook is a zip of XML parts, and a few kilobytes of it can declare a sheet of
//! 17 billion cells or unpack to gigabytes. So the parts read are capped in size (declared and
//! actually unpacked), the declared dimension is not trusted (nothing is sized by it), only the
//! cells that hold a value are kept, and a value beyond the sheet limits, too many cells or too
//! much text stop the reading with a message naming the limit.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::FileError;

/// Rows of a plan sheet, at most (a plan has a few hundred).
pub const MAX_ROWS: u64 = 5_000;
/// Columns of a plan sheet, at most (the plan has ten; `CV` is the 100th).
pub const MAX_COLUMNS: u64 = 100;
/// Cells holding a value, at most.
pub const MAX_CELLS: usize = (MAX_ROWS * MAX_COLUMNS) as usize;
/// Unpacked size of one XML part read (sheet, shared strings, workbook…), at most.
pub const MAX_PART_BYTES: u64 = 20 * 1024 * 1024;
/// Text in all the cells, at most (a text shared by many cells counts each time).
pub const MAX_TEXT_BYTES: usize = 20 * 1024 * 1024;
/// Text in one cell, at most.
pub const MAX_CELL_BYTES: usize = 100 * 1024;
/// Files inside the archive, at most.
pub const MAX_ENTRIES: usize = 1_000;

/// The rows of the first sheet, from its first row and column holding a value to its last
/// (as spreadsheets show the used range), every row as wide as the widest.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
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

struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Archive<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, FileError> {
        // The count of entries the end record declares, checked before the directory is read
        // into memory (a zip64 directory declares 0xFFFF here, over the limit too).
        let search_from = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
        let declared = bytes[search_from..]
            .windows(4)
            .rposition(|w| w == b"PK\x05\x06")
            .and_then(|at| bytes.get(search_from + at + 10..search_from + at + 12))
            .map(|n| usize::from(u16::from_le_bytes([n[0], n[1]])));
        if declared.is_some_and(|n| n > MAX_ENTRIES) {
            return Err(FileError::TooManyEntries);
        }
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| FileError::Corrupt(e.to_string()))?;
        if zip.len() > MAX_ENTRIES {
            return Err(FileError::TooManyEntries);
        }
        Ok(Self { zip })
    }

    fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// One part, unpacked as text: refused when it says it is larger than the limit, and
    /// when it turns out larger (the declared size is the sender's word).
    fn part(&mut self, name: &str) -> Result<String, FileError> {
        let corrupt = |e: &dyn std::fmt::Display| FileError::Corrupt(e.to_string());
        let file = self.zip.by_name(name).map_err(|e| corrupt(&e))?;
        if file.size() > MAX_PART_BYTES {
            return Err(FileError::PartTooLarge {
                part: name.to_string(),
                size: Some(file.size()),
            });
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_PART_BYTES + 1).read_to_end(&mut bytes) {
            // The zip reader stops at the declared size: a part that goes on lies about it.
            let lies = e.kind() == std::io::ErrorKind::InvalidData
                && e.to_string().contains("declared uncompressed size");
            return Err(if lies {
                FileError::PartLies(name.to_string())
            } else {
                corrupt(&e)
            });
        }
        if bytes.len() as u64 > MAX_PART_BYTES {
            return Err(FileError::PartTooLarge {
                part: name.to_string(),
                size: None,
            });
        }
        String::from_utf8(bytes).map_err(|_| FileError::Corrupt(format!("{name} : pas en UTF-8")))
    }
}

/// The cells holding a value, kept sparse until the end, within the limits.
#[derive(Default)]
struct Grid {
    cells: Vec<(u32, u32, String)>,
    text: usize,
}

impl Grid {
    /// Keeps a value at (row, column), both from 0; an empty value takes nothing.
    fn put(&mut self, row: u64, column: u64, value: &str) -> Result<(), FileError> {
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

    fn into_rows(self) -> Vec<Vec<String>> {
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
fn parse_reference(reference: &str) -> Option<(u64, u64)> {
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

fn xml_error(part: &str, e: impl std::fmt::Display) -> FileError {
    FileError::Corrupt(format!("{part} : {e}"))
}

/// An attribute by its local name (`r:id` is `id`, `office:value` is `value`).
fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// A character or predefined entity reference, as text.
fn reference_text(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Appends the text of a text, CDATA or reference event; `false` for any other event.
fn push_text(out: &mut String, event: &Event<'_>) -> bool {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => {
            if let Some(c) = reference_text(r) {
                out.push(c);
            }
        }
        _ => return false,
    }
    true
}

/// A number as the sheet shows it: whole numbers without decimals.
fn number_text(raw: &str) -> String {
    match raw.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Ok(f) if f.is_finite() => f.to_string(),
        _ => raw.to_string(),
    }
}

/// OOXML's `_xHHHH_` escapes (`_x000D_` for a carriage return).
fn unescape_ooxml(text: &str) -> String {
    if !text.contains("_x") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let decoded = candidate
            .get(2..6)
            .filter(|_| candidate.as_bytes().get(6) == Some(&b'_'))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &candidate[7..];
            }
            None => {
                out.push_str("_x");
                rest = &candidate[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Resolves a relationship target against the directory of the part that names it.
fn resolve(base_dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The relationships of a `.rels` part: (id, type, target).
fn relationships(part: &str, xml: &str) -> Result<Vec<(String, String, String)>, FileError> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if out.len() >= MAX_ENTRIES {
                    return Err(FileError::TooManyEntries);
                }
                out.push((
                    attribute(&e, "Id").unwrap_or_default(),
                    attribute(&e, "Type").unwrap_or_default(),
                    attribute(&e, "Target").unwrap_or_default(),
                ));
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

fn read_xlsx(archive: &mut Archive<'_>) -> Result<Vec<Vec<String>>, FileError> {
    // The workbook part, as the package's relationships name it.
    let workbook_path = if archive.has("_rels/.rels") {
        let rels = archive.part("_rels/.rels")?;
        relationships("_rels/.rels", &rels)?
            .into_iter()
            .find(|(_, kind, _)| kind.ends_with("/officeDocument"))
            .map(|(_, _, target)| resolve("", &target))
            .unwrap_or_else(|| "xl/workbook.xml".into())
    } else {
        "xl/workbook.xml".into()
    };
    let (dir, file) = workbook_path
        .rsplit_once('/')
        .unwrap_or(("", workbook_path.as_str()));
    let workbook = archive.part(&workbook_path)?;
    // The first sheet of the workbook, in the order of its tabs.
    let mut reader = Reader::from_str(&workbook);
    let sheet_id = loop {
        match reader
            .read_event()
            .map_err(|e| xml_error(&workbook_path, e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                break attribute(&e, "id").ok_or(FileError::NoSheet)?;
            }
            Event::Eof => return Err(FileError::NoSheet),
            _ => {}
        }
    };
    let rels_path = resolve(dir, &format!("_rels/{file}.rels"));
    let rels = archive.part(&rels_path)?;
    let rels = relationships(&rels_path, &rels)?;
    let sheet_path = rels
        .iter()
        .find(|(id, _, _)| *id == sheet_id)
        .map(|(_, _, target)| resolve(dir, target))
        .ok_or(FileError::NoSheet)?;
    let strings_path = rels
        .iter()
        .find(|(_, kind, _)| kind.ends_with("/sharedStrings"))
        .map(|(_, _, target)| resolve(dir, target));
    let strings = match strings_path {
        Some(path) if archive.has(&path) => {
            let xml = archive.part(&path)?;
            shared_strings(&path, &xml)?
        }
        _ => Vec::new(),
    };
    let sheet = archive.part(&sheet_path)?;
    read_xlsx_sheet(&sheet_path, &sheet, &strings)
}

/// The shared strings: the text of each `<si>`, its runs joined, phonetic hints left out.
fn shared_strings(part: &str, xml: &str) -> Result<Vec<String>, FileError> {
    let mut reader = Reader::from_str(xml);
    let mut strings = Vec::new();
    let (mut current, mut in_item, mut in_text, mut phonetic) = (String::new(), false, false, 0);
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        match &event {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => {
                    in_item = true;
                    current.clear();
                }
                "rPh" => phonetic += 1,
                "t" => in_text = in_item && phonetic == 0,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                if strings.len() >= MAX_CELLS {
                    return Err(FileError::TooManyCells);
                }
                strings.push(String::new());
            }
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    if strings.len() >= MAX_CELLS {
                        return Err(FileError::TooManyCells);
                    }
                    strings.push(unescape_ooxml(&current));
                    in_item = false;
                }
                "rPh" => phonetic -= 1,
                "t" => in_text = false,
                _ => {}
            },
            Event::Eof => return Ok(strings),
            other if in_text => {
                push_text(&mut current, other);
            }
            _ => {}
        }
    }
}

/// The value cells of a worksheet part.
fn read_xlsx_sheet(
    part: &str,
    xml: &str,
    strings: &[String],
) -> Result<Vec<Vec<String>>, FileError> {
    let mut reader = Reader::from_str(xml);
    let mut grid = Grid::default();
    // Where the reading is: the row, the next column, the cell being read.
    let (mut row, mut next_column): (u64, u64) = (0, 0);
    let mut started = false;
    let mut cell: Option<(u64, u64, String)> = None;
    let (mut value, mut inline) = (String::new(), String::new());
    let (mut in_value, mut in_inline_text, mut phonetic) = (false, false, 0);
    let position = |e: &BytesStart<'_>, row: u64, next: u64| -> Result<(u64, u64), FileError> {
        match attribute(e, "r") {
            Some(r) => parse_reference(&r)
                .ok_or_else(|| xml_error(part, format!("référence de cellule « {r} » illisible"))),
            None => Ok((row, next)),
        }
    };
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        match &event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "row" => {
                row =
                    match attribute(e, "r") {
                        Some(r) => {
                            r.parse::<u64>().ok().filter(|r| *r > 0).ok_or_else(|| {
                                xml_error(part, format!("ligne « {r} » illisible"))
                            })? - 1
                        }
                        None if started => row + 1,
                        None => 0,
                    };
                started = true;
                next_column = 0;
            }
            Event::Empty(e) if e.local_name().as_ref() == "c" => {
                let (_, column) = position(e, row, next_column)?;
                next_column = column + 1;
            }
            Event::Start(e) if e.local_name().as_ref() == "c" => {
                let (r, column) = position(e, row, next_column)?;
                next_column = column + 1;
                cell = Some((r, column, attribute(e, "t").unwrap_or_default()));
                value.clear();
                inline.clear();
            }
            Event::Start(e) => match e.local_name().as_ref() {
                "v" => in_value = cell.is_some(),
                "rPh" => phonetic += 1,
                "t" => in_inline_text = cell.is_some() && phonetic == 0,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "v" => in_value = false,
                "rPh" => phonetic -= 1,
                "t" => in_inline_text = false,
                "c" => {
                    if let Some((r, column, kind)) = cell.take() {
                        let text = match kind.as_str() {
                            "s" => {
                                let index: usize = value.trim().parse().map_err(|_| {
                                    xml_error(
                                        part,
                                        format!(
                                            "cellule {} : texte partagé illisible",
                                            cell_name(r, column)
                                        ),
                                    )
                                })?;
                                strings.get(index).cloned().ok_or_else(|| {
                                    xml_error(
                                        part,
                                        format!(
                                            "cellule {} : texte partagé introuvable",
                                            cell_name(r, column)
                                        ),
                                    )
                                })?
                            }
                            "inlineStr" => unescape_ooxml(&inline),
                            "b" => match value.trim() {
                                "1" => "true".into(),
                                "0" => "false".into(),
                                other => other.to_string(),
                            },
                            "str" | "e" | "d" => value.clone(),
                            _ => number_text(&value),
                        };
                        grid.put(r, column, &text)?;
                    }
                }
                "sheetData" => break,
                _ => {}
            },
            Event::Eof => break,
            other if in_value || in_inline_text => {
                let target = if in_value { &mut value } else { &mut inline };
                push_text(target, other);
                if target.len() > MAX_CELL_BYTES {
                    let (r, column) = cell.as_ref().map_or((row, next_column), |c| (c.0, c.1));
                    return Err(FileError::CellTooLong(cell_name(r, column)));
                }
            }
            _ => {}
        }
    }
    Ok(grid.into_rows())
}

/// A repeat count (`table:number-rows-repeated`…), 1 when absent.
fn repeats(part: &str, e: &BytesStart<'_>, name: &str) -> Result<u64, FileError> {
    match attribute(e, name) {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|n| n.max(1))
            .map_err(|_| xml_error(part, format!("{name} « {v} » illisible"))),
    }
}

/// The first table of an ODS `content.xml`. Repeated rows and cells are counted, never
/// expanded, unless they hold a value (then each copy counts against the limits).
fn read_ods_content(xml: &str) -> Result<Vec<Vec<String>>, FileError> {
    const PART: &str = "content.xml";
    let mut reader = Reader::from_str(xml);
    let mut grid = Grid::default();
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
                started = true;
            }
            Event::End(e) if e.local_name().as_ref() == "table" => {
                tables = tables.saturating_sub(1);
                if started && tables == 0 {
                    break;
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
    Ok(grid.into_rows())
}

/// A value at (row, column), repeated `count` times to the right, must fit in the sheet's
/// limits: checked before the copies are made.
fn check_cell(row: u64, column: u64, count: u64) -> Result<(), FileError> {
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

    #[test]
    fn ooxml_escapes_are_read() {
        assert_eq!(unescape_ooxml("a_x000D_b"), "a\rb");
        assert_eq!(unescape_ooxml("_x_y_x12"), "_x_y_x12");
    }

    #[test]
    fn relationship_targets_resolve_from_their_part() {
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(resolve("xl", "/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
        assert_eq!(
            resolve("xl/sub", "../sharedStrings.xml"),
            "xl/sharedStrings.xml"
        );
    }

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
        assert_eq!(read_ods_content(content).unwrap(), [["N°", "", "", "3"]]);
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
}
