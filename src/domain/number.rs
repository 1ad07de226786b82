//! Numbers written the French way: the one reader behind every number a person writes — a value
//! on the entry page, a target or baseline of an imported plan, a target corrected at the import
//! preview, an amount of a DECP file.
//!
//! The rules:
//! - a comma or a point is the decimal separator (`12,5`, `12.5`); with both, the last one is
//!   (`1.234,5`, `1,234.5`);
//! - a space (ordinary, no-break U+00A0, narrow no-break U+202F or thin U+2009) separates
//!   thousands, and only between groups of exactly three digits: `12 000`, `1 234 567,5`, never
//!   `1 2 3` nor `12 00`;
//! - an optional sign before the number;
//! - a unit may follow (`95 %`, `31 107,86 €`, `90 K€`, `10 500 heures`): letters, `%` or `€`,
//!   15 characters at most, written canonically (`heures` → `h`, `K€` → `k€`);
//! - at most 999 999 999 999 999, far beyond any real quantity and far enough below the largest
//!   decimal that no computation on it overflows.
//!
//! Readers of free text (the « Valeurs cibles » of a plan) find where a number is written and
//! hand that writing to [`parse_fr`].

use std::str::FromStr;

use rust_decimal::Decimal;

use super::format::number_fr;

/// A number as written, and the unit written after it (canonical, see [`normalize_unit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrenchNumber {
    pub value: Decimal,
    pub unit: Option<String>,
}

/// Why a writing is not a number; its message, in French, quotes the writing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("« {0} » n'est pas un nombre : écrivez par exemple 12 000 ou 12 000,5.")]
    NotANumber(String),
    #[error("« {0} » est trop grand : {max} au plus.", max = number_fr(max_number()))]
    TooLarge(String),
}

/// The spaces that may separate thousands: ordinary, no-break, narrow no-break, thin.
pub const SPACES: &str = " \u{00A0}\u{202F}\u{2009}";

/// Digits before the decimal separator a number may have.
pub const MAX_DIGITS: usize = 15;

/// The largest number accepted: 999 999 999 999 999.
pub fn max_number() -> Decimal {
    Decimal::from(999_999_999_999_999_i64)
}

pub fn is_space(c: char) -> bool {
    SPACES.contains(c)
}

/// Reads a number written the French way, with the unit written after it if any. An empty (or
/// blank) writing is `Ok(None)`.
pub fn parse_fr(input: &str) -> Result<Option<FrenchNumber>, NumberError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let not_a_number = || NumberError::NotANumber(trimmed.to_string());
    // Split the number from a unit written after it.
    let end = trimmed
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+') || is_space(*c)))
        .map_or(trimmed.len(), |(i, _)| i);
    let (number, unit) = trimmed.split_at(end);
    let unit = unit.trim();
    let unit = if unit.is_empty() {
        None
    } else if unit
        .chars()
        .all(|c| c.is_alphabetic() || c == '%' || c == '€')
        && unit.chars().count() <= 15
    {
        Some(normalize_unit(unit))
    } else {
        return Err(not_a_number());
    };
    let groups: Vec<&str> = number.split(is_space).filter(|g| !g.is_empty()).collect();
    if groups.len() > 1 && !grouped_by_thousands(&groups) {
        return Err(not_a_number());
    }
    let compact: String = groups.concat();
    if compact.is_empty()
        || compact.matches(['-', '+']).count() > 1
        || compact[1..].contains(['-', '+'])
    {
        return Err(not_a_number());
    }
    // With both separators, the last is the decimal one; a lone comma is decimal; a lone dot too.
    let normalized = match (compact.rfind(','), compact.rfind('.')) {
        (Some(c), Some(d)) if c > d => compact.replace('.', "").replacen(',', ".", 1),
        (Some(_), Some(_)) => compact.replace(',', ""),
        (Some(_), None) => compact.replacen(',', ".", 1),
        _ => compact,
    };
    if normalized.matches('.').count() > 1 {
        return Err(not_a_number());
    }
    let integer_digits = normalized
        .trim_start_matches(['+', '-'])
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_start_matches('0')
        .len();
    if integer_digits > MAX_DIGITS {
        return Err(NumberError::TooLarge(trimmed.to_string()));
    }
    let value =
        Decimal::from_str(normalized.trim_start_matches('+')).map_err(|_| not_a_number())?;
    Ok(Some(FrenchNumber { value, unit }))
}

/// Whether space-separated parts are thousands groups: the first of one to three digits (after an
/// optional sign), the others of exactly three, the last possibly followed by its decimals.
fn grouped_by_thousands(groups: &[&str]) -> bool {
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let (first, rest) = groups.split_first().expect("two groups at least");
    let (last, middle) = rest.split_last().expect("two groups at least");
    let last_integer = last.split([',', '.']).next().unwrap_or_default();
    let decimals = &last[last_integer.len()..];
    digits(first.trim_start_matches(['+', '-']), 1..=3)
        && first.len() - first.trim_start_matches(['+', '-']).len() <= 1
        && middle.iter().all(|g| digits(g, 3..=3))
        && digits(last_integer, 3..=3)
        && (decimals.is_empty() || digits(&decimals[1..], 1..=usize::MAX))
}

/// The canonical writing of a unit: `%`, `h` (for heure, heures), `€`, `k€`, `M€`, otherwise the
/// word in lower case and in the plural (`formation` → `formations`).
pub fn normalize_unit(unit: &str) -> String {
    let lower = unit.to_lowercase();
    match lower.as_str() {
        "%" => "%".into(),
        "h" | "heure" | "heures" => "h".into(),
        "€" => "€".into(),
        "k€" => "k€".into(),
        "m€" => "M€".into(),
        other => {
            if other.ends_with('s') {
                other.to_string()
            } else {
                format!("{other}s")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn read(input: &str) -> (Decimal, Option<String>) {
        let n = parse_fr(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .unwrap_or_else(|| panic!("{input:?}: nothing read"));
        (n.value, n.unit)
    }

    #[test]
    fn numbers_as_french_users_write_them() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            // Thousands, with every kind of space.
            ("12 000", "12000", None),
            ("12\u{00A0}000", "12000", None),
            ("12\u{202F}000", "12000", None),
            ("12\u{2009}000", "12000", None),
            ("12   000", "12000", None),
            ("1 234 567", "1234567", None),
            ("999 999 999 999 999", "999999999999999", None),
            // Decimals: comma or point; with both, the last one.
            ("12 000,5", "12000.5", None),
            ("12\u{202F}000,5", "12000.5", None),
            ("12000.5", "12000.5", None),
            ("1 234 567,5", "1234567.5", None),
            ("1 234 567.5", "1234567.5", None),
            ("1.234,5", "1234.5", None),
            ("1,234.5", "1234.5", None),
            ("1,5", "1.5", None),
            ("0,75", "0.75", None),
            (",5", "0.5", None),
            (".5", "0.5", None),
            ("12,000", "12", None),
            // Signs, zeros, surrounding blanks.
            ("-3", "-3", None),
            ("+3", "3", None),
            ("-12 000", "-12000", None),
            ("0", "0", None),
            ("  7  ", "7", None),
            ("\u{00A0}7\u{202F}", "7", None),
            ("0000000000000000000012", "12", None),
            ("999999999999999.999", "999999999999999.999", None),
            // Units after the number, written canonically.
            ("95 %", "95", Some("%")),
            ("95%", "95", Some("%")),
            ("95\u{202F}%", "95", Some("%")),
            ("31 107,86 €", "31107.86", Some("€")),
            ("90K€", "90", Some("k€")),
            ("2,5 M€", "2.5", Some("M€")),
            ("10 500 heures", "10500", Some("h")),
            ("1 heure", "1", Some("h")),
            ("10500 h", "10500", Some("h")),
            ("10500 H", "10500", Some("h")),
            ("1 formation", "1", Some("formations")),
            ("20 personnes", "20", Some("personnes")),
            ("3 réunions", "3", Some("réunions")),
        ];
        for (input, value, unit) in cases {
            assert_eq!(
                read(input),
                (d(value), unit.map(str::to_string)),
                "{input:?}"
            );
        }
        for blank in ["", "   ", "\u{00A0}", "\t\n"] {
            assert_eq!(parse_fr(blank), Ok(None), "{blank:?}");
        }
    }

    #[test]
    fn what_is_not_a_number_is_refused_in_french() {
        for input in [
            "abc",
            "12 abc 3",
            "12 h 30",
            "1,2,3",
            "1.2.3",
            "1,234,567",
            "--4",
            "4-",
            "1-2",
            "+-1 000",
            "- 3",
            "-",
            ",",
            "%",
            "€",
            "€ 12",
            "12 €€€€€€€€€€€€€€€€",
            "12 kilomètresparheure",
            "12 h2",
            "1e5",
            "0x1F",
            // Spaces only between groups of three digits.
            " 1 2 3 ",
            "1 2 3",
            "12 00",
            "1 2345",
            "1234 567",
            "1 234 56,5",
            "1 234,5 6",
            "1 234,",
            "1 234,5,6",
            "12\u{00A0}00",
            // Only these spaces: a tab or a line break is not a thousands separator.
            "12\t000",
            "12\n000",
        ] {
            let error = parse_fr(input).unwrap_err();
            assert_eq!(error, NumberError::NotANumber(input.trim().to_string()));
            assert_eq!(
                error.to_string(),
                format!(
                    "« {} » n'est pas un nombre : écrivez par exemple 12 000 ou 12 000,5.",
                    input.trim()
                )
            );
        }
    }

    #[test]
    fn numbers_beyond_the_bound_are_refused_before_any_computation() {
        for input in [
            "1 000 000 000 000 000",
            "1000000000000000",
            "-1000000000000000",
            "79228162514264337593543950335",
            "99999999999999999999999999999999999",
            "1 000 000 000 000 000,5 €",
        ] {
            let error = parse_fr(input).unwrap_err();
            assert_eq!(error, NumberError::TooLarge(input.to_string()));
            assert_eq!(
                error.to_string(),
                format!(
                    "« {input} » est trop grand : 999\u{202F}999\u{202F}999\u{202F}999\u{202F}999 au plus."
                )
            );
        }
        assert_eq!(read("-999 999 999 999 999").0, -max_number());
    }

    #[test]
    fn units_are_written_one_way() {
        for (unit, canonical) in [
            ("%", "%"),
            ("h", "h"),
            ("Heures", "h"),
            ("€", "€"),
            ("K€", "k€"),
            ("m€", "M€"),
            ("formation", "formations"),
            ("Marchés", "marchés"),
        ] {
            assert_eq!(normalize_unit(unit), canonical, "{unit}");
        }
    }
}
