//! CSV files as spreadsheets in France open them (UTF-8 with a byte order mark, `;`), with no cell
//! a spreadsheet would run as a formula.

use std::borrow::Cow;

/// What a spreadsheet reads as the start of a formula when a cell begins with it (OWASP, « CSV
/// Injection »): `=`, `+`, `-`, `@`, a tab, a carriage return.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell of a CSV file.
pub enum Cell {
    /// Text, from a person or a file: neutralised.
    Text(String),
    /// A number the application wrote itself (`-12,5`): left as it is, so that it stays a number.
    Number(String),
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe, as OWASP advises: the
/// spreadsheet then shows it as text, the apostrophe hidden.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Undoes [`neutralise`] when a CSV file is read back: an apostrophe before what would start a
/// formula is dropped, so that an exported plan imports as the same plan.
pub fn restore(text: &str) -> Cow<'_, str> {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => Cow::Owned(rest.to_string()),
        _ => Cow::Borrowed(text),
    }
}

/// The file: a byte order mark, then the rows separated by `;`, quoted where needed, every text
/// cell neutralised.
pub fn write(rows: impl IntoIterator<Item = Vec<Cell>>) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        for row in rows {
            let record: Vec<Cow<'_, str>> = row
                .iter()
                .map(|cell| match cell {
                    Cell::Text(t) => neutralise(t),
                    Cell::Number(n) => Cow::Borrowed(n.as_str()),
                })
                .collect();
            let _ = writer.write_record(record.iter().map(|c| c.as_bytes()));
        }
        let _ = writer.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        for text in [
            "=1+1",
            "+33 1 23 45 67 89",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1:A9)",
            "\t=1",
            "\r=1",
        ] {
            let safe = neutralise(text);
            assert_eq!(safe, format!("'{text}"));
            assert_eq!(restore(&safe), text);
        }
        for text in ["Texte", "12 000", "'apostrophe", "", " =1"] {
            assert_eq!(neutralise(text), text);
            assert_eq!(restore(text), text);
        }
    }

    #[test]
    fn a_file_quotes_what_needs_it_and_keeps_numbers() {
        let bytes = write([vec![
            Cell::Text("=HYPERLINK(\"http://x\";\"y\")".into()),
            Cell::Number("-12,5".into()),
            Cell::Text("a;b".into()),
        ]]);
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            "\u{FEFF}\"'=HYPERLINK(\"\"http://x\"\";\"\"y\"\")\";-12,5;\"a;b\"\n"
        );
    }
}
