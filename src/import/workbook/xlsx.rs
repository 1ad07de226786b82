//! XLSX (Office Open XML): the workbook's relationships lead to the first sheet and to the
//! shared strings.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::archive::Archive;
use super::grid::{Budget, Grid, cell_name, parse_range, parse_reference};
use super::xml::{attribute, number_text, push_text, xml_error};
use super::{MAX_CELL_BYTES, MAX_CELLS, MAX_ENTRIES, MAX_SHEETS, Sheet};
use crate::import::FileError;

/// OOXML's `_xHHHH_` escapes (`_x000D_` for a carriage return).
pub(super) fn unescape_ooxml(text: &str) -> String {
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
pub(super) fn resolve(base_dir: &str, target: &str) -> String {
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
pub(super) fn relationships(
    part: &str,
    xml: &str,
) -> Result<Vec<(String, String, String)>, FileError> {
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

pub(super) fn read_xlsx(archive: &mut Archive<'_>) -> Result<Vec<Sheet>, FileError> {
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
    // The sheets of the workbook, in the order of their tabs: (name, relationship id).
    let mut reader = Reader::from_str(&workbook);
    let mut listed: Vec<(String, String)> = Vec::new();
    loop {
        match reader
            .read_event()
            .map_err(|e| xml_error(&workbook_path, e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let hidden = attribute(&e, "state").is_some_and(|s| s != "visible");
                if hidden {
                    continue;
                }
                let id = attribute(&e, "id").ok_or(FileError::NoSheet)?;
                listed.push((attribute(&e, "name").unwrap_or_default(), id));
                if listed.len() >= MAX_SHEETS {
                    break;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if listed.is_empty() {
        return Err(FileError::NoSheet);
    }
    let rels_path = resolve(dir, &format!("_rels/{file}.rels"));
    let rels = archive.part(&rels_path)?;
    let rels = relationships(&rels_path, &rels)?;
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
    let mut budget = Budget::default();
    let mut sheets = Vec::new();
    for (name, id) in listed {
        let sheet_path = rels
            .iter()
            .find(|(rel, _, _)| *rel == id)
            .map(|(_, _, target)| resolve(dir, target))
            .ok_or(FileError::NoSheet)?;
        let sheet = archive.part(&sheet_path)?;
        let (rows, left) = read_xlsx_sheet(&sheet_path, &sheet, &strings, budget)?;
        budget = left;
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

/// The shared strings: the text of each `<si>`, its runs joined, phonetic hints left out.
pub(super) fn shared_strings(part: &str, xml: &str) -> Result<Vec<String>, FileError> {
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
pub(super) fn read_xlsx_sheet(
    part: &str,
    xml: &str,
    strings: &[String],
    budget: Budget,
) -> Result<(Vec<Vec<String>>, Budget), FileError> {
    let mut reader = Reader::from_str(xml);
    let mut grid = Grid::new(budget);
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
                "mergeCell" => {
                    if let Some((top, column, bottom, _)) =
                        attribute(e, "ref").as_deref().and_then(parse_range)
                    {
                        grid.merge(top, column, bottom)?;
                    }
                }
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
                _ => {}
            },
            // After the cells: the ranges merged down, spread over their rows.
            Event::Empty(e) if e.local_name().as_ref() == "mergeCell" => {
                if let Some((top, column, bottom, _)) =
                    attribute(e, "ref").as_deref().and_then(parse_range)
                {
                    grid.merge(top, column, bottom)?;
                }
            }
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
    grid.into_rows()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(resolve("xl/worksheets", "../styles.xml"), "xl/styles.xml");
    }
}
