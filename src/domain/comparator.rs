//! Targets as people write them: « au moins 30 », « Une fois par an minimum », « 100 % »,
//! « au plus 5 ». Where the text states one number, with or without a comparator, the status rules
//! use it; where it states two conditions (« 1 formation minimum avec 20 personnes ») or none,
//! the indicator awaits a person's judgement.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::model::Direction;
use super::number::parse_fr;

/// How the actual is compared with the number a target's text states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// « au moins », « minimum », « ≥ »: the actual must reach it.
    AtLeast,
    /// « au plus », « maximum », « ≤ »: the actual must not exceed it.
    AtMost,
}

impl Compare {
    /// The direction of improvement the comparison implies.
    pub fn direction(self) -> Direction {
        match self {
            Compare::AtLeast => Direction::Up,
            Compare::AtMost => Direction::Down,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Compare::AtLeast => "≥",
            Compare::AtMost => "≤",
        }
    }
}

/// What a target's text says to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetReading {
    /// One number, and how to compare with it when the text says.
    One(Decimal, Option<Compare>),
    /// Two numbers or more: several conditions, a person judges.
    Several,
    /// No number at all.
    None,
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    // Digits with French thousands separators and a decimal comma; a percent sign may follow.
    Regex::new(r"\d{1,3}(?:[ \u{a0}\u{202f}]\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
        .expect("a valid pattern")
});

static ONCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:une|un) fois\b").expect("a valid pattern"));

const AT_LEAST: [&str; 5] = ["au moins", "minimum", "plus de", "≥", ">="];
const AT_MOST: [&str; 5] = ["au plus", "maximum", "moins de", "≤", "<="];

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Whether the number found at `start..end` of `text` is not a quantity of the target: a year
/// (« janvier 2026 »), a day (« le 30 juin »), an ordinal (« 1er trimestre »), or a threshold
/// that says which purchases are counted (« > 90K€HT », « supérieurs à 1 million € »).
fn not_a_quantity(text: &str, start: usize, end: usize) -> bool {
    let digits = &text[start..end];
    let after = text[end..].trim_start();
    let before = text[..start].trim_end();
    let year = digits.len() == 4
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (1990..=2100).contains(&digits.parse::<u32>().unwrap_or(0));
    let day = MONTHS.iter().any(|m| after.starts_with(m));
    let ordinal = ["er ", "ère", "e ", "ème", "eme"]
        .iter()
        .any(|o| text[end..].starts_with(o))
        || text[end..] == *"er";
    let amount = ["k€", "m€", "€", "keur", "million", "euro"]
        .iter()
        .any(|u| after.starts_with(u));
    let scope = [
        ">",
        "<",
        "supérieur à",
        "supérieurs à",
        "inférieur à",
        "inférieurs à",
    ]
    .iter()
    .any(|s| before.ends_with(s));
    // « l'année N+1 »
    let relative_year = before.ends_with("n+") || before.ends_with("n-");
    year || day || ordinal || relative_year || (amount && scope)
}

/// Reads what a target's text states. A number between 1990 and 2100 written without a
/// separator is a year (« janvier 2026 »), not a quantity.
pub fn read_target(text: &str) -> TargetReading {
    // « au plus tard » is a date, not a bound.
    let lower = text.to_lowercase().replace("au plus tard", "");
    let mut numbers: Vec<Decimal> = NUMBER
        .find_iter(&lower)
        .filter(|m| !not_a_quantity(&lower, m.start(), m.end()))
        .filter_map(|m| parse_fr(m.as_str()).ok().flatten().map(|n| n.value))
        .collect();
    numbers.extend(ONCE.find_iter(&lower).map(|_| Decimal::ONE));
    let compare = if AT_LEAST.iter().any(|w| lower.contains(w)) {
        Some(Compare::AtLeast)
    } else if AT_MOST.iter().any(|w| lower.contains(w)) {
        Some(Compare::AtMost)
    } else {
        None
    };
    match numbers.as_slice() {
        [] => TargetReading::None,
        [one] => TargetReading::One(*one, compare),
        _ => TargetReading::Several,
    }
}

/// The number and direction the rules use for a year's target: its number when it has one
/// (the text may still say how to compare), else the one number its text states.
pub fn rule_target(
    value: Option<Decimal>,
    text: Option<&str>,
    direction: Direction,
) -> (Option<Decimal>, Direction) {
    let reading = text.map_or(TargetReading::None, read_target);
    match (value, reading) {
        (Some(v), TargetReading::One(n, Some(c))) if n == v => (Some(v), c.direction()),
        // The text states several conditions: its stored number is only one of them.
        (Some(_), TargetReading::Several) => (None, direction),
        (Some(v), _) => (Some(v), direction),
        (None, TargetReading::One(n, c)) => (Some(n), c.map_or(direction, Compare::direction)),
        (None, _) => (None, direction),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn targets_people_write() {
        use Compare::*;
        let cases: &[(&str, TargetReading)] = &[
            (
                "Une fois par an minimum",
                TargetReading::One(d("1"), Some(AtLeast)),
            ),
            (
                "Une fois par an minimum (au premier trimestre ) Première session: janvier 2026 avec DEX et REHA et DT",
                TargetReading::One(d("1"), Some(AtLeast)),
            ),
            ("au moins 30", TargetReading::One(d("30"), Some(AtLeast))),
            ("30 minimum", TargetReading::One(d("30"), Some(AtLeast))),
            ("100 %", TargetReading::One(d("100"), None)),
            (
                "≥ 12 500 heures",
                TargetReading::One(d("12500"), Some(AtLeast)),
            ),
            (
                "au plus 5 réclamations",
                TargetReading::One(d("5"), Some(AtMost)),
            ),
            (
                "5 réunions au plus tard en juin",
                TargetReading::One(d("5"), None),
            ),
            ("Mise en ligne au plus tard le 30 juin", TargetReading::None),
            (
                "Moins de 3 accidents",
                TargetReading::One(d("3"), Some(AtMost)),
            ),
            (
                "Plus de 10 entreprises",
                TargetReading::One(d("10"), Some(AtLeast)),
            ),
            (
                "Une fois par an minimum (au 1er trimestre)",
                TargetReading::One(d("1"), Some(AtLeast)),
            ),
            (
                "90% des procédures > 90K€HT",
                TargetReading::One(d("90"), None),
            ),
            (
                "95 % des procédures> 90K€HT",
                TargetReading::One(d("95"), None),
            ),
            (
                "Analyse annuelle et proposition de doctrine achat au Comité de suivi pour l'année N+1",
                TargetReading::None,
            ),
            (
                "50 % des marchés supérieurs à 1 million € HT",
                TargetReading::One(d("50"), None),
            ),
            (
                "1 100 t maximum",
                TargetReading::One(d("1100"), Some(AtMost)),
            ),
            ("12,5 %", TargetReading::One(d("12.5"), None)),
            (
                "1 formation minimum avec 20 personnes",
                TargetReading::Several,
            ),
            ("à définir", TargetReading::None),
            ("", TargetReading::None),
        ];
        for (text, expected) in cases {
            assert_eq!(read_target(text), *expected, "{text}");
        }
    }

    #[test]
    fn the_rules_take_the_number_and_the_comparator() {
        use Direction::{Down, Up};
        // A number from the text, compared as it says.
        assert_eq!(
            rule_target(None, Some("au plus 5"), Up),
            (Some(d("5")), Down)
        );
        assert_eq!(
            rule_target(None, Some("Une fois par an minimum"), Down),
            (Some(d("1")), Up)
        );
        // A bare number follows the indicator's direction.
        assert_eq!(
            rule_target(None, Some("100 %"), Down),
            (Some(d("100")), Down)
        );
        // The stored number wins; the text may say how to compare with it.
        assert_eq!(
            rule_target(Some(d("30")), Some("au moins 30"), Down),
            (Some(d("30")), Up)
        );
        assert_eq!(
            rule_target(Some(d("30")), Some("au plus 40"), Up),
            (Some(d("30")), Up)
        );
        // A number stored from a text stating two conditions is only one of them.
        assert_eq!(
            rule_target(
                Some(d("1")),
                Some("1 formation minimum avec 20 personnes"),
                Up
            ),
            (None, Up)
        );
        // Two conditions, or none: a person judges.
        assert_eq!(
            rule_target(None, Some("1 formation minimum avec 20 personnes"), Up),
            (None, Up)
        );
        assert_eq!(rule_target(None, None, Up), (None, Up));
    }
}
