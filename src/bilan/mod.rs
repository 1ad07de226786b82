//! The annual bilan of a plan: what the steering committee reads and the buyer publishes.
//! Built from the plan tree and the year's statuses; exported to CSV, XLSX and JSON.

mod change;
pub mod consolidated;
mod docx;
mod export;
mod pdf;
mod synthesis;

pub use change::{Change, Trend, change};
pub use docx::to_docx;
pub use export::{WITHHELD, to_csv, to_json, to_xlsx};
pub use pdf::{PdfError, to_pdf};
pub use synthesis::{KeyFigure, SynthesisLine};

use crate::domain::model::HasPeriod;
use rust_decimal::Decimal;

use crate::domain::chart::{self, IndicatorChart};
use crate::domain::format::year_on_year;
use crate::domain::model::ObjectiveTerm;
use crate::domain::status::Status;
use crate::plans::read::{IndicatorNode, PlanTree, YearEntry};
use crate::plans::values::{Lock, StatusView, Statuses};

/// How many objectives stand where, for an axis or the whole plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub achieved: usize,
    pub partial: usize,
    pub not_achieved: usize,
    pub to_appraise: usize,
    pub unknown: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Achieved => self.achieved += 1,
            Status::Partial => self.partial += 1,
            Status::NotAchieved => self.not_achieved += 1,
            Status::ToAppraise => self.to_appraise += 1,
            Status::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.achieved + self.partial + self.not_achieved + self.to_appraise + self.unknown
    }

    /// In the order the bilan shows them, with their badge class and label.
    pub fn parts(&self) -> [(usize, &'static str, &'static str); 5] {
        [
            (
                self.achieved,
                Status::Achieved.badge_class(),
                Status::Achieved.label(),
            ),
            (
                self.partial,
                Status::Partial.badge_class(),
                Status::Partial.label(),
            ),
            (
                self.not_achieved,
                Status::NotAchieved.badge_class(),
                Status::NotAchieved.label(),
            ),
            (
                self.to_appraise,
                Status::ToAppraise.badge_class(),
                Status::ToAppraise.label(),
            ),
            (
                self.unknown,
                Status::Unknown.badge_class(),
                Status::Unknown.label(),
            ),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub label: String,
    pub counts: Counts,
}

#[derive(Debug, Clone)]
pub struct Bilan {
    pub organisation: String,
    pub plan_title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub year: i32,
    /// The year before, when it is in the plan's period.
    pub previous_year: Option<i32>,
    pub objective_term: ObjectiveTerm,
    /// Per axis, then the whole plan last.
    pub summary: Vec<SummaryLine>,
    pub groups: Vec<BilanGroup>,
    /// The year's lock: the bilan is validated; without it, provisional.
    pub validated: Option<Lock>,
}

impl Bilan {
    /// « Bilan validé le 12/03/2026 par … », or provisional.
    pub fn validation(&self) -> String {
        match &self.validated {
            Some(lock) => format!(
                "Bilan validé le {} par {} (année verrouillée).",
                lock.at.format("%d/%m/%Y"),
                lock.by
            ),
            None => "Bilan provisoire : l'année n'est pas verrouillée, ses valeurs peuvent encore changer.".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BilanGroup {
    pub axis: Option<String>,
    pub objectives: Vec<BilanObjective>,
}

#[derive(Debug, Clone)]
pub struct BilanObjective {
    pub code: String,
    pub label: String,
    pub status: StatusView,
    pub actions: Vec<BilanAction>,
}

#[derive(Debug, Clone)]
pub struct BilanAction {
    pub code: Option<String>,
    pub label: String,
    pub pilots: Vec<String>,
    pub status: StatusView,
    pub narrative: Option<String>,
    pub indicators: Vec<BilanIndicator>,
    /// The public reads it: its values of the year are not validated yet, and left out.
    pub withheld: bool,
    /// The same for the year before.
    pub previous_withheld: bool,
}

#[derive(Debug, Clone)]
pub struct BilanIndicator {
    pub label: String,
    pub unit: Option<String>,
    /// Whether more is better.
    pub direction: crate::domain::model::Direction,
    pub target: Option<Decimal>,
    pub target_text: Option<String>,
    pub actual: Option<Decimal>,
    pub actual_text: Option<String>,
    pub previous: Option<Decimal>,
    pub previous_text: Option<String>,
    pub status: StatusView,
    /// `97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)`.
    pub sentence: Option<String>,
    /// Target and actual over the plan's years.
    pub chart: Option<IndicatorChart>,
}

fn at(entries: &[YearEntry], year: i32) -> Option<&YearEntry> {
    entries.iter().find(|e| e.year == year)
}

fn unknown() -> StatusView {
    StatusView {
        status: Status::Unknown,
        computed: Some(Status::Unknown),
        overridden: None,
    }
}

fn indicator(
    node: &IndicatorNode,
    year: i32,
    previous_year: Option<i32>,
    years: &[i32],
    statuses: &Statuses,
) -> BilanIndicator {
    let target = at(&node.targets, year);
    let actual = at(&node.actuals, year);
    let previous = previous_year.and_then(|y| at(&node.actuals, y));
    let unit = node.unit.as_deref();
    let sentence = actual.and_then(|a| a.value).map(|a| {
        year_on_year(
            a,
            unit,
            target.and_then(|t| t.value),
            previous.and_then(|p| p.value).zip(previous_year),
        )
    });
    let chart = chart::indicator_chart(
        years,
        &years
            .iter()
            .map(|y| at(&node.targets, *y).and_then(|t| t.value))
            .collect::<Vec<_>>(),
        &years
            .iter()
            .map(|y| at(&node.actuals, *y).and_then(|a| a.value))
            .collect::<Vec<_>>(),
        unit,
    );
    BilanIndicator {
        label: node.label.clone(),
        unit: node.unit.clone(),
        direction: node.direction,
        target: target.and_then(|t| t.value),
        target_text: target.and_then(|t| t.text.clone()),
        actual: actual.and_then(|a| a.value),
        actual_text: actual.and_then(|a| a.text.clone()),
        previous: previous.and_then(|p| p.value),
        previous_text: previous.and_then(|p| p.text.clone()),
        status: statuses
            .indicators
            .get(&node.id)
            .cloned()
            .unwrap_or_else(unknown),
        sentence,
        chart,
    }
}

/// The bilan of a year.
pub fn build(tree: &PlanTree, year: i32, statuses: &Statuses) -> Bilan {
    let previous_year = Some(year - 1).filter(|y| *y >= tree.first_year);
    let years: Vec<i32> = tree.period().years().collect();
    let mut total = Counts::default();
    let mut summary = Vec::new();
    let mut groups = Vec::new();
    for group in &tree.groups {
        let mut counts = Counts::default();
        let objectives: Vec<BilanObjective> = group
            .objectives
            .iter()
            .map(|o| {
                let status = statuses
                    .objectives
                    .get(&o.id)
                    .cloned()
                    .unwrap_or_else(unknown);
                counts.add(status.status);
                total.add(status.status);
                BilanObjective {
                    code: o.code.clone(),
                    label: o.label.clone(),
                    status,
                    actions: o
                        .actions
                        .iter()
                        .map(|a| BilanAction {
                            code: a.code.clone(),
                            label: a.label.clone(),
                            pilots: a.pilots.clone(),
                            status: statuses.actions.get(&a.id).cloned().unwrap_or_else(unknown),
                            narrative: a
                                .narratives
                                .iter()
                                .find(|(y, _)| *y == year)
                                .map(|(_, t)| t.clone()),
                            indicators: a
                                .indicators
                                .iter()
                                .map(|i| indicator(i, year, previous_year, &years, statuses))
                                .collect(),
                            withheld: tree.withheld.contains(&(a.id, year)),
                            previous_withheld: previous_year
                                .is_some_and(|p| tree.withheld.contains(&(a.id, p))),
                        })
                        .collect(),
                }
            })
            .collect();
        let axis = group
            .axis
            .as_ref()
            .map(|a| format!("Axe {} — {}", a.number, a.label));
        if let Some(label) = &axis {
            summary.push(SummaryLine {
                label: label.clone(),
                counts,
            });
        }
        groups.push(BilanGroup { axis, objectives });
    }
    summary.push(SummaryLine {
        label: "Ensemble du plan".into(),
        counts: total,
    });
    Bilan {
        organisation: tree.organisation.name.clone(),
        plan_title: tree.title.clone(),
        first_year: tree.first_year,
        last_year: tree.last_year,
        year,
        previous_year,
        objective_term: tree.objective_term,
        summary,
        groups,
        validated: None,
    }
}

/// The year a plan's pages open on: the one asked if in the period, else the latest year some
/// indicator has a value (or words) for, else the plan's first year.
pub fn default_year(tree: &PlanTree, asked: Option<i32>) -> i32 {
    let with_values = tree
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .flat_map(|o| o.actions.iter())
        .flat_map(|a| a.indicators.iter())
        .flat_map(|i| i.actuals.iter())
        .filter(|v| v.value.is_some() || v.text.is_some())
        .map(|v| v.year);
    crate::domain::years::default_year(tree.period().years(), asked, with_values)
}

/// A value as a document writes it: the number with its unit, its words, or « — ».
fn value(number: Option<Decimal>, text: Option<&String>, unit: Option<&str>) -> String {
    let parts: Vec<String> = number
        .map(|n| crate::domain::format::quantity_fr(n, unit))
        .into_iter()
        .chain(text.cloned())
        .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" — ")
    }
}

/// How a downloaded document presents itself: validated or provisional, when it was made, for
/// whom.
#[derive(Debug, Clone)]
pub struct Edition {
    /// The day the year was locked, if it is.
    pub validated_on: Option<chrono::NaiveDate>,
    pub made_on: chrono::NaiveDate,
    pub public: bool,
    /// The organisation's mark on the cover: its initials on its accent colour.
    pub initials: String,
    pub accent: crate::domain::colour::Rgb,
}

impl Edition {
    /// « Bilan provisoire » or « Bilan validé le 3 mars 2025 ».
    pub fn state(&self) -> String {
        match self.validated_on {
            Some(day) => format!("Bilan validé le {}", crate::domain::format::date_fr(day)),
            None => "Bilan provisoire : les valeurs de l'année peuvent encore changer".into(),
        }
    }
}

/// One line of the exports: an indicator, or an action that has none.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub axis: Option<&'a str>,
    pub objective: &'a BilanObjective,
    pub action: &'a BilanAction,
    pub indicator: Option<&'a BilanIndicator>,
}

impl Bilan {
    /// How many actions have values of the year left out, not yet validated (public bilans).
    pub fn withheld(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| g.objectives.iter())
            .flat_map(|o| o.actions.iter())
            .filter(|a| a.withheld)
            .count()
    }

    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows = Vec::new();
        for group in &self.groups {
            for objective in &group.objectives {
                for action in &objective.actions {
                    let axis = group.axis.as_deref();
                    if action.indicators.is_empty() {
                        rows.push(Row {
                            axis,
                            objective,
                            action,
                            indicator: None,
                        });
                    }
                    for indicator in &action.indicators {
                        rows.push(Row {
                            axis,
                            objective,
                            action,
                            indicator: Some(indicator),
                        });
                    }
                }
            }
        }
        rows
    }
}

crate::has_period!(Bilan);
