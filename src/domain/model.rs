//! A plan as a document describes it, before it is stored: the common shape that the
//! spreadsheet import and the shipped demo data both produce.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a plan calls the level under its axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveTerm {
    /// « Objectif » (the office's plan).
    Objectif,
    /// « Fiche action » (GOSB's plan, which has no axes).
    FicheAction,
}

impl ObjectiveTerm {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Objectif => "objectif",
            Self::FicheAction => "fiche_action",
        }
    }

    pub fn from_db(value: &str) -> Self {
        if value == "fiche_action" {
            Self::FicheAction
        } else {
            Self::Objectif
        }
    }

    /// The French word, singular.
    pub fn label(self) -> &'static str {
        match self {
            Self::Objectif => "Objectif",
            Self::FicheAction => "Fiche action",
        }
    }

    /// The French word, plural.
    pub fn label_plural(self) -> &'static str {
        match self {
            Self::Objectif => "Objectifs",
            Self::FicheAction => "Fiches action",
        }
    }
}

/// « Type d'indicateur »: `Quanti (chiffre)`, `Quali (texte)`, `Les 2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    Quantitative,
    Qualitative,
    Both,
}

impl IndicatorKind {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Quantitative => "quantitative",
            Self::Qualitative => "qualitative",
            Self::Both => "both",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "quantitative" => Some(Self::Quantitative),
            "qualitative" => Some(Self::Qualitative),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    /// Reads the spreadsheet's wording, tolerant of case, accents and spacing.
    pub fn parse_fr(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        if t.starts_with("quanti") {
            Some(Self::Quantitative)
        } else if t.starts_with("quali") {
            Some(Self::Qualitative)
        } else if t.starts_with("les 2") || t.starts_with("les deux") || t == "2" {
            Some(Self::Both)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Quantitative => "Quantitatif",
            Self::Qualitative => "Qualitatif",
            Self::Both => "Quantitatif et qualitatif",
        }
    }
}

/// The direction in which an indicator improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Up,
    Down,
}

impl Direction {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }

    pub fn from_db(value: &str) -> Self {
        if value == "down" {
            Self::Down
        } else {
            Self::Up
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Up => "À la hausse",
            Self::Down => "À la baisse",
        }
    }
}

/// A number and/or a text for one year: a target or an actual value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct YearValue {
    pub year: i32,
    #[serde(default)]
    pub value: Option<Decimal>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Baseline {
    pub value: Decimal,
    pub year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PlanHeader {
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct PlanDraft {
    pub axes: Vec<AxisDraft>,
    pub objectives: Vec<ObjectiveDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AxisDraft {
    /// The axis's rank: the buyer's number when the plan numbers its axes 1, 2, 3…
    pub number: i32,
    pub label: String,
    /// The buyer's own label for the axis when it is not that number (`A`, `II`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl AxisDraft {
    /// The axis's name as the buyer writes it: its code, else its number.
    pub fn name(&self) -> String {
        self.code.clone().unwrap_or_else(|| self.number.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ObjectiveDraft {
    /// The number of the axis it sits under, if the plan has axes.
    pub axis: Option<i32>,
    pub code: String,
    pub label: String,
    pub actions: Vec<ActionDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct ActionDraft {
    pub code: Option<String>,
    pub label: String,
    pub pilots: Vec<String>,
    pub indicators: Vec<IndicatorDraft>,
    /// What was done, per year (« Mis en œuvre »).
    pub narratives: Vec<(i32, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct IndicatorDraft {
    pub label: String,
    pub kind: Option<IndicatorKind>,
    pub unit: Option<String>,
    pub direction: Direction,
    pub baseline: Option<Baseline>,
    pub targets_source: Option<String>,
    pub targets: Vec<YearValue>,
    pub actuals: Vec<YearValue>,
    pub pilots: Vec<String>,
}

impl PlanDraft {
    pub fn actions(&self) -> impl Iterator<Item = &ActionDraft> {
        self.objectives.iter().flat_map(|o| o.actions.iter())
    }

    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorDraft> {
        self.actions().flat_map(|a| a.indicators.iter())
    }

    /// Every pilot named anywhere in the plan, in order of first appearance, once each
    /// (compared without regard to case).
    pub fn pilot_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let all = self.actions().flat_map(|a| {
            a.pilots
                .iter()
                .chain(a.indicators.iter().flat_map(|i| i.pilots.iter()))
        });
        for name in all {
            if !names
                .iter()
                .any(|n| n.to_lowercase() == name.to_lowercase())
            {
                names.push(name.clone());
            }
        }
        names
    }
}

/// The key by which an action of the file meets an action of the plan.
pub fn action_key(code: Option<&str>, label: &str) -> String {
    match code {
        Some(code) => format!("n°{code}"),
        None => crate::domain::sheet::fold(label),
    }
}

/// A plan's address from its title.
pub fn slugify(title: &str) -> String {
    let folded = crate::domain::sheet::fold(title);
    let mut slug = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug
        .trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>();
    if slug.is_empty() {
        "plan".into()
    } else {
        slug.trim_end_matches('-').to_string()
    }
}

/// A plan's period: its first and last year, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: i32,
    pub last: i32,
}

impl Period {
    pub fn new(first: i32, last: i32) -> Self {
        Self { first, last }
    }

    pub fn contains(self, year: i32) -> bool {
        (self.first..=self.last).contains(&year)
    }

    /// Every year of the period, in order.
    pub fn years(self) -> std::ops::RangeInclusive<i32> {
        self.first..=self.last
    }

    /// The year being filled: the first year not locked up to this calendar year, else the
    /// last of those years, else (a plan not started) its first year.
    pub fn working_year(self, locked: &[i32], today: i32) -> i32 {
        let years: Vec<i32> = self.years().filter(|y| *y <= today).collect();
        years
            .iter()
            .copied()
            .find(|y| !locked.contains(y))
            .or_else(|| years.last().copied())
            .unwrap_or(self.first)
    }
}

#[cfg(test)]
mod working_year_tests {
    use super::Period;

    #[test]
    fn the_working_year_is_the_first_unlocked_one_up_to_today() {
        let p = Period::new(2025, 2027);
        assert_eq!(p.working_year(&[], 2026), 2025);
        assert_eq!(p.working_year(&[2025], 2026), 2026);
        assert_eq!(p.working_year(&[2025, 2026], 2026), 2026);
        assert_eq!(p.working_year(&[], 2030), 2025);
        assert_eq!(Period::new(2028, 2030).working_year(&[], 2026), 2028);
    }
}

/// What has a period.
pub trait HasPeriod {
    fn first_year(&self) -> i32;
    fn last_year(&self) -> i32;
    fn period(&self) -> Period {
        Period::new(self.first_year(), self.last_year())
    }
}

/// Implements [`HasPeriod`] for structs with `first_year` and `last_year` fields.
#[macro_export]
macro_rules! has_period {
    ($($t:ty),*) => {$(
        impl $crate::domain::model::HasPeriod for $t {
            fn first_year(&self) -> i32 {
                self.first_year
            }
            fn last_year(&self) -> i32 {
                self.last_year
            }
        }
    )*};
}

has_period!(PlanHeader);
