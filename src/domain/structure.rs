//! What an administrator writes when building a plan in the browser — a plan's settings, an
//! axis, an objective, an action, an indicator — read into checked values, with a French message
//! per refused field. Plain functions of strings: the web layer hands over what the form sent.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{Direction, IndicatorKind, ObjectiveTerm, YearValue};
use super::number::parse_fr;

/// Units proposed for an indicator; any other short unit may be written.
pub const UNITS: &[&str] = &[
    "%", "h", "€", "k€", "M€", "t", "tCO2e", "nombre", "jours", "agents", "contrats", "marchés",
];

/// The longest label (axis, objective, action, indicator) the editor takes.
pub const MAX_LABEL: usize = 1000;
/// The longest code (« 3 », « FA1 », « II »).
pub const MAX_CODE: usize = 20;
/// The longest unit.
pub const MAX_UNIT: usize = 20;
/// The longest text of a target or of a baseline's source.
pub const MAX_TEXT: usize = 500;

/// A message per refused field, by the field's name in the form.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// (field, message), in the fields' order of names.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `Ok(value)` when no field was refused.
    pub fn or<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// Whether a character has no place in a one-line text (controls, invisible or
/// direction-changing marks).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A one-line text: line breaks and tabs become spaces, runs of spaces one, trimmed; refused when
/// it holds an invisible character or is longer than `max`. Empty gives `None`.
pub fn line(value: &str, max: usize) -> Result<Option<String>, String> {
    let joined = value
        .split(['\r', '\n', '\t'])
        .collect::<Vec<_>>()
        .join(" ");
    let text = joined
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().any(invisible) {
        Err("Retirez les caractères invisibles ou de contrôle.".into())
    } else if text.chars().count() > max {
        Err(format!("{max} caractères au plus."))
    } else if text.is_empty() {
        Ok(None)
    } else {
        Ok(Some(text))
    }
}

/// A text that must be there.
pub fn required(value: &str, max: usize, what: &str) -> Result<String, String> {
    line(value, max)?.ok_or_else(|| format!("Indiquez {what}."))
}

/// A year written by a person, within `range`.
fn year(value: &str, range: std::ops::RangeInclusive<i32>) -> Result<Option<i32>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<i32>() {
        Ok(y) if range.contains(&y) => Ok(Some(y)),
        _ => Err(format!(
            "« {value} » n'est pas une année entre {} et {}.",
            range.start(),
            range.end()
        )),
    }
}

/// A plan's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSettings {
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<chrono::NaiveDate>,
    pub objective_term: ObjectiveTerm,
    pub has_axes: bool,
}

/// The plan form as sent.
#[derive(Debug, Clone, Default)]
pub struct PlanInput<'a> {
    pub title: &'a str,
    pub first_year: &'a str,
    pub last_year: &'a str,
    pub adopted_on: &'a str,
    pub objective_term: &'a str,
    pub has_axes: bool,
}

/// The longest period the database takes (16 years).
pub const MAX_PERIOD_YEARS: i32 = 16;

pub fn plan_settings(input: &PlanInput<'_>) -> Result<PlanSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = required(input.title, 300, "le titre du plan").map_err(|e| errors.add("title", e));
    let first = match year(input.first_year, 2000..=2100) {
        Ok(Some(y)) => Some(y),
        Ok(None) => {
            errors.add("first_year", "Indiquez la première année du plan.");
            None
        }
        Err(e) => {
            errors.add("first_year", e);
            None
        }
    };
    let last = match year(input.last_year, 2000..=2100) {
        Ok(Some(y)) => Some(y),
        Ok(None) => {
            errors.add("last_year", "Indiquez la dernière année du plan.");
            None
        }
        Err(e) => {
            errors.add("last_year", e);
            None
        }
    };
    if let (Some(f), Some(l)) = (first, last) {
        if l < f {
            errors.add(
                "last_year",
                format!("La dernière année ({l}) précède la première ({f})."),
            );
        } else if l - f + 1 > MAX_PERIOD_YEARS {
            errors.add(
                "last_year",
                format!(
                    "Une période de {MAX_PERIOD_YEARS} ans au plus ({} ans ici).",
                    l - f + 1
                ),
            );
        }
    }
    let adopted_on = match input.adopted_on.trim() {
        "" => None,
        s => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        {
            Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
            _ => {
                errors.add(
                    "adopted_on",
                    format!("« {s} » n'est pas une date (jj/mm/aaaa)."),
                );
                None
            }
        },
    };
    let objective_term = match input.objective_term {
        "fiche_action" => ObjectiveTerm::FicheAction,
        "objectif" | "" => ObjectiveTerm::Objectif,
        _ => {
            errors.add(
                "objective_term",
                "Choisissez « objectif » ou « fiche action ».",
            );
            ObjectiveTerm::Objectif
        }
    };
    let (Ok(title), Some(first_year), Some(last_year)) = (title, first, last) else {
        return Err(errors);
    };
    errors.or(PlanSettings {
        title,
        first_year,
        last_year,
        adopted_on,
        objective_term,
        has_axes: input.has_axes,
    })
}

/// An axis, an objective or an action: its code and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemText {
    pub code: Option<String>,
    pub label: String,
}

/// Reads a code and a label; `code_required` for objectives (their number is how the plan names
/// them).
pub fn item_text(
    code: &str,
    label: &str,
    code_required: bool,
    what: &str,
) -> Result<ItemText, FieldErrors> {
    let mut errors = FieldErrors::default();
    let code = match line(code, MAX_CODE) {
        Ok(None) if code_required => {
            errors.add("code", "Indiquez le numéro (par exemple 3 ou FA1).");
            None
        }
        Ok(c) => c,
        Err(e) => {
            errors.add("code", e);
            None
        }
    };
    let label = required(label, MAX_LABEL, what).map_err(|e| errors.add("label", e));
    match label {
        Ok(label) => errors.or(ItemText { code, label }),
        Err(()) => Err(errors),
    }
}

/// An indicator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorSettings {
    pub label: String,
    pub kind: Option<IndicatorKind>,
    pub unit: Option<String>,
    pub direction: Direction,
    pub baseline: Option<(Decimal, i32)>,
    pub baseline_source: Option<String>,
    /// Between 0 (excluded) and 1: the share of the way to the target that makes « partiellement
    /// atteint ».
    pub partial_threshold: Decimal,
    /// One per year that has a number or a text.
    pub targets: Vec<YearValue>,
}

/// The indicator form as sent: `target_value(year)` and `target_text(year)` give the fields of
/// each year of the period.
pub struct IndicatorInput<'a> {
    pub label: &'a str,
    pub kind: &'a str,
    pub unit: &'a str,
    pub direction: &'a str,
    pub baseline_value: &'a str,
    pub baseline_year: &'a str,
    pub baseline_source: &'a str,
    /// In percent: « 80 ».
    pub threshold: &'a str,
    /// (year, number as written, text as written), one per year of the period.
    pub targets: Vec<(i32, &'a str, &'a str)>,
}

/// The default partial-achievement threshold: 80 % of the way.
pub fn default_threshold() -> Decimal {
    Decimal::new(8, 1)
}

/// The names of a year's target fields in the form.
pub fn target_value_field(year: i32) -> String {
    format!("target_{year}")
}

pub fn target_text_field(year: i32) -> String {
    format!("target_text_{year}")
}

pub fn indicator_settings(input: &IndicatorInput<'_>) -> Result<IndicatorSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let label = required(input.label, MAX_LABEL, "le libellé de l'indicateur")
        .map_err(|e| errors.add("label", e));
    let kind = match input.kind {
        "" => None,
        k => IndicatorKind::from_db(k).or_else(|| {
            errors.add("kind", "Choisissez un type dans la liste.");
            None
        }),
    };
    let unit = match line(input.unit, MAX_UNIT) {
        Ok(u) => u,
        Err(e) => {
            errors.add("unit", e);
            None
        }
    };
    let direction = match input.direction {
        "down" => Direction::Down,
        "up" | "" => Direction::Up,
        _ => {
            errors.add("direction", "Choisissez « hausse » ou « baisse ».");
            Direction::Up
        }
    };
    let baseline_value = match parse_fr(input.baseline_value) {
        Ok(v) => v.map(|n| n.value),
        Err(e) => {
            errors.add("baseline_value", e.to_string());
            None
        }
    };
    let baseline_year = year(input.baseline_year, 1990..=2100).unwrap_or_else(|e| {
        errors.add("baseline_year", e);
        None
    });
    let baseline = match (baseline_value, baseline_year) {
        (Some(v), Some(y)) => Some((v, y)),
        (None, None) => None,
        (Some(_), None) if errors.get("baseline_year").is_none() => {
            errors.add(
                "baseline_year",
                "Indiquez l'année de la valeur de référence.",
            );
            None
        }
        (None, Some(_)) if errors.get("baseline_value").is_none() => {
            errors.add(
                "baseline_value",
                "Indiquez la valeur de référence de cette année.",
            );
            None
        }
        _ => None,
    };
    let baseline_source = line(input.baseline_source, MAX_TEXT).unwrap_or_else(|e| {
        errors.add("baseline_source", e);
        None
    });
    let partial_threshold = match parse_fr(input.threshold) {
        Ok(None) => default_threshold(),
        Ok(Some(n)) if n.unit.as_deref().is_none_or(|u| u == "%") => {
            if n.value > Decimal::ZERO && n.value <= Decimal::ONE_HUNDRED {
                (n.value / Decimal::ONE_HUNDRED).normalize()
            } else {
                errors.add(
                    "threshold",
                    "Un pourcentage entre 1 et 100, par exemple 80.",
                );
                default_threshold()
            }
        }
        Ok(Some(_)) => {
            errors.add(
                "threshold",
                "Un pourcentage entre 1 et 100, par exemple 80.",
            );
            default_threshold()
        }
        Err(e) => {
            errors.add("threshold", e.to_string());
            default_threshold()
        }
    };
    let mut targets = Vec::new();
    for &(year, number, text) in &input.targets {
        let value = match parse_fr(number) {
            Ok(v) => v.map(|n| n.value),
            Err(e) => {
                errors.add(target_value_field(year), e.to_string());
                None
            }
        };
        let text = line(text, MAX_TEXT).unwrap_or_else(|e| {
            errors.add(target_text_field(year), e);
            None
        });
        // A target written in words with one number (« Au moins 3 sessions ») is read as the
        // import reads it, so that the editor and a re-imported file agree.
        let value = value.or_else(|| {
            let parsed = super::targets::parse_targets(text.as_deref()?, year, year);
            match parsed.as_slice() {
                [one] if one.year == year => one.value,
                _ => None,
            }
        });
        if value.is_some() || text.is_some() {
            targets.push(YearValue { year, value, text });
        }
    }
    let Ok(label) = label else {
        return Err(errors);
    };
    errors.or(IndicatorSettings {
        label,
        kind,
        unit,
        direction,
        baseline,
        baseline_source,
        partial_threshold,
        targets,
    })
}

/// The threshold as the form shows it, in percent (« 80 »).
pub fn threshold_percent(threshold: Decimal) -> String {
    super::format::number_fr((threshold * Decimal::ONE_HUNDRED).normalize())
}

/// The four levels of a plan's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    Axis,
    Objective,
    Action,
    Indicator,
}

impl ItemKind {
    /// The segment of the editor's addresses (`…/structure/objectifs/12`).
    pub fn from_segment(segment: &str) -> Option<Self> {
        match segment {
            "axes" => Some(Self::Axis),
            "objectifs" => Some(Self::Objective),
            "actions" => Some(Self::Action),
            "indicateurs" => Some(Self::Indicator),
            _ => None,
        }
    }

    pub fn segment(self) -> &'static str {
        match self {
            Self::Axis => "axes",
            Self::Objective => "objectifs",
            Self::Action => "actions",
            Self::Indicator => "indicateurs",
        }
    }

    /// As the history stores it.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Axis => "axis",
            Self::Objective => "objective",
            Self::Action => "action",
            Self::Indicator => "indicator",
        }
    }

    /// The item's French name, capitalised (« Axe », « Fiche action »…).
    pub fn name(self, term: ObjectiveTerm) -> &'static str {
        match self {
            Self::Axis => "Axe",
            Self::Objective => term.label(),
            Self::Action => "Action",
            Self::Indicator => "Indicateur",
        }
    }

    /// « l'axe », « l'objectif », « la fiche action », « l'action », « l'indicateur ».
    pub fn the(self, term: ObjectiveTerm) -> &'static str {
        match (self, term) {
            (Self::Axis, _) => "l'axe",
            (Self::Objective, ObjectiveTerm::Objectif) => "l'objectif",
            (Self::Objective, ObjectiveTerm::FicheAction) => "la fiche action",
            (Self::Action, _) => "l'action",
            (Self::Indicator, _) => "l'indicateur",
        }
    }

    /// « un axe », « un objectif », « une fiche action », « une action », « un indicateur ».
    pub fn a(self, term: ObjectiveTerm) -> &'static str {
        match (self, term) {
            (Self::Axis, _) => "un axe",
            (Self::Objective, ObjectiveTerm::Objectif) => "un objectif",
            (Self::Objective, ObjectiveTerm::FicheAction) => "une fiche action",
            (Self::Action, _) => "une action",
            (Self::Indicator, _) => "un indicateur",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator<'a>(targets: Vec<(i32, &'a str, &'a str)>) -> IndicatorInput<'a> {
        IndicatorInput {
            label: "  Part des marchés\navec clause sociale ",
            kind: "quantitative",
            unit: "%",
            direction: "down",
            baseline_value: "12,5",
            baseline_year: "2023",
            baseline_source: "Rapport 2023",
            threshold: "75 %",
            targets,
        }
    }

    #[test]
    fn an_indicator_is_read_with_its_french_numbers() {
        let s = indicator_settings(&indicator(vec![
            (2025, "10", ""),
            (2026, "", "Mise en place"),
            (2027, "", ""),
        ]))
        .unwrap();
        assert_eq!(s.label, "Part des marchés avec clause sociale");
        assert_eq!(s.direction, Direction::Down);
        assert_eq!(s.baseline, Some((Decimal::new(125, 1), 2023)));
        assert_eq!(s.partial_threshold, Decimal::new(75, 2));
        assert_eq!(s.targets.len(), 2, "the empty year is no target");
        assert_eq!(s.targets[1].text.as_deref(), Some("Mise en place"));
    }

    #[test]
    fn each_refused_field_has_its_message() {
        let mut input = indicator(vec![(2025, "dix", "")]);
        input.label = " ";
        input.threshold = "0";
        input.baseline_year = "";
        input.direction = "sideways";
        let errors = indicator_settings(&input).unwrap_err();
        assert!(errors.get("label").unwrap().contains("libellé"));
        assert!(errors.get("threshold").unwrap().contains("entre 1 et 100"));
        assert!(errors.get("baseline_year").unwrap().contains("année"));
        assert!(errors.get("target_2025").unwrap().contains("« dix »"));
        assert!(errors.get("direction").is_some());
    }

    #[test]
    fn a_plan_period_is_checked() {
        let input = PlanInput {
            title: "SPASER",
            first_year: "2027",
            last_year: "2025",
            ..Default::default()
        };
        let errors = plan_settings(&input).unwrap_err();
        assert!(errors.get("last_year").unwrap().contains("précède"));
        let ok = plan_settings(&PlanInput {
            title: "SPASER 2028-2030",
            first_year: "2028",
            last_year: "2030",
            adopted_on: "15/01/2028",
            objective_term: "fiche_action",
            has_axes: false,
        })
        .unwrap();
        assert_eq!(ok.objective_term, ObjectiveTerm::FicheAction);
        assert_eq!(ok.adopted_on.unwrap().to_string(), "2028-01-15");
    }

    #[test]
    fn an_objective_needs_its_number_and_label() {
        let e = item_text("", "", true, "l'intitulé").unwrap_err();
        assert!(e.get("code").is_some() && e.get("label").is_some());
        let ok = item_text(" 3 ", "Former\tles acheteurs", true, "l'intitulé").unwrap();
        assert_eq!(ok.code.as_deref(), Some("3"));
        assert_eq!(ok.label, "Former les acheteurs");
        assert!(line("a\u{202E}b", 10).is_err());
    }

    #[test]
    fn the_threshold_shows_in_percent() {
        assert_eq!(threshold_percent(Decimal::new(8, 1)), "80");
        assert_eq!(threshold_percent(Decimal::new(755, 3)), "75,5");
    }
}
