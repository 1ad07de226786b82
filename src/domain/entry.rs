//! Reading what a person types in the entry form: numbers written the French way, checked
//! against the indicator's unit.

use rust_decimal::Decimal;

use super::format::number_fr;
use super::number::{max_number, parse_fr};

/// A number as French users type it (`12 000`, `12 000,5`, `95 %`, `31 107,86 €`: the rules of
/// [`parse_fr`]). Returns the number and the unit written after it, if any; an empty input is
/// `Ok(None)`; an error is the French message to show beside the field.
pub fn parse_number(input: &str) -> Result<Option<(Decimal, Option<String>)>, String> {
    parse_fr(input)
        .map(|read| read.map(|n| (n.value, n.unit)))
        .map_err(|e| e.to_string())
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
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn the_entry_form_reads_numbers_with_the_one_reader() {
        assert_eq!(
            parse_number(" 31 107,86 € "),
            Ok(Some((d("31107.86"), Some("€".to_string()))))
        );
        assert_eq!(parse_number("12\u{202F}000"), Ok(Some((d("12000"), None))));
        assert_eq!(parse_number("   "), Ok(None));
        assert_eq!(
            parse_number("1 2 3").unwrap_err(),
            "« 1 2 3 » n'est pas un nombre : écrivez par exemple 12 000 ou 12 000,5."
        );
        assert_eq!(
            parse_number("1 000 000 000 000 000").unwrap_err(),
            "« 1 000 000 000 000 000 » est trop grand : 999\u{202F}999\u{202F}999\u{202F}999\u{202F}999 au plus."
        );
    }

    #[test]
    fn ratios_too_large_are_refused() {
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
