//! The consolidated bilan of a shared plan: per indicator each member's value side by side and a
//! total where it makes sense (`domain::consolidate`), each objective marked per member and
//! overall. Built from the carrier's tree (the structure every member follows) and every member's
//! values of the year, read at once (`plans::shared::members_year`).

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::domain::consolidate::{self, MemberFigure, Total};
use crate::domain::ids::{IndicatorId, PlanId};
use crate::domain::model::IndicatorKind;
use crate::domain::status::Status;
use crate::plans::read::{PlanTree, YearEntry};
use crate::plans::shared::{Member, MembersYear};
use crate::plans::values::{self, Level, Override};

use super::Counts;

/// A member's value of an indicator.
#[derive(Debug, Clone)]
pub struct MemberValue {
    pub value: Option<Decimal>,
    pub text: Option<String>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// Left out of the public page: not validated yet.
    pub withheld: bool,
    pub status: Status,
}

impl Default for MemberValue {
    fn default() -> Self {
        Self {
            value: None,
            text: None,
            numerator: None,
            denominator: None,
            withheld: false,
            status: Status::Unknown,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConsolidatedIndicator {
    pub id: IndicatorId,
    pub label: String,
    pub unit: Option<String>,
    pub target: Option<YearEntry>,
    /// In the order of [`Consolidated::members`].
    pub members: Vec<MemberValue>,
    pub total: Total,
    pub overall: Status,
}

#[derive(Debug, Clone)]
pub struct ConsolidatedAction {
    pub heading: String,
    pub indicators: Vec<ConsolidatedIndicator>,
}

#[derive(Debug, Clone)]
pub struct ConsolidatedObjective {
    pub heading: String,
    /// In the order of [`Consolidated::members`].
    pub marks: Vec<Status>,
    pub overall: Status,
    pub actions: Vec<ConsolidatedAction>,
}

#[derive(Debug, Clone)]
pub struct ConsolidatedGroup {
    pub axis: Option<String>,
    pub objectives: Vec<ConsolidatedObjective>,
}

/// A member as the consolidated bilan names it.
#[derive(Debug, Clone)]
pub struct MemberColumn {
    pub member: Member,
    /// Who locked the member's year, and when: its bilan is validated.
    pub locked: Option<(String, chrono::DateTime<chrono::Utc>)>,
    /// Objectives per status.
    pub counts: Counts,
}

#[derive(Debug, Clone)]
pub struct Consolidated {
    pub year: i32,
    pub members: Vec<MemberColumn>,
    /// Objectives per overall status.
    pub overall: Counts,
    pub groups: Vec<ConsolidatedGroup>,
    /// Values left out because they are not validated yet (public page).
    pub withheld: usize,
}

/// Builds the consolidated bilan of `year`. `public`: only the values the public may read
/// (validated by procurement staff, or of a locked year).
pub fn build(
    tree: &PlanTree,
    members: &[Member],
    data: &MembersYear,
    year: i32,
    public: bool,
) -> Consolidated {
    let mut withheld = 0;
    // Each member's values and statuses, under the carrier's ids.
    let per_member: Vec<(HashMap<IndicatorId, MemberValue>, values::Statuses)> = members
        .iter()
        .map(|m| {
            let mut actuals: HashMap<IndicatorId, MemberValue> = HashMap::new();
            for a in data.actuals.iter().filter(|a| a.plan_id == m.plan_id) {
                let hidden = public && !a.public;
                if hidden {
                    withheld += 1;
                    actuals.insert(
                        a.indicator_id,
                        MemberValue {
                            withheld: true,
                            ..Default::default()
                        },
                    );
                    continue;
                }
                actuals.insert(
                    a.indicator_id,
                    MemberValue {
                        value: a.value,
                        text: a.text.clone(),
                        numerator: a.numerator,
                        denominator: a.denominator,
                        withheld: false,
                        status: Status::Unknown,
                    },
                );
            }
            let overrides = overrides_of(data, m.plan_id);
            let statuses = values::statuses(&member_tree(tree, &actuals, year), year, &overrides);
            (actuals, statuses)
        })
        .collect();

    let mut columns: Vec<MemberColumn> = members
        .iter()
        .map(|m| MemberColumn {
            member: m.clone(),
            locked: data.locks.get(&m.plan_id).cloned(),
            counts: Counts::default(),
        })
        .collect();
    let mut overall_counts = Counts::default();
    let mut groups = Vec::new();
    for group in &tree.groups {
        let mut objectives = Vec::new();
        for o in &group.objectives {
            let marks: Vec<Status> = per_member
                .iter()
                .map(|(_, s)| {
                    s.objectives
                        .get(&o.id)
                        .map_or(Status::Unknown, |v| v.status)
                })
                .collect();
            for (column, mark) in columns.iter_mut().zip(&marks) {
                column.counts.add(*mark);
            }
            let overall = consolidate::overall(marks.iter().copied());
            overall_counts.add(overall);
            let actions = o
                .actions
                .iter()
                .map(|a| ConsolidatedAction {
                    heading: match &a.code {
                        Some(code) => format!("Action {code} — {}", a.label),
                        None => a.label.clone(),
                    },
                    indicators: a
                        .indicators
                        .iter()
                        .map(|i| {
                            let values: Vec<MemberValue> = per_member
                                .iter()
                                .map(|(actuals, statuses)| MemberValue {
                                    status: statuses
                                        .indicators
                                        .get(&i.id)
                                        .map_or(Status::Unknown, |v| v.status),
                                    ..actuals.get(&i.id).cloned().unwrap_or_default()
                                })
                                .collect();
                            let figures: Vec<MemberFigure> = values
                                .iter()
                                .map(|v| MemberFigure {
                                    value: v.value,
                                    numerator: v.numerator,
                                    denominator: v.denominator,
                                })
                                .collect();
                            ConsolidatedIndicator {
                                id: i.id,
                                label: i.label.clone(),
                                unit: i.unit.clone(),
                                target: i.targets.iter().find(|t| t.year == year).cloned(),
                                total: consolidate::consolidate(
                                    i.unit.as_deref(),
                                    i.kind == Some(IndicatorKind::Qualitative),
                                    &figures,
                                ),
                                overall: consolidate::overall(values.iter().map(|v| v.status)),
                                members: values,
                            }
                        })
                        .collect(),
                })
                .collect();
            objectives.push(ConsolidatedObjective {
                heading: match tree.objective_term {
                    crate::domain::model::ObjectiveTerm::Objectif => {
                        format!("Objectif {} — {}", o.code, o.label)
                    }
                    crate::domain::model::ObjectiveTerm::FicheAction => {
                        format!("{} — {}", o.code, o.label)
                    }
                },
                marks,
                overall,
                actions,
            });
        }
        groups.push(ConsolidatedGroup {
            axis: group
                .axis
                .as_ref()
                .map(|a| format!("Axe {} — {}", a.number, a.label)),
            objectives,
        });
    }
    Consolidated {
        year,
        members: columns,
        overall: overall_counts,
        groups,
        withheld,
    }
}

/// The carrier's tree with one member's actuals of the year in place of the carrier's.
fn member_tree(
    tree: &PlanTree,
    actuals: &HashMap<IndicatorId, MemberValue>,
    year: i32,
) -> PlanTree {
    let mut tree = tree.clone();
    for indicator in tree
        .groups
        .iter_mut()
        .flat_map(|g| g.objectives.iter_mut())
        .flat_map(|o| o.actions.iter_mut())
        .flat_map(|a| a.indicators.iter_mut())
    {
        indicator.actuals = actuals
            .get(&indicator.id)
            .filter(|v| v.value.is_some() || v.text.is_some())
            .map(|v| YearEntry {
                year,
                value: v.value,
                text: v.text.clone(),
            })
            .into_iter()
            .collect();
    }
    tree
}

/// A member's statuses set by hand, under the carrier's ids.
fn overrides_of(data: &MembersYear, plan: PlanId) -> HashMap<(Level, i64), Override> {
    data.overrides
        .iter()
        .filter(|o| o.plan_id == plan)
        .filter_map(|o| {
            Some((
                (Level::from_db(&o.level)?, o.item_id),
                Override {
                    status: Status::from_db(&o.status)?,
                    justification: o.justification.clone(),
                    set_by: o.set_by.clone(),
                    set_at: o.set_at,
                },
            ))
        })
        .collect()
}

/// The consolidated bilan as CSV (UTF-8 with BOM, `;`, decimal comma): a line per member and
/// indicator, each naming its member, then the indicator's consolidated line (« Ensemble »).
pub fn to_csv(bilan: &Consolidated) -> Vec<u8> {
    use crate::domain::csv_file::{self, Cell};
    let number = |n: Option<Decimal>| {
        Cell::Number(
            n.map(|n| n.normalize().to_string().replace('.', ","))
                .unwrap_or_default(),
        )
    };
    let text = |t: &str| Cell::Text(t.to_string());
    let header = [
        "Membre",
        "Objectif",
        "Action",
        "Indicateur",
        "Unité",
        "Cible",
        "Réalisé",
        "Réalisé (texte)",
        "Numérateur",
        "Dénominateur",
        "Statut",
        "Consolidation",
    ]
    .into_iter()
    .map(text)
    .collect::<Vec<_>>();
    let mut rows = vec![header];
    for objective in bilan.groups.iter().flat_map(|g| g.objectives.iter()) {
        for action in &objective.actions {
            for indicator in &action.indicators {
                let unit = indicator.unit.as_deref().unwrap_or_default();
                let target = indicator.target.as_ref().and_then(|t| t.value);
                for (column, value) in bilan.members.iter().zip(&indicator.members) {
                    rows.push(vec![
                        text(&column.member.organisation_name),
                        text(&objective.heading),
                        text(&action.heading),
                        text(&indicator.label),
                        text(unit),
                        number(target),
                        number(value.value),
                        text(value.text.as_deref().unwrap_or_default()),
                        number(value.numerator),
                        number(value.denominator),
                        text(value.status.label()),
                        text(if value.withheld {
                            "valeur en cours de validation, non publiée"
                        } else {
                            ""
                        }),
                    ]);
                }
                let (total, numerator, denominator, how) = match &indicator.total {
                    Total::Sum { total, gave, of } => (
                        Some(*total),
                        None,
                        None,
                        format!("somme ({gave} membres sur {of})"),
                    ),
                    Total::Share {
                        percent,
                        numerator,
                        denominator,
                        gave,
                        of,
                    } => (
                        Some(*percent),
                        Some(*numerator),
                        Some(*denominator),
                        format!(
                            "part recalculée des numérateurs et dénominateurs ({gave} membres sur {of})"
                        ),
                    ),
                    Total::NotConsolidable(why) => (None, None, None, why.to_string()),
                    Total::Empty => (None, None, None, "aucune valeur".into()),
                };
                rows.push(vec![
                    text("Ensemble (consolidé)"),
                    text(&objective.heading),
                    text(&action.heading),
                    text(&indicator.label),
                    text(unit),
                    number(target),
                    number(total),
                    text(""),
                    number(numerator),
                    number(denominator),
                    text(indicator.overall.label()),
                    text(&how),
                ]);
            }
        }
    }
    csv_file::write(rows)
}
