//! Reading free-text targets (« Valeurs cibles ») year by year.
//!
//! Buyers write targets as prose: `Valeur cible 2025: 10 000 heures Valeur cible 2026: 12 000
//! heures`, `2025: 90% des procédures > 90K€HT 2026: 95 % …`, `2024 → 3 ; 2025 → 4`,
//! `Baisse : 1 100 t en 2024, 1 000 t en 2025`, `Une fois par an minimum`. The rules, in order:
//! 1. A baseline phrase (`(référence 2022 : 18 500 h)`, `valeur de référence 2021 = 9 840`, or
//!    `(9840 heures en 2021)` before the plan) is the indicator's baseline: taken out of the text
//!    before the targets are read, and its year is no target's.
//! 2. A year opens that year's target when it is followed by `:`, `→` or `=` (`2025:`,
//!    `2024 → 3`), preceded by « Valeur cible », « Cible » or « Objectif » (never left in a value),
//!    or stands at the start of the text or right after a label ending with `:` or after `;`
//!    (`indicateurs: 2025 création…`). Other years (`janvier 2026`, `jusqu'à 2027`) are text.
//!    Such a year outside the period is reported ([`TargetsReading::outside`]) and its text left
//!    out, never a reason to refuse the plan.
//! 3. A year's target runs to the next such year. `jusqu'à 2027` in it extends it to the
//!    years up to 2027 that have no target of their own.
//! 4. Without such years, `10 000 h en 2025, 12 000 h pour 2026` puts the year after its value.
//! 5. In a year's text, the first number (French writing: `10 000`, `1,5`, read by
//!    [`parse_fr`], so bounded as every number is) is the target value, with the unit right
//!    after it (%, h/heures, €, k€, M€, t, tCO2e, jours, agents, personnes, formations…). When
//!    the text says anything else (a comparator like `au moins`, `minimum`, `≤`, words) the whole
//!    text is kept beside the number: `1 formation minimum avec 20 personnes` is 1 formation
//!    with the sentence as text.
//! 6. Text without any year applies to every year of the period (`30 % chaque année`), as a
//!    number when it is nothing but a quantity, else as text.
//! 7. Words give the direction: baisse, réduire, diminuer, au plus, maximum, `≤` say lower is
//!    better; hausse, augmenter, au moins, `≥` say higher is.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::model::{Baseline, Direction};
use super::number::{SPACES, normalize_unit, parse_fr};

/// One year's target read from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTarget {
    pub year: i32,
    pub value: Option<Decimal>,
    pub unit: Option<String>,
    pub text: Option<String>,
}

/// Everything a targets text says: the yearly targets, and what it says besides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetsReading {
    pub targets: Vec<ParsedTarget>,
    /// A baseline written in the text (`référence 2022 : 18 500 h`), with its unit.
    pub baseline: Option<(Baseline, Option<String>)>,
    /// The direction its words give, if they give one.
    pub direction: Option<Direction>,
    /// Years written as targets that fall outside the plan's period (left out).
    pub outside: Vec<i32>,
}

/// A baseline and its unit, as a text writes them.
pub type FoundBaseline = (Baseline, Option<String>);

/// A number found in a text, with its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    pub value: Decimal,
    pub unit: Option<String>,
    /// Byte range of the number and unit in the text they were read from.
    pub span: (usize, usize),
}

static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)((?:valeurs?\s+cibles?|cibles?|objectifs?)\s*:?\s*)?\b(\d{4})\b(\s*(?::|→|->|=>|=))?",
    )
    .expect("marker regex")
});

/// Where a number is written in a text: digits grouped by thousands, or not, with decimals.
/// What it says is then read by [`parse_fr`].
const NUMBER_PATTERN: &str = r"\d{1,3}(?:[SP]\d{3})+(?:[,.]\d+)?|\d+(?:[,.]\d+)?";

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&NUMBER_PATTERN.replace("SP", SPACES)).expect("number regex"));

/// The units a target may write right after its number.
const UNIT_PATTERN: &str = r"%|heures?\b|h\b|k€|m€|€|tco2e?\b|tonnes?\b|t\b|jours?\b|agents?\b|personnes?\b|formations?\b|marchés?\b|réunions?\b";

static UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^[{SPACES}]*({UNIT_PATTERN})")).expect("unit regex")
});

static UNTIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)jusqu['’]\s*(?:à|en|a)\s+(\d{4})").expect("until regex"));

/// `(9840 heures en 2021)`: a figure of a year before the plan.
static BASELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\(\s*(\d[\d{SPACES}]*(?:[,.]\d+)?)\s*(%|heures?|h)?\s+en\s+(\d{{4}})\s*\)"
    ))
    .expect("baseline regex")
});

/// `(référence 2022 : 18 500 h)`, `valeur de référence (2021) = 9 840`, `réf. 2022 : 5 %`.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\(?\s*(?:valeur\s+(?:de\s+)?)?(?:r[ée]f[ée]rence|r[ée]f\.?)\s*(?:en\s+|:\s*)?\(?(\d{{4}})\)?\s*(?::|=|→)?\s*({})\s*({UNIT_PATTERN})?\s*\)?",
        NUMBER_PATTERN.replace("SP", SPACES)
    ))
    .expect("reference regex")
});

/// « chaque année », « tous les ans », « par an » after a quantity: every year.
static EVERY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:chaque\s+ann[ée]e|tous\s+les\s+ans|par\s+an(?:n[ée]e)?|annuellement)\b")
        .expect("every year regex")
});

/// A label before the first value (`Baisse :`, `Cible :`), in texts that put the year after.
static LEADING_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\s'’.]+:\s*").expect("label regex"));

/// Words saying lower is better, and higher is (on the folded text).
static DOWN_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:baisse|baisser|reduire|reduction|diminuer|diminution|au plus|maximum|au maximum|ne pas depasser)\b|≤|<=")
        .expect("down regex")
});
static UP_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:hausse|augmenter|augmentation|accroitre|au moins)\b|≥|>=").expect("up regex")
});

/// The direction a text's words give: `None` when they give none, or both.
pub fn direction_of(text: &str) -> Option<Direction> {
    let folded = super::sheet::fold(text);
    match (DOWN_WORDS.is_match(&folded), UP_WORDS.is_match(&folded)) {
        (true, false) => Some(Direction::Down),
        (false, true) => Some(Direction::Up),
        _ => None,
    }
}

/// A unit as a unit column or a text writes it, canonical: `heures` → `h`, `tonnes` → `t`,
/// `tCO2e`, `k€`, `M€`; « nombre » is a count, no unit.
pub fn canonical_unit(unit: &str) -> Option<String> {
    let trimmed = unit
        .trim()
        .trim_matches(|c: char| c == '(' || c == ')')
        .trim();
    let folded = super::sheet::fold(trimmed);
    match folded.as_str() {
        "" | "nombre" | "nb" | "unite" | "unites" | "-" => None,
        "t" | "tonne" | "tonnes" => Some("t".into()),
        "tco2" | "tco2e" | "t co2" | "t co2e" | "tonnes co2" | "teqco2" => Some("tCO2e".into()),
        "euro" | "euros" | "eur" => Some("€".into()),
        "keur" | "k euros" | "milliers d'euros" => Some("k€".into()),
        "meur" | "m euros" | "millions d'euros" => Some("M€".into()),
        "jour" | "jours" | "j" => Some("jours".into()),
        _ => Some(normalize_unit(trimmed)),
    }
}

/// How many euros a money unit counts: `€` 1, `k€` 10³, `M€` 10⁶.
fn euros(unit: &str) -> Option<Decimal> {
    match unit {
        "€" => Some(Decimal::ONE),
        "k€" => Some(Decimal::from(1_000)),
        "M€" => Some(Decimal::from(1_000_000)),
        _ => None,
    }
}

/// A value written in one money unit, in another (`1,2 M€` is `1 200 k€`); `None` when the units
/// are not both money, or the result is out of range.
pub fn convert_money(value: Decimal, from: &str, to: &str) -> Option<Decimal> {
    let (from, to) = (euros(from)?, euros(to)?);
    value
        .checked_mul(from)?
        .checked_div(to)
        .map(|v| v.normalize())
}

/// Years written as target markers (`2030:`, `Valeur cible 2030`), baselines left out.
pub fn marked_years(text: &str) -> Vec<i32> {
    let (text, _) = take_baseline(text, i32::MIN);
    MARKER
        .captures_iter(&text)
        .filter(|c| c.get(1).is_some() || c.get(3).is_some())
        .filter_map(|c| c[2].parse::<i32>().ok())
        .filter(|y| (1990..=2100).contains(y))
        .collect()
}

/// Years written as target markers that fall outside the period.
pub fn marked_years_outside(text: &str, first_year: i32, last_year: i32) -> Vec<i32> {
    read_targets(text, first_year, last_year).outside
}

/// Reads yearly targets from free text, for the years `first_year..=last_year`.
/// Years without any target are left out.
pub fn parse_targets(text: &str, first_year: i32, last_year: i32) -> Vec<ParsedTarget> {
    read_targets(text, first_year, last_year).targets
}

/// Takes the baseline phrases out of a text: the text without them, and the first one read.
/// `(X en YEAR)` is a baseline only for a year before `first_year`.
fn take_baseline(text: &str, first_year: i32) -> (String, Option<(Baseline, Option<String>)>) {
    let mut found = None;
    let mut rest = text.to_string();
    if let Some(caps) = REFERENCE.captures(&rest) {
        let whole = caps.get(0).expect("match");
        let year: Option<i32> = caps[1].parse().ok();
        let read = parse_fr(&caps[2]).ok().flatten();
        if let (Some(year), Some(read)) = (year, read) {
            let unit = caps.get(3).and_then(|u| canonical_unit(u.as_str()));
            found = Some((
                Baseline {
                    value: read.value,
                    year,
                },
                unit,
            ));
        }
        rest.replace_range(whole.range(), " ");
    }
    if found.is_none()
        && let Some((baseline, range)) = bracketed_baseline(&rest, first_year)
    {
        found = Some(baseline);
        rest.replace_range(range, " ");
    }
    (rest, found)
}

fn bracketed_baseline(
    text: &str,
    first_year: i32,
) -> Option<(FoundBaseline, std::ops::Range<usize>)> {
    BASELINE.captures_iter(text).find_map(|caps| {
        let year: i32 = caps[3].parse().ok()?;
        if year >= first_year {
            return None;
        }
        let number = caps.get(1)?;
        let end = caps.get(2).map_or(number.end(), |u| u.end());
        let read = parse_fr(&text[number.start()..end]).ok()??;
        Some((
            (
                Baseline {
                    value: read.value,
                    year,
                },
                read.unit,
            ),
            caps.get(0)?.range(),
        ))
    })
}

/// Reads a targets text: its yearly targets for `first_year..=last_year`, its baseline, its
/// direction, and the years outside the period it names as targets.
pub fn read_targets(text: &str, first_year: i32, last_year: i32) -> TargetsReading {
    let direction = direction_of(text);
    let (rest, baseline) = take_baseline(text.trim(), first_year);
    let text = rest.trim();
    let mut reading = TargetsReading {
        baseline,
        direction,
        ..TargetsReading::default()
    };
    if text.is_empty() {
        return reading;
    }
    let in_period = |y: i32| (first_year..=last_year).contains(&y);

    // Markers: (year, start of the marker, end of the marker).
    let mut markers: Vec<(i32, usize, usize)> = Vec::new();
    let mut previous_end = 0;
    for caps in MARKER.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let Ok(year) = caps[2].parse::<i32>() else {
            continue;
        };
        let has_colon = caps.get(3).is_some();
        let has_label = caps.get(1).is_some();
        let before = text[previous_end..whole.start()].trim_end();
        let at_start = before.is_empty() || before.ends_with(':') || before.ends_with(';');
        if !(has_colon || has_label || at_start) || !(1990..=2100).contains(&year) {
            continue;
        }
        if !in_period(year) {
            // Written as a target, outside the period: reported, its text cut off below.
            if has_colon || has_label {
                reading.outside.push(year);
                markers.push((year, whole.start(), whole.end()));
                previous_end = whole.end();
            }
            continue;
        }
        markers.push((year, whole.start(), whole.end()));
        previous_end = whole.end();
    }

    if !markers.iter().any(|m| in_period(m.0)) {
        let (suffixed, outside) = suffix_targets(text, first_year, last_year);
        if !suffixed.is_empty() {
            reading.targets = suffixed;
            reading.outside = outside;
            return reading;
        }
        reading.outside.extend(outside);
        reading.targets = every_year(text, first_year, last_year);
        return reading;
    }

    let mut targets: Vec<ParsedTarget> = Vec::new();
    let mut extensions: Vec<(usize, i32)> = Vec::new();
    for (i, &(year, _, end)) in markers.iter().enumerate() {
        let stop = markers.get(i + 1).map_or(text.len(), |m| m.1);
        let segment = clean(&text[end..stop]);
        if !in_period(year) || segment.is_empty() || targets.iter().any(|t| t.year == year) {
            continue;
        }
        if let Some(until) = UNTIL
            .captures(&segment)
            .and_then(|c| c[1].parse::<i32>().ok())
        {
            extensions.push((targets.len(), until.min(last_year)));
        }
        targets.push(target_from_segment(year, &segment));
    }
    for (index, until) in extensions {
        let source = targets[index].clone();
        for year in source.year + 1..=until {
            if !targets.iter().any(|t| t.year == year) {
                targets.push(ParsedTarget {
                    year,
                    ..source.clone()
                });
            }
        }
    }
    targets.sort_by_key(|t| t.year);
    reading.targets = targets;
    reading
}

/// A text without years: the same target for every year; « chaque année » says so and is not
/// kept as text when the rest is a bare quantity. A text that opens with its quantity
/// (`1 formation minimum avec 20 personnes`, `au moins 30 %`) gives that number, the whole text
/// kept beside it; a number further in (`l'année N+1`) is only text.
fn every_year(text: &str, first_year: i32, last_year: i32) -> Vec<ParsedTarget> {
    let without = clean(&EVERY_YEAR.replace_all(text, " "));
    let quantity = parse_quantity(&without);
    let bare = quantity.as_ref().is_some_and(|q| is_bare(&without, q));
    let opens = quantity.as_ref().is_some_and(|q| {
        let before = super::sheet::fold(&without[..q.span.0]);
        matches!(
            before.trim(),
            "" | "au moins" | "au plus" | "≥" | "≤" | "minimum" | "maximum" | "environ"
        )
    });
    let quantity = quantity.filter(|_| bare || opens);
    (first_year..=last_year)
        .map(|year| ParsedTarget {
            year,
            value: quantity.as_ref().map(|q| q.value),
            unit: quantity.as_ref().and_then(|q| q.unit.clone()),
            text: if bare { None } else { Some(clean(text)) },
        })
        .collect()
}

static SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:en|pour)\s+(\d{4})\b").expect("suffix regex"));

/// Targets written with the year after them: `10 000 heures en 2025, 12 000 heures pour 2026`.
/// Only when each such year has a number before it; years outside the period are given apart.
fn suffix_targets(text: &str, first_year: i32, last_year: i32) -> (Vec<ParsedTarget>, Vec<i32>) {
    let mut out = Vec::new();
    let mut outside = Vec::new();
    let mut start = 0;
    for caps in SUFFIX.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let Ok(year) = caps[1].parse::<i32>() else {
            return (Vec::new(), Vec::new());
        };
        let mut segment = clean(&text[start..whole.start()]);
        if start == 0 {
            // `Baisse : 1 100 t en 2024`: the label is not the value's text.
            if let Some(label) = LEADING_LABEL.find(&segment)
                && parse_quantity(label.as_str()).is_none()
            {
                segment = segment[label.end()..].to_string();
            }
        }
        if parse_quantity(&segment).is_none() || out.iter().any(|t: &ParsedTarget| t.year == year) {
            return (Vec::new(), Vec::new());
        }
        if (first_year..=last_year).contains(&year) {
            out.push(target_from_segment(year, &segment));
        } else {
            outside.push(year);
        }
        start = whole.end();
    }
    out.sort_by_key(|t| t.year);
    (out, outside)
}

/// Reads one year's target as a person corrects it: `10 000 h`, `95 %`, `à définir`.
pub fn parse_target_cell(year: i32, text: &str) -> ParsedTarget {
    target_from_segment(year, &clean(text))
}

/// Writes yearly targets back as a « Valeurs cibles » cell that [`parse_targets`] reads again.
pub fn targets_text(targets: &[super::model::YearValue], unit: Option<&str>) -> String {
    targets
        .iter()
        .filter_map(|t| {
            let said = match (&t.text, t.value) {
                (Some(text), _) => text.clone(),
                (None, Some(v)) => {
                    super::format::quantity_fr(v, unit).replace(['\u{202F}', '\u{A0}'], " ")
                }
                (None, None) => return None,
            };
            Some(format!("Valeur cible {}: {said}", t.year))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn target_from_segment(year: i32, segment: &str) -> ParsedTarget {
    match parse_quantity(segment) {
        Some(q) => {
            let bare = is_bare(segment, &q);
            ParsedTarget {
                year,
                value: Some(q.value),
                unit: q.unit,
                text: if bare {
                    None
                } else {
                    Some(segment.to_string())
                },
            }
        }
        None => ParsedTarget {
            year,
            value: None,
            unit: None,
            text: Some(segment.to_string()),
        },
    }
}

/// True when the text says nothing but the quantity (a comparator is something).
fn is_bare(text: &str, q: &Quantity) -> bool {
    let rest = format!("{}{}", &text[..q.span.0], &text[q.span.1..]);
    !rest
        .chars()
        .any(|c| c.is_alphanumeric() || matches!(c, '≤' | '≥' | '<' | '>'))
}

/// The first number of a text, with the unit written right after it. Numbers glued to a
/// letter before them (`T7`), lone years (`2026`) and numbers [`parse_fr`] refuses (beyond
/// 999 999 999 999 999) are not quantities.
pub fn parse_quantity(text: &str) -> Option<Quantity> {
    for m in NUMBER.find_iter(text) {
        let glued = text[..m.start()]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        if glued {
            continue;
        }
        let unit = UNIT.captures(&text[m.end()..]);
        let unit_end = unit
            .as_ref()
            .map_or(m.end(), |u| m.end() + u.get(0).expect("match").end());
        let Ok(Some(read)) = parse_fr(m.as_str()) else {
            continue;
        };
        let unit = unit.and_then(|u| canonical_unit(&u[1]));
        let is_year = unit.is_none()
            && m.as_str().len() == 4
            && (1990..=2100).contains(&read.value.try_into().unwrap_or(0i64));
        if is_year {
            continue;
        }
        return Some(Quantity {
            value: read.value,
            unit,
            span: (m.start(), unit_end),
        });
    }
    None
}

/// A baseline written in an indicator's text, such as `(9840 heures en 2021)` when its year
/// comes before the plan, or `référence 2022 : 18 500 h`. Returns it with its unit.
pub fn find_baseline(text: &str, first_year: i32) -> Option<(Baseline, Option<String>)> {
    take_baseline(text, first_year).1
}

/// Trims spaces and the punctuation that joins segments.
fn clean(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '-' | '→'))
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    /// (year, value, unit, text)
    type Expected<'a> = (i32, Option<&'a str>, Option<&'a str>, Option<&'a str>);

    fn check(text: &str, expected: &[Expected<'_>]) {
        let got = parse_targets(text, 2025, 2027);
        let want: Vec<ParsedTarget> = expected
            .iter()
            .map(|&(year, value, unit, t)| ParsedTarget {
                year,
                value: value.and_then(d),
                unit: unit.map(str::to_string),
                text: t.map(str::to_string),
            })
            .collect();
        assert_eq!(got, want, "targets read from {text:?}");
    }

    // One case per target cell of the office's plan (seeds/office-spaser-action-plan-2025-2027.tsv).

    #[test]
    fn action_1_text_without_year_applies_to_every_year() {
        let t = "Une fois par an minimum (au premier trimestre ) Première session: janvier 2026 avec DEX et REHA et DT";
        let text = "Une fois par an minimum (au premier trimestre ) Première session: janvier 2026 avec DEX et REHA et DT";
        check(
            t,
            &[
                (2025, None, None, Some(text)),
                (2026, None, None, Some(text)),
                (2027, None, None, Some(text)),
            ],
        );
    }

    #[test]
    fn action_2_standing_text() {
        let t = "Indicateur annuel ( mise à jour des questions réponses)";
        check(
            t,
            &[
                (2025, None, None, Some(t)),
                (2026, None, None, Some(t)),
                (2027, None, None, Some(t)),
            ],
        );
    }

    #[test]
    fn action_3_year_after_a_label_and_until() {
        let t = "indicateurs: 2025 création de la page et mise à jour 2026 :Nombre de vues et voir si une évolution est constatée jusqu'à 2027";
        let later = "Nombre de vues et voir si une évolution est constatée jusqu'à 2027";
        check(
            t,
            &[
                (2025, None, None, Some("création de la page et mise à jour")),
                (2026, None, None, Some(later)),
                (2027, None, None, Some(later)),
            ],
        );
    }

    #[test]
    fn action_4_percentages_with_a_qualifier() {
        let t = "Indicateurs: 2025: 90% des procédures > 90K€HT 2026: 95 % des procédures> 90K€HT 2027: 100 % des procédures > 90K€HT";
        check(
            t,
            &[
                (
                    2025,
                    Some("90"),
                    Some("%"),
                    Some("90% des procédures > 90K€HT"),
                ),
                (
                    2026,
                    Some("95"),
                    Some("%"),
                    Some("95 % des procédures> 90K€HT"),
                ),
                (
                    2027,
                    Some("100"),
                    Some("%"),
                    Some("100 % des procédures > 90K€HT"),
                ),
            ],
        );
    }

    #[test]
    fn action_5_hours() {
        let t = "Valeur cible 2025: 10 000 heures Valeur cible 2026: 12 000 heures Valeur cible 2027: 14 000 heures";
        check(
            t,
            &[
                (2025, Some("10000"), Some("h"), None),
                (2026, Some("12000"), Some("h"), None),
                (2027, Some("14000"), Some("h"), None),
            ],
        );
    }

    #[test]
    fn action_6_bare_numbers() {
        let t = "Valeur cible 2025: 5 Valeur cible 2026: 6 Valeur cible 2027: 7";
        check(
            t,
            &[
                (2025, Some("5"), None, None),
                (2026, Some("6"), None, None),
                (2027, Some("7"), None, None),
            ],
        );
    }

    #[test]
    fn action_7_first_indicator() {
        let t = "Critère environnemental pour tous les marchés: Valeur cible 2025: faire évoluer fiche recensement interne avec critère env obligatoire Valeur cible 2026: 85 % Valeur cible 2027: 100%";
        check(
            t,
            &[
                (
                    2025,
                    None,
                    None,
                    Some("faire évoluer fiche recensement interne avec critère env obligatoire"),
                ),
                (2026, Some("85"), Some("%"), None),
                (2027, Some("100"), Some("%"), None),
            ],
        );
    }

    #[test]
    fn action_7_second_indicator() {
        let t = "Renouvellement flotte en véhicule propre pour décarbonation: Valeur cible 2025: achat 100% propre Valeur cible 2026: achat 100% propre Valeur cible 2027: achat 100% propre";
        let s = Some("achat 100% propre");
        check(
            t,
            &[
                (2025, Some("100"), Some("%"), s),
                (2026, Some("100"), Some("%"), s),
                (2027, Some("100"), Some("%"), s),
            ],
        );
    }

    #[test]
    fn action_8_label_before_the_first_year() {
        let t = "Valeur cible: 2025: faire évoluer fiche lancement pour inclure clause carbone et obligation d'information du titulaire sur le poids carbone Valeur cible 2026: 100% Valeur cible 2027: 100%";
        check(
            t,
            &[
                (
                    2025,
                    None,
                    None,
                    Some(
                        "faire évoluer fiche lancement pour inclure clause carbone et obligation d'information du titulaire sur le poids carbone",
                    ),
                ),
                (2026, Some("100"), Some("%"), None),
                (2027, Some("100"), Some("%"), None),
            ],
        );
    }

    #[test]
    fn action_9_texts_to_be_defined() {
        let t = "Valeur cible: 2025: faire évoluer fiche lancement (si besoin) Valeur cible 2026: à définir (car impact sur stratégie HA des candidats) Valeur cible 2027: à définir (car impact sur stratégie HA des candidats)";
        let later = Some("à définir (car impact sur stratégie HA des candidats)");
        check(
            t,
            &[
                (
                    2025,
                    None,
                    None,
                    Some("faire évoluer fiche lancement (si besoin)"),
                ),
                (2026, None, None, later),
                (2027, None, None, later),
            ],
        );
    }

    #[test]
    fn action_10_percentages_in_sentences() {
        let t = "2025: 95% du matériel informatique à recycler avec une société ESAT ou équivalent 2026: 100% du matériel informatique à recycler avec une société ESAT ou équivalent 2027: 100% du matériel informatique à recycler avec une société ESAT ou équivalent";
        check(
            t,
            &[
                (
                    2025,
                    Some("95"),
                    Some("%"),
                    Some(
                        "95% du matériel informatique à recycler avec une société ESAT ou équivalent",
                    ),
                ),
                (
                    2026,
                    Some("100"),
                    Some("%"),
                    Some(
                        "100% du matériel informatique à recycler avec une société ESAT ou équivalent",
                    ),
                ),
                (
                    2027,
                    Some("100"),
                    Some("%"),
                    Some(
                        "100% du matériel informatique à recycler avec une société ESAT ou équivalent",
                    ),
                ),
            ],
        );
    }

    #[test]
    fn action_11_two_numbers_first_is_the_target() {
        let t = "2025: 1 formation minimum avec 20 personnes 2026: 1 formation minimum avec 20 personnes 2027: 1 formation minimum avec 20 personnes";
        let s = Some("1 formation minimum avec 20 personnes");
        check(
            t,
            &[
                (2025, Some("1"), Some("formations"), s),
                (2026, Some("1"), Some("formations"), s),
                (2027, Some("1"), Some("formations"), s),
            ],
        );
    }

    #[test]
    fn action_12_trainings() {
        let t = "2025: 1 formation minimum avec 10 personnes 2026: 1 formation minimum avec 10 personnes 2027: 1 formation minimum avec 10 personnes";
        let s = Some("1 formation minimum avec 10 personnes");
        check(
            t,
            &[
                (2025, Some("1"), Some("formations"), s),
                (2026, Some("1"), Some("formations"), s),
                (2027, Some("1"), Some("formations"), s),
            ],
        );
    }

    #[test]
    fn action_13_year_at_the_start_without_colon() {
        let t = "2025 marchés TCE DEX et marchés SMG (TCE; maintenance multi site; nettoyage locaux administratifs) 2026:nettoyage + concessionnaire parking + commercialisation + recouvrement 2027: TCE ext DEX";
        check(
            t,
            &[
                (
                    2025,
                    None,
                    None,
                    Some(
                        "marchés TCE DEX et marchés SMG (TCE; maintenance multi site; nettoyage locaux administratifs)",
                    ),
                ),
                (
                    2026,
                    None,
                    None,
                    Some("nettoyage + concessionnaire parking + commercialisation + recouvrement"),
                ),
                (2027, None, None, Some("TCE ext DEX")),
            ],
        );
    }

    #[test]
    fn actions_14_and_15_standing_texts() {
        for t in [
            "Mise à jour de manière trimestrielle du tableau de suivi des gains",
            "Analyse annuelle et proposition de doctrine achat (par segment d'achat T ou FCS) au Comité de suivi pour l'année N+1",
        ] {
            check(
                t,
                &[
                    (2025, None, None, Some(t)),
                    (2026, None, None, Some(t)),
                    (2027, None, None, Some(t)),
                ],
            );
        }
    }

    #[test]
    fn years_written_after_the_value() {
        check(
            "10 000 heures en 2025, 12 000 heures en 2026 et 14 000 heures pour 2027",
            &[
                (2025, Some("10000"), Some("h"), None),
                (2026, Some("12000"), Some("h"), None),
                (2027, Some("14000"), Some("h"), Some("et 14 000 heures")),
            ],
        );
        // A year outside the period, or no number before it: not read this way.
        let t = "Mise à jour en 2030";
        check(
            t,
            &[
                (2025, None, None, Some(t)),
                (2026, None, None, Some(t)),
                (2027, None, None, Some(t)),
            ],
        );
    }

    #[test]
    fn other_writings_of_years_and_units() {
        check(
            "2025 : 3 M€ 2026 : 2,5 M€",
            &[
                (2025, Some("3"), Some("M€"), None),
                (2026, Some("2.5"), Some("M€"), None),
            ],
        );
        check(
            "5 %",
            &[
                (2025, Some("5"), Some("%"), None),
                (2026, Some("5"), Some("%"), None),
                (2027, Some("5"), Some("%"), None),
            ],
        );
        assert!(parse_targets("   ", 2025, 2027).is_empty());
        // A year outside the period is text, not a marker.
        check(
            "2030: 50 %",
            &[
                (2025, None, None, Some("2030: 50 %")),
                (2026, None, None, Some("2030: 50 %")),
                (2027, None, None, Some("2030: 50 %")),
            ],
        );
    }

    #[test]
    fn targets_written_back_read_the_same() {
        use super::super::model::YearValue;
        for (text, first, last) in [
            (
                "Valeur cible 2025: 10 000 heures Valeur cible 2026: 12 000 heures Valeur cible 2027: 14 000 heures",
                2025,
                2027,
            ),
            (
                "Indicateurs: 2025: 90% des procédures > 90K€HT 2026: 95 % des procédures> 90K€HT 2027: 100 % des procédures > 90K€HT",
                2025,
                2027,
            ),
            (
                "indicateurs: 2025 création de la page et mise à jour 2026 :Nombre de vues et voir si une évolution est constatée jusqu'à 2027",
                2025,
                2027,
            ),
            (
                "Une fois par an minimum (au premier trimestre ) Première session: janvier 2026 avec DEX et REHA et DT",
                2025,
                2027,
            ),
            (
                "2025: 1 formation minimum avec 20 personnes 2026: 1 formation minimum avec 20 personnes",
                2025,
                2027,
            ),
            ("Valeur cible 2025: 5 Valeur cible 2026: 6", 2025, 2027),
        ] {
            let parsed = parse_targets(text, first, last);
            let unit = parsed.iter().find_map(|t| t.unit.clone());
            let values: Vec<YearValue> = parsed
                .iter()
                .map(|t| YearValue {
                    year: t.year,
                    value: t.value,
                    text: t.text.clone(),
                })
                .collect();
            let again = parse_targets(&targets_text(&values, unit.as_deref()), first, last);
            let strip = |v: &[ParsedTarget]| {
                v.iter()
                    .map(|t| (t.year, t.value, t.text.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(strip(&again), strip(&parsed), "{text}");
        }
        let cell = parse_target_cell(2025, " 10 000 h ");
        assert_eq!(
            (cell.value, cell.unit.as_deref(), cell.text),
            (Some(Decimal::from(10000)), Some("h"), None)
        );
        assert_eq!(
            parse_target_cell(2025, "à définir").text.as_deref(),
            Some("à définir")
        );
    }

    #[test]
    fn quantities() {
        let q = parse_quantity("97 972 heures d'insertion").unwrap();
        assert_eq!(
            (q.value, q.unit.as_deref()),
            (Decimal::from(97972), Some("h"))
        );
        let q = parse_quantity("pour un montant de 31 107,86 €").unwrap();
        assert_eq!(
            (q.value, q.unit.as_deref()),
            (Decimal::from_str("31107.86").unwrap(), Some("€"))
        );
        assert_eq!(parse_quantity("tramway T7 en 2026"), None);
        assert_eq!(parse_quantity("aucun chiffre"), None);
    }

    #[test]
    fn numbers_in_texts_are_read_by_the_one_reader() {
        let value = |text: &str| parse_quantity(text).map(|q| (q.value, q.unit));
        let h = || Some("h".to_string());
        // Any of the thousands spaces; a point or a comma for decimals, after groups too.
        assert_eq!(
            value("soit 12\u{2009}000 heures"),
            Some((Decimal::from(12000), h()))
        );
        assert_eq!(
            value("1 234 567.5 h"),
            Some((Decimal::from_str("1234567.5").unwrap(), h()))
        );
        // Beyond 999 999 999 999 999: not a quantity, the text keeps it; the next one is read.
        assert_eq!(value("1 000 000 000 000 000 heures"), None);
        assert_eq!(
            value("10000000000000000 heures, soit 12 %"),
            Some((Decimal::from(12), Some("%".to_string())))
        );
        let t = "Valeur cible 2025: 1 000 000 000 000 000 heures";
        assert_eq!(
            parse_targets(t, 2025, 2025),
            [ParsedTarget {
                year: 2025,
                value: None,
                unit: None,
                text: Some("1 000 000 000 000 000 heures".into()),
            }]
        );
    }

    #[test]
    fn baseline_in_the_indicator_text() {
        let text = "Nombre d'heures d'insertion objectif : accroître le nombre d'heures (9840 heures en 2021); Taux de marchés";
        let (baseline, unit) = find_baseline(text, 2025).unwrap();
        assert_eq!(
            baseline,
            Baseline {
                value: Decimal::from(9840),
                year: 2021
            }
        );
        assert_eq!(unit.as_deref(), Some("h"));
        assert_eq!(find_baseline("(75 % en 2025)", 2025), None);
        assert_eq!(
            find_baseline("(1 234,5 h en 2021)", 2025),
            Some((
                Baseline {
                    value: Decimal::from_str("1234.5").unwrap(),
                    year: 2021
                },
                Some("h".into())
            ))
        );
        // Written as nowhere else a number is: no baseline.
        assert_eq!(find_baseline("(1 2 3 heures en 2021)", 2025), None);
        assert_eq!(
            find_baseline("(1 000 000 000 000 000 heures en 2021)", 2025),
            None
        );
        assert_eq!(find_baseline("pas de référence", 2025), None);
    }

    /// (year, value, unit, text) of a target.
    type Row = (i32, Option<Decimal>, Option<String>, Option<String>);

    /// (year, value, unit, text) of each target, for a period.
    fn targets_of(text: &str, first: i32, last: i32) -> Vec<Row> {
        parse_targets(text, first, last)
            .into_iter()
            .map(|t| (t.year, t.value, t.unit, t.text))
            .collect()
    }

    fn t(
        year: i32,
        value: &str,
        unit: Option<&str>,
        text: Option<&str>,
    ) -> (i32, Option<Decimal>, Option<String>, Option<String>) {
        (
            year,
            d(value),
            unit.map(str::to_string),
            text.map(str::to_string),
        )
    }

    /// Every phrase of issue 15, as a table: the text, the period, the targets read.
    #[test]
    fn the_phrases_buyers_write() {
        let h = Some("h");
        let cases: Vec<(&str, (i32, i32), Vec<Row>)> = vec![
            // Year before the value, « Cible » prefixes never left in a value.
            (
                "Cible 2024 : 25 000 h ; cible 2025 : 30 000 h ; cible 2026 : 35 000 h (référence 2022 : 18 500 h)",
                (2024, 2026),
                vec![
                    t(2024, "25000", h, None),
                    t(2025, "30000", h, None),
                    t(2026, "35000", h, None),
                ],
            ),
            // Arrows and semicolons.
            (
                "2024 → 3 ; 2025 → 4 ; 2026 → 5",
                (2024, 2026),
                vec![
                    t(2024, "3", None, None),
                    t(2025, "4", None, None),
                    t(2026, "5", None, None),
                ],
            ),
            // Year after the value, a direction label before the first.
            (
                "Baisse : 1 100 t en 2024, 1 000 t en 2025, 900 t en 2026",
                (2024, 2026),
                vec![
                    t(2024, "1100", Some("t"), None),
                    t(2025, "1000", Some("t"), None),
                    t(2026, "900", Some("t"), None),
                ],
            ),
            // Office targets reworded: « Objectif » and « Cible » are markers, not text.
            (
                "Objectif 2025 : 10 500 heures Cible 2026 : 12 000 heures Valeur cible 2027 : 14 000 heures",
                (2025, 2027),
                vec![
                    t(2025, "10500", h, None),
                    t(2026, "12000", h, None),
                    t(2027, "14000", h, None),
                ],
            ),
            // The whole sentence is kept beside its number.
            (
                "2025 : 1 formation minimum avec 20 personnes",
                (2025, 2025),
                vec![t(
                    2025,
                    "1",
                    Some("formations"),
                    Some("1 formation minimum avec 20 personnes"),
                )],
            ),
            (
                "2025 : 10 000 h",
                (2025, 2025),
                vec![t(2025, "10000", h, None)],
            ),
            (
                "10 000 h en 2025",
                (2025, 2025),
                vec![t(2025, "10000", h, None)],
            ),
            ("2024 → 3", (2024, 2024), vec![t(2024, "3", None, None)]),
            (
                "2025 = 12 %, 2026 = 15 %",
                (2025, 2026),
                vec![
                    t(2025, "12", Some("%"), None),
                    t(2026, "15", Some("%"), None),
                ],
            ),
            // Units.
            (
                "2025 : 250 k€",
                (2025, 2025),
                vec![t(2025, "250", Some("k€"), None)],
            ),
            (
                "2025 : 1,2 M€",
                (2025, 2025),
                vec![t(2025, "1.2", Some("M€"), None)],
            ),
            (
                "2025 : 31 107,86 €",
                (2025, 2025),
                vec![t(2025, "31107.86", Some("€"), None)],
            ),
            (
                "2025 : 120 tCO2e",
                (2025, 2025),
                vec![t(2025, "120", Some("tCO2e"), None)],
            ),
            (
                "2025 : 12 jours",
                (2025, 2025),
                vec![t(2025, "12", Some("jours"), None)],
            ),
            (
                "2025 : 40 agents",
                (2025, 2025),
                vec![t(2025, "40", Some("agents"), None)],
            ),
            (
                "2025 : 3 tonnes",
                (2025, 2025),
                vec![t(2025, "3", Some("t"), None)],
            ),
            // Comparators kept as text.
            (
                "2025 : au moins 30 %",
                (2025, 2025),
                vec![t(2025, "30", Some("%"), Some("au moins 30 %"))],
            ),
            (
                "2025 : ≤ 5 %",
                (2025, 2025),
                vec![t(2025, "5", Some("%"), Some("≤ 5 %"))],
            ),
            (
                "2025 : 30 marchés minimum",
                (2025, 2025),
                vec![t(2025, "30", Some("marchés"), Some("30 marchés minimum"))],
            ),
            // Every year; a text opening with its quantity keeps both.
            (
                "1 formation minimum avec 20 personnes",
                (2025, 2026),
                vec![
                    t(
                        2025,
                        "1",
                        Some("formations"),
                        Some("1 formation minimum avec 20 personnes"),
                    ),
                    t(
                        2026,
                        "1",
                        Some("formations"),
                        Some("1 formation minimum avec 20 personnes"),
                    ),
                ],
            ),
            (
                "au moins 30 % des marchés",
                (2025, 2025),
                vec![t(2025, "30", Some("%"), Some("au moins 30 % des marchés"))],
            ),
            (
                "30 % chaque année",
                (2025, 2027),
                vec![
                    t(2025, "30", Some("%"), None),
                    t(2026, "30", Some("%"), None),
                    t(2027, "30", Some("%"), None),
                ],
            ),
            (
                "Chaque année : 4 réunions",
                (2025, 2026),
                vec![
                    t(2025, "4", Some("réunions"), None),
                    t(2026, "4", Some("réunions"), None),
                ],
            ),
            // A baseline in brackets is not a target.
            (
                "10 000 h en 2025 (9840 heures en 2021)",
                (2025, 2025),
                vec![t(2025, "10000", h, None)],
            ),
            // A year outside the period: left out (and reported, below), the others read.
            (
                "2024 : 5 ; 2025 : 6 ; 2026 : 7",
                (2025, 2026),
                vec![t(2025, "6", None, None), t(2026, "7", None, None)],
            ),
            (
                "2025 : 6 ; 2030 : 9",
                (2025, 2026),
                vec![t(2025, "6", None, None)],
            ),
            (
                "5 h en 2024, 6 h en 2025",
                (2025, 2026),
                vec![t(2025, "6", h, None)],
            ),
        ];
        for (text, (first, last), want) in cases {
            assert_eq!(targets_of(text, first, last), want, "{text}");
        }
    }

    #[test]
    fn baselines_directions_and_outside_years_are_read_beside_the_targets() {
        let r = read_targets(
            "Cible 2024 : 25 000 h ; cible 2025 : 30 000 h ; cible 2026 : 35 000 h (référence 2022 : 18 500 h)",
            2024,
            2026,
        );
        assert_eq!(
            r.baseline,
            Some((
                Baseline {
                    value: Decimal::from(18500),
                    year: 2022
                },
                Some("h".into())
            ))
        );
        assert!(r.outside.is_empty(), "a baseline year is no target's");
        let r = read_targets(
            "Valeur de référence 2021 = 9 840 heures ; 2025 : 10 000 h",
            2025,
            2027,
        );
        assert_eq!(
            r.baseline.map(|b| (b.0.year, b.0.value)),
            Some((2021, Decimal::from(9840)))
        );
        assert_eq!(r.targets.len(), 1);
        let r = read_targets("(9840 heures en 2021) 2025 : 10 000 h", 2025, 2027);
        assert_eq!(r.baseline.map(|b| b.0.year), Some(2021));

        for (text, direction) in [
            ("Baisse : 1 100 t en 2024", Some(Direction::Down)),
            ("réduire de 10 %", Some(Direction::Down)),
            ("diminuer les déchets", Some(Direction::Down)),
            ("au plus 5 jours", Some(Direction::Down)),
            ("5 jours maximum", Some(Direction::Down)),
            ("≤ 5 %", Some(Direction::Down)),
            ("au moins 30 %", Some(Direction::Up)),
            ("hausse de 5 %", Some(Direction::Up)),
            ("1 formation minimum", None),
            ("10 000 h", None),
        ] {
            assert_eq!(
                read_targets(text, 2024, 2026).direction,
                direction,
                "{text}"
            );
        }

        assert_eq!(
            read_targets("2024 : 5 ; 2025 : 6", 2025, 2026).outside,
            [2024]
        );
        assert_eq!(
            read_targets("Valeur cible 2030: 5", 2025, 2027).outside,
            [2030]
        );
        assert_eq!(
            read_targets("5 h en 2024, 6 h en 2025", 2025, 2026).outside,
            [2024]
        );
        assert!(read_targets("janvier 2030", 2025, 2027).outside.is_empty());
        assert_eq!(
            marked_years("Cible 2024 : 1 (référence 2022 : 18 500 h)"),
            [2024]
        );
    }

    #[test]
    fn money_units_convert_into_each_other() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(convert_money(d("1.2"), "M€", "€"), Some(d("1200000")));
        assert_eq!(convert_money(d("1.2"), "M€", "k€"), Some(d("1200")));
        assert_eq!(convert_money(d("800"), "k€", "M€"), Some(d("0.8")));
        assert_eq!(convert_money(d("5"), "%", "€"), None);
    }

    #[test]
    fn units_as_columns_write_them() {
        for (unit, canonical) in [
            ("%", Some("%")),
            ("heures", Some("h")),
            ("Heure", Some("h")),
            ("h", Some("h")),
            ("€", Some("€")),
            ("K€", Some("k€")),
            ("M€", Some("M€")),
            ("t", Some("t")),
            ("Tonnes", Some("t")),
            ("tCO2e", Some("tCO2e")),
            ("jours", Some("jours")),
            ("agents", Some("agents")),
            ("Nombre", None),
            ("", None),
        ] {
            assert_eq!(canonical_unit(unit).as_deref(), canonical, "{unit}");
        }
    }
}
