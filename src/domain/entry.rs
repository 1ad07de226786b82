//! Reading what a person types in the entry form: numbers written the French way, checked
//! against the indicator's unit.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::format::number_fr;
use super::targets::normalize_unit;

/// A number as French users type it: `12 000`, `12 000,5`, `12000.5`, `95 %`, `31 107,86 €`,
/// with ordinary, non-breaking or thin spaces. Returns the number and the unit written after it,
/// if any; an empty input is `Ok(None)`.
pub fn parse_number(input: &str) -> Result<Option<(Decimal, Option<String>)>, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let not_a_number =
        || format!("« {trimmed} » n'est pas un nombre : écrivez par exemple 12 000 ou 12 000,5.");
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
    // A space separates thousands, and only between groups of three digits: « 12 000 »,
    // « 1 234 567,5 », never « 1 2 3 » (which would otherwise read as 123).
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
        return Err(format!(
            "« {trimmed} » est trop grand : {} au plus.",
            number_fr(max_number())
        ));
    }
    let value =
        Decimal::from_str(normalized.trim_start_matches('+')).map_err(|_| not_a_number())?;
    Ok(Some((value, unit)))
}

/// Digits before the decimal separator a number may have: up to 999 999 999 999 999, far beyond
/// any real quantity, and far enough below the largest decimal that no computation on it overflows.
const MAX_DIGITS: usize = 15;

/// The largest number accepted.
pub fn max_number() -> Decimal {
    Decimal::from(999_999_999_999_999_i64)
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

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{00A0}' || c == '\u{202F}' || c == '\u{2009}'
}

/// Checks a number against the indicator's unit: the unit typed (if any) must be the
/// indicator's; a percentage lies within 0–100; a quantity is not negative.
pub fn check_quantity(
    value: Decimal,
    typed_unit: Option<&str>,
    unit: Option<&str>,
) -> Result<(), String> {
    if let Some(typed) = typed_unit
        && Some(typed) != unit
    {
        return Err(match unit {
            Some(u) => format!("Unité attendue : {u}."),
            None => "Saisissez un nombre sans unité.".to_string(),
        });
    }
    if unit == Some("%") && (value < Decimal::ZERO || value > Decimal::ONE_HUNDRED) {
        return Err("Un pourcentage est compris entre 0 et 100.".into());
    }
    if value < Decimal::ZERO {
        return Err("Une quantité ne peut pas être négative.".into());
    }
    Ok(())
}

/// A percentage from two counts: 18 out of 20 → 90.
pub fn ratio(numerator: Decimal, denominator: Decimal) -> Result<Decimal, String> {
    if denominator <= Decimal::ZERO {
        return Err("Le dénominateur doit être supérieur à 0.".into());
    }
    if numerator < Decimal::ZERO {
        return Err("Le numérateur ne peut pas être négatif.".into());
    }
    if numerator > denominator {
        return Err("Le numérateur ne peut pas dépasser le dénominateur.".into());
    }
    numerator
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|n| n.checked_div(denominator))
        .map(|r| r.round_dp(1))
        .ok_or_else(|| {
            format!(
                "Le numérateur et le dénominateur sont trop grands : {} au plus.",
                number_fr(max_number())
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_as_french_users_type_them() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("12 000", "12000", None),
            ("12\u{00A0}000", "12000", None),
            ("12\u{202F}000,5", "12000.5", None),
            ("12000.5", "12000.5", None),
            ("12 000,5", "12000.5", None),
            ("95 %", "95", Some("%")),
            ("95%", "95", Some("%")),
            ("31 107,86 €", "31107.86", Some("€")),
            ("1.234,5", "1234.5", None),
            ("1,234.5", "1234.5", None),
            ("10 500 heures", "10500", Some("h")),
            ("10500 h", "10500", Some("h")),
            ("-3", "-3", None),
            ("0", "0", None),
            ("  7  ", "7", None),
            ("1 234 567,5", "1234567.5", None),
            ("1 234 567.5", "1234567.5", None),
            ("-12 000", "-12000", None),
            ("12   000", "12000", None),
            ("999 999 999 999 999", "999999999999999", None),
            ("0000000000000000000012", "12", None),
        ];
        for (input, value, unit) in cases {
            let (v, u) = parse_number(input)
                .unwrap()
                .unwrap_or_else(|| panic!("{input}"));
            assert_eq!((v, u.as_deref()), (d(value), *unit), "{input}");
        }
        assert_eq!(parse_number("   "), Ok(None));
    }

    #[test]
    fn what_is_not_a_number_is_refused_in_french() {
        for input in [
            "abc",
            "12 abc 3",
            "1,2,3",
            "1.2.3",
            "--4",
            "4-",
            "€",
            "12 €€€€€€€€€€€€€€€€",
            " 1 2 3 ",
            "1 2 3",
            "12 00",
            "1 2345",
            "1234 567",
            "1 234 56,5",
            "1 234,5 6",
            "- 3",
            "+-1 000",
            "1 234,",
        ] {
            let error = parse_number(input).unwrap_err();
            assert!(error.contains("n'est pas un nombre"), "{input}: {error}");
        }
    }

    #[test]
    fn numbers_too_large_are_refused_before_any_computation() {
        for input in [
            "79228162514264337593543950335",
            "1 000 000 000 000 000",
            "99999999999999999999999999999999999",
            "-1000000000000000",
        ] {
            let error = parse_number(input).unwrap_err();
            assert!(
                error.contains(
                    "est trop grand : 999\u{202F}999\u{202F}999\u{202F}999\u{202F}999 au plus"
                ),
                "{input}: {error}"
            );
        }
        let max = Decimal::MAX;
        assert!(ratio(max, max).unwrap_err().contains("trop grands"));
        assert_eq!(ratio(max_number(), max_number()), Ok(d("100")));
    }

    #[test]
    fn quantities_are_checked_against_the_unit() {
        assert!(check_quantity(d("95"), Some("%"), Some("%")).is_ok());
        assert!(check_quantity(d("95"), None, Some("%")).is_ok());
        assert_eq!(
            check_quantity(d("101"), None, Some("%")).unwrap_err(),
            "Un pourcentage est compris entre 0 et 100."
        );
        assert_eq!(
            check_quantity(d("-1"), None, Some("%")).unwrap_err(),
            "Un pourcentage est compris entre 0 et 100."
        );
        assert_eq!(
            check_quantity(d("-1"), None, Some("h")).unwrap_err(),
            "Une quantité ne peut pas être négative."
        );
        assert_eq!(
            check_quantity(d("95"), Some("€"), Some("%")).unwrap_err(),
            "Unité attendue : %."
        );
        assert_eq!(
            check_quantity(d("5"), Some("h"), None).unwrap_err(),
            "Saisissez un nombre sans unité."
        );
    }

    #[test]
    fn a_percentage_from_two_counts() {
        assert_eq!(ratio(d("18"), d("20")), Ok(d("90")));
        assert_eq!(ratio(d("2"), d("3")), Ok(d("66.7")));
        assert!(ratio(d("1"), d("0")).is_err());
        assert!(ratio(d("21"), d("20")).is_err());
        assert!(ratio(d("-1"), d("20")).is_err());
    }
}
