//! Writes a [`PlanDraft`] into the database, in the caller's transaction: a new plan, or an
//! existing one brought in line with a re-imported file. Both go through the same writer, with
//! a fixed number of statements whatever the size of the plan (each level written with `UNNEST`
//! in one statement, `MERGE` where stored items are updated and new ones inserted).

mod locked;
mod slug;
mod writer;

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::domain::ids::{OrganisationId, PlanId};
use crate::domain::model::{PlanDraft, PlanHeader, YearValue};

pub use locked::SyncError;
use locked::locked_items;
pub use slug::new_plan_slug;
use writer::{Matched, Values, write};

/// Stores a plan and everything under it for an organisation; returns the plan's id.
/// Services named as pilots are created for the organisation when missing.
pub async fn insert_plan(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    header: &PlanHeader,
    draft: &PlanDraft,
) -> Result<PlanId, sqlx::Error> {
    let plan_id = sqlx::query_scalar!(
        r#"INSERT INTO plan (organisation_id, slug, title, first_year, last_year, adopted_on, objective_term, has_axes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"#,
        organisation_id.get(),
        header.slug,
        header.title,
        header.first_year,
        header.last_year,
        header.adopted_on,
        header.objective_term.as_db(),
        // A plan with axes in its file groups its objectives under axes.
        !draft.axes.is_empty(),
    )
    .fetch_one(&mut *conn)
    .await?;
    let matched = Matched::new(draft, &HashMap::new(), &HashMap::new());
    write(
        conn,
        organisation_id.get(),
        plan_id,
        &matched,
        &HashMap::new(),
        Values::FromDraft,
    )
    .await?;
    Ok(PlanId(plan_id))
}

/// Brings an existing plan in line with a draft (a re-import): items are matched (objectives by
/// number, actions by number or else by text, indicators by their rank in the action), updated in
/// place so that the values entered for them stay, created when new, and, when `remove` is true,
/// deleted when the draft no longer has them. The caller checks beforehand that nothing is to be
/// removed unless the user confirmed it. A fixed number of statements, whatever the size of the
/// plan: the same writer as a new plan's.
///
/// Nothing of a locked year may disappear or change: when the draft would remove an item holding
/// values of a locked year, or change a target of a locked year, the error names every such item
/// (the database refuses it anyway) and nothing of the draft is written; the caller's
/// transaction is then to be rolled back.
pub async fn sync_plan(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    plan_id: PlanId,
    draft: &PlanDraft,
    remove: bool,
) -> Result<(), SyncError> {
    // Inside the writer, ids are the numbers its statements take in arrays.
    // A member plan's structure is its carrier's (`plans::shared`).
    if super::shared::carrier_of(&mut *conn, plan_id)
        .await?
        .is_some()
    {
        return Err(SyncError::SharedMember);
    }
    let carrier = plan_id;
    let (organisation_id, plan_id) = (organisation_id.get(), plan_id.get());
    let locked_years: Vec<i32> = sqlx::query_scalar!(
        "SELECT year FROM plan_year_lock WHERE plan_id = $1 ORDER BY year",
        plan_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut old_targets: HashMap<i64, Vec<YearValue>> = HashMap::new();
    for t in sqlx::query!(
        "SELECT indicator_id, year, value, text FROM indicator_target WHERE plan_id = $1",
        plan_id
    )
    .fetch_all(&mut *conn)
    .await?
    {
        old_targets
            .entry(t.indicator_id)
            .or_default()
            .push(YearValue {
                year: t.year,
                value: t.value,
                text: t.text,
            });
    }

    // Positions are unique: move the old ones out of the way first.
    sqlx::query!(
        "UPDATE objective SET position = -position - 1000000 WHERE plan_id = $1",
        plan_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE action SET position = -position - 1000000 WHERE plan_id = $1",
        plan_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE indicator SET position = -position - 1000000 WHERE plan_id = $1",
        plan_id
    )
    .execute(&mut *conn)
    .await?;

    let old_actions: HashMap<String, i64> = sqlx::query!(
        "SELECT id, code, label FROM action WHERE plan_id = $1",
        plan_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            crate::domain::model::action_key(r.code.as_deref(), &r.label),
            r.id,
        )
    })
    .collect();
    // Positions were negated: an action's first indicator has the highest negative position.
    let mut old_indicators: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in sqlx::query!(
        "SELECT id, action_id FROM indicator WHERE plan_id = $1 ORDER BY action_id, position DESC",
        plan_id
    )
    .fetch_all(&mut *conn)
    .await?
    {
        old_indicators.entry(r.action_id).or_default().push(r.id);
    }
    let matched = Matched::new(draft, &old_actions, &old_indicators);

    // Nothing of a locked year changes: the targets first, then what would be removed.
    let locked = locked_items(
        &mut *conn,
        plan_id,
        &locked_years,
        &matched,
        &old_targets,
        remove,
    )
    .await?;
    if !locked.is_empty() {
        return Err(SyncError::Locked(locked));
    }

    let kept = write(
        conn,
        organisation_id,
        plan_id,
        &matched,
        &old_targets,
        Values::Kept,
    )
    .await?;
    if remove {
        sqlx::query!(
            "DELETE FROM indicator WHERE plan_id = $1 AND NOT id = ANY($2)",
            plan_id,
            &kept.indicators
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "DELETE FROM action WHERE plan_id = $1 AND NOT id = ANY($2)",
            plan_id,
            &kept.actions
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "DELETE FROM objective WHERE plan_id = $1 AND NOT id = ANY($2)",
            plan_id,
            &kept.objectives
        )
        .execute(&mut *conn)
        .await?;
        let numbers: Vec<i32> = draft.axes.iter().map(|a| a.number).collect();
        sqlx::query!(
            r#"DELETE FROM axis WHERE plan_id = $1 AND NOT number = ANY($2)
                AND NOT EXISTS (SELECT 1 FROM objective o WHERE o.axis_id = axis.id)"#,
            plan_id,
            &numbers
        )
        .execute(&mut *conn)
        .await?;
    }
    // The members of a shared plan follow its structure, in the same transaction.
    super::shared::sync_members(conn, carrier).await?;
    Ok(())
}
