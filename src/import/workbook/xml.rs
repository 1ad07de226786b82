//! What the XLSX and ODS readers share in reading XML: attributes, text, references, numbers.

use quick_xml::events::{BytesStart, Event};

use crate::import::FileError;

pub(super) fn xml_error(part: &str, e: impl std::fmt::Display) -> FileError {
    FileError::Corrupt(format!("{part} : {e}"))
}

/// An attribute by its local name (`r:id` is `id`, `office:value` is `value`).
pub(super) fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
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
pub(super) fn reference_text(name: &str) -> Option<char> {
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
pub(super) fn push_text(out: &mut String, event: &Event<'_>) -> bool {
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
pub(super) fn number_text(raw: &str) -> String {
    match raw.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Ok(f) if f.is_finite() => f.to_string(),
        _ => raw.to_string(),
    }
}
