//! A plan's next period: its structure, indicators, pilots and baselines copied into a new plan;
//! targets left to set, values left behind, the old plan untouched. Eight statements whatever
//! the size of the plan.

use sqlx::PgConnection;

use super::read::Structure;
use super::write::{Author, EditError, create_plan, log};
use crate::domain::ids::PlanId;
use crate::domain::structure::PlanSettings;

/// Creates the plan of `settings` with the structure of `source`; returns its id and address.
pub async fn copy_plan(
    conn: &mut PgConnection,
    source: &Structure,
    settings: &PlanSettings,
    author: Author<'_>,
) -> Result<(PlanId, String), EditError> {
    let (new_id, slug) = create_plan(conn, source.plan.organisation_id, settings, author).await?;
    let (old, new) = (source.plan.id.get(), new_id.get());
    // Items meet their copies by what is unique in a plan: an axis by its rank, an objective by its
    // number, an action by its objective and rank, an indicator by its action and rank.
    sqlx::query!(
        "INSERT INTO axis (plan_id, number, code, label) SELECT $2, number, code, label FROM axis WHERE plan_id = $1",
        old,
        new
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO objective (plan_id, axis_id, code, label, position)
           SELECT $2, na.id, o.code, o.label, o.position FROM objective o
             LEFT JOIN axis oa ON oa.id = o.axis_id
             LEFT JOIN axis na ON na.plan_id = $2 AND na.number = oa.number
            WHERE o.plan_id = $1"#,
        old,
        new
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO action (plan_id, objective_id, code, label, position)
           SELECT $2, no.id, a.code, a.label, a.position FROM action a
             JOIN objective oo ON oo.id = a.objective_id
             JOIN objective no ON no.plan_id = $2 AND no.code = oo.code
            WHERE a.plan_id = $1"#,
        old,
        new
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO indicator (plan_id, action_id, position, label, kind, unit, direction, baseline_value,
                                  baseline_year, baseline_source, partial_threshold, targets_source)
           SELECT $2, na.id, i.position, i.label, i.kind, i.unit, i.direction, i.baseline_value,
                  i.baseline_year, i.baseline_source, i.partial_threshold, NULL
             FROM indicator i
             JOIN action oa ON oa.id = i.action_id
             JOIN objective oo ON oo.id = oa.objective_id
             JOIN objective no ON no.plan_id = $2 AND no.code = oo.code
             JOIN action na ON na.objective_id = no.id AND na.position = oa.position
            WHERE i.plan_id = $1"#,
        old,
        new
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO action_pilot (action_id, service_id)
           SELECT na.id, ap.service_id FROM action_pilot ap
             JOIN action oa ON oa.id = ap.action_id
             JOIN objective oo ON oo.id = oa.objective_id
             JOIN objective no ON no.plan_id = $2 AND no.code = oo.code
             JOIN action na ON na.objective_id = no.id AND na.position = oa.position
            WHERE oa.plan_id = $1"#,
        old,
        new
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO indicator_pilot (indicator_id, service_id)
           SELECT ni.id, ip.service_id FROM indicator_pilot ip
             JOIN indicator oi ON oi.id = ip.indicator_id
             JOIN action oa ON oa.id = oi.action_id
             JOIN objective oo ON oo.id = oa.objective_id
             JOIN objective no ON no.plan_id = $2 AND no.code = oo.code
             JOIN action na ON na.objective_id = no.id AND na.position = oa.position
             JOIN indicator ni ON ni.action_id = na.id AND ni.position = oi.position
            WHERE oi.plan_id = $1"#,
        old,
        new
    )
    .execute(&mut *conn)
    .await?;
    log(
        conn,
        new_id,
        &settings.title,
        None,
        Some(new),
        &format!("Plan « {} »", settings.title),
        "copied",
        &format!(
            "Structure reprise de « {} » ({}-{}) : {} axes, {} {}, {} actions, {} indicateurs ; cibles à fixer",
            source.plan.title,
            source.plan.first_year,
            source.plan.last_year,
            source.axes.len(),
            source.objectives.len(),
            source.plan.objective_term.label_plural().to_lowercase(),
            source.actions.len(),
            source.indicators.len(),
        ),
        author,
    )
    .await?;
    Ok((new_id, slug))
}
