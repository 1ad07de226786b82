//! A plan's values of every year, read in one query for a render (actuals, narratives, the
//! actions' years validated, the years locked, and the structure revision they go with), and put
//! into a structure kept ([`PlanTree::with_values`]).

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{PlanTree, YearEntry};
use crate::domain::ids::{ActionId, IndicatorId, PlanId};

/// A plan's values of every year (actuals, narratives, the actions' years validated, the years
/// locked; the targets go with the structure) as one query read them, with the plan's structure
/// revision in the same snapshot.
pub struct PlanValues {
    rows: Vec<ValueRow>,
    /// The plan's `structure_revision` when its values were read: the structure they go with.
    pub structure_revision: i64,
}

/// A plan's values of every year and its structure revision: one query.
pub async fn plan_values(
    db: impl sqlx::PgExecutor<'_>,
    plan: PlanId,
) -> Result<PlanValues, sqlx::Error> {
    let mut rows = value_rows(db, plan).await?;
    let structure_revision = rows
        .iter()
        .find(|r| r.kind == kind::STRUCTURE)
        .map_or(0, |r| r.item_id);
    rows.retain(|r| r.kind != kind::STRUCTURE);
    // In the order of the years (a few thousand rows: cheaper here than in the database).
    rows.sort_unstable_by_key(|r| r.year);
    Ok(PlanValues {
        rows,
        structure_revision,
    })
}

/// What a row of a plan's values is: a number, not a text to allocate for each of thousands of
/// rows.
mod kind {
    pub const ACTUAL: i32 = 2;
    pub const NARRATIVE: i32 = 3;
    pub const VALIDATED: i32 = 4;
    pub const LOCKED: i32 = 5;
    /// The plan's structure revision (in `item_id`).
    pub const STRUCTURE: i32 = 6;
}

/// One value of a plan: an actual or a narrative of a year, an action validated or a
/// year locked (`kind`).
struct ValueRow {
    kind: i32,
    item_id: i64,
    year: i32,
    value: Option<Decimal>,
    text: Option<String>,
}

/// Actuals and narratives of every year, what is validated and what locked, and the plan's
/// structure revision (a row of its own): one query, in no order.
async fn value_rows(
    db: impl sqlx::PgExecutor<'_>,
    plan: PlanId,
) -> Result<Vec<ValueRow>, sqlx::Error> {
    sqlx::query_as!(
        ValueRow,
        // The first column is the row's kind: the numbers of `mod kind`.
        r#"SELECT 2 AS "kind!", v.indicator_id AS "item_id!", v.year AS "year!", v.value, v.text
             FROM indicator_actual v WHERE v.plan_id = $1
           UNION ALL
           SELECT 3, n.action_id, n.year, NULL, n.text
             FROM action_narrative n WHERE n.plan_id = $1
           UNION ALL
           SELECT 4, r.action_id, r.year, NULL, NULL
             FROM action_review r WHERE r.plan_id = $1 AND r.state = 'validated'
           UNION ALL
           SELECT 5, l.plan_id, l.year, NULL, NULL FROM plan_year_lock l WHERE l.plan_id = $1
           UNION ALL
           SELECT 6, p.structure_revision, 0, NULL, NULL FROM plan p WHERE p.id = $1"#,
        plan.get()
    )
    .fetch_all(db)
    .await
}

impl PlanTree {
    /// This structure (with its targets, without values) with the plan's values of every year.
    /// Values of an item the structure does not hold (removed since) are left out; an item they
    /// miss has none.
    pub fn with_values(mut self, values: PlanValues) -> PlanTree {
        let mut actuals: HashMap<IndicatorId, Vec<YearEntry>> = HashMap::new();
        let mut narratives: HashMap<ActionId, Vec<(i32, String)>> = HashMap::new();
        for v in values.rows {
            let entry = |v: ValueRow| YearEntry {
                year: v.year,
                value: v.value,
                text: v.text,
            };
            match v.kind {
                kind::VALIDATED => {
                    self.validated.insert((ActionId(v.item_id), v.year));
                }
                kind::LOCKED => self.locked_years.push(v.year),
                kind::ACTUAL => actuals
                    .entry(IndicatorId(v.item_id))
                    .or_default()
                    .push(entry(v)),
                kind::NARRATIVE => narratives
                    .entry(ActionId(v.item_id))
                    .or_default()
                    .push((v.year, v.text.unwrap_or_default())),
                _ => {}
            }
        }
        for action in self
            .groups
            .iter_mut()
            .flat_map(|g| g.objectives.iter_mut())
            .flat_map(|o| o.actions.iter_mut())
        {
            action.narratives = narratives.remove(&action.id).unwrap_or_default();
            for indicator in &mut action.indicators {
                indicator.actuals = actuals.remove(&indicator.id).unwrap_or_default();
            }
        }
        self
    }
}
