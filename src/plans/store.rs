//! Writes a [`PlanDraft`] into the database, in the caller's transaction.

use std::collections::HashMap;

use sqlx::PgConnection;

use rust_decimal::Decimal;

use crate::domain::model::{PlanDraft, PlanHeader, YearValue};

/// The address of a new plan of this title: its slug, or the first of `slug-2`, `slug-3`…
/// that no plan of the organisation has (titles without Latin letters all slug to `plan`).
/// `None` when the organisation already has a plan of this title.
pub async fn new_plan_slug(
    conn: &mut PgConnection,
    organisation_id: i64,
    title: &str,
) -> Result<Option<String>, sqlx::Error> {
    let base = crate::domain::model::slugify(title);
    let rows = sqlx::query!(
        r#"SELECT slug, lower(title) = lower($3) AS "same_title!" FROM plan
            WHERE organisation_id = $1 AND (slug = $2 OR slug LIKE $2 || '-%' OR lower(title) = lower($3))"#,
        organisation_id,
        base,
        title
    )
    .fetch_all(conn)
    .await?;
    if rows.iter().any(|r| r.same_title) {
        return Ok(None);
    }
    Ok((1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|slug| !rows.iter().any(|r| r.slug == *slug)))
}

/// Stores a plan and everything under it for an organisation; returns the plan's id.
/// Services named as pilots are created for the organisation when missing.
pub async fn insert_plan(
    conn: &mut PgConnection,
    organisation_id: i64,
    header: &PlanHeader,
    draft: &PlanDraft,
) -> Result<i64, sqlx::Error> {
    let plan_id = sqlx::query_scalar!(
        r#"INSERT INTO plan (organisation_id, slug, title, first_year, last_year, adopted_on, objective_term)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"#,
        organisation_id,
        header.slug,
        header.title,
        header.first_year,
        header.last_year,
        header.adopted_on,
        header.objective_term.as_db(),
    )
    .fetch_one(&mut *conn)
    .await?;

    let services = Services::upsert(conn, organisation_id, draft).await?;
    let service_ids = |names: &[String]| services.ids(names);

    let mut axes: HashMap<i32, i64> = HashMap::new();
    for axis in &draft.axes {
        let id = sqlx::query_scalar!(
            "INSERT INTO axis (plan_id, number, label) VALUES ($1, $2, $3) RETURNING id",
            plan_id,
            axis.number,
            axis.label,
        )
        .fetch_one(&mut *conn)
        .await?;
        axes.insert(axis.number, id);
    }

    for (o_pos, objective) in draft.objectives.iter().enumerate() {
        let axis_id = objective.axis.and_then(|n| axes.get(&n).copied());
        let objective_id = sqlx::query_scalar!(
            r#"INSERT INTO objective (plan_id, axis_id, code, label, position)
               VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
            plan_id,
            axis_id,
            objective.code,
            objective.label,
            position(o_pos),
        )
        .fetch_one(&mut *conn)
        .await?;

        for (a_pos, action) in objective.actions.iter().enumerate() {
            let action_id = sqlx::query_scalar!(
                r#"INSERT INTO action (plan_id, objective_id, code, label, position)
                   VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
                plan_id,
                objective_id,
                action.code,
                action.label,
                position(a_pos),
            )
            .fetch_one(&mut *conn)
            .await?;
            sqlx::query!(
                "INSERT INTO action_pilot (action_id, service_id) SELECT $1, unnest($2::bigint[])",
                action_id,
                &service_ids(&action.pilots),
            )
            .execute(&mut *conn)
            .await?;
            let (years, texts): (Vec<i32>, Vec<String>) = action.narratives.iter().cloned().unzip();
            sqlx::query!(
                r#"INSERT INTO action_narrative (action_id, year, text)
                   SELECT $1, * FROM unnest($2::int[], $3::text[])"#,
                action_id,
                &years,
                &texts,
            )
            .execute(&mut *conn)
            .await?;

            for (i_pos, indicator) in action.indicators.iter().enumerate() {
                let indicator_id = sqlx::query_scalar!(
                    r#"INSERT INTO indicator (plan_id, action_id, position, label, kind, unit, direction,
                                              baseline_value, baseline_year, targets_source)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"#,
                    plan_id,
                    action_id,
                    position(i_pos),
                    indicator.label,
                    indicator.kind.map(|k| k.as_db()),
                    indicator.unit,
                    indicator.direction.as_db(),
                    indicator.baseline.as_ref().map(|b| b.value),
                    indicator.baseline.as_ref().map(|b| b.year),
                    indicator.targets_source,
                )
                .fetch_one(&mut *conn)
                .await?;
                sqlx::query!(
                    "INSERT INTO indicator_pilot (indicator_id, service_id) SELECT $1, unnest($2::bigint[])",
                    indicator_id,
                    &service_ids(&indicator.pilots),
                )
                .execute(&mut *conn)
                .await?;
                let (years, values, texts) = columns(&indicator.targets);
                sqlx::query!(
                    r#"INSERT INTO indicator_target (indicator_id, year, value, text)
                       SELECT $1, * FROM unnest($2::int[], $3::numeric[], $4::text[])"#,
                    indicator_id,
                    &years,
                    &values as &[Option<Decimal>],
                    &texts as &[Option<String>],
                )
                .execute(&mut *conn)
                .await?;
                let (years, values, texts) = columns(&indicator.actuals);
                sqlx::query!(
                    r#"INSERT INTO indicator_actual (indicator_id, year, value, text)
                       SELECT $1, * FROM unnest($2::int[], $3::numeric[], $4::text[])"#,
                    indicator_id,
                    &years,
                    &values as &[Option<Decimal>],
                    &texts as &[Option<String>],
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(plan_id)
}

/// Yearly values as the three arrays that `unnest` inserts in one statement.
fn columns(values: &[YearValue]) -> (Vec<i32>, Vec<Option<Decimal>>, Vec<Option<String>>) {
    let years = values.iter().map(|v| v.year).collect();
    let numbers = values.iter().map(|v| v.value).collect();
    let texts = values.iter().map(|v| v.text.clone()).collect();
    (years, numbers, texts)
}

/// How an indicator's targets change: the years it no longer has, and the rows to write (new or
/// different).
struct TargetChanges {
    gone: Vec<i32>,
    written: Vec<YearValue>,
}

fn target_changes(old: &[YearValue], new: &[YearValue]) -> TargetChanges {
    TargetChanges {
        gone: old
            .iter()
            .filter(|o| !new.iter().any(|n| n.year == o.year))
            .map(|o| o.year)
            .collect(),
        written: new
            .iter()
            .filter(|n| {
                !old.iter()
                    .any(|o| o.year == n.year && o.value == n.value && o.text == n.text)
            })
            .cloned()
            .collect(),
    }
}

/// The organisation's services named as pilots in a draft, created when missing.
struct Services(HashMap<String, i64>);

impl Services {
    async fn upsert(
        conn: &mut PgConnection,
        organisation_id: i64,
        draft: &PlanDraft,
    ) -> Result<Self, sqlx::Error> {
        let mut services = HashMap::new();
        for name in draft.pilot_names() {
            let id = sqlx::query_scalar!(
                r#"INSERT INTO service (organisation_id, name) VALUES ($1, $2)
                   ON CONFLICT (organisation_id, lower(name)) DO UPDATE SET name = service.name
                   RETURNING id"#,
                organisation_id,
                name,
            )
            .fetch_one(&mut *conn)
            .await?;
            services.insert(name.to_lowercase(), id);
        }
        Ok(Self(services))
    }

    /// The ids of these names (compared without regard to case).
    fn ids(&self, names: &[String]) -> Vec<i64> {
        names
            .iter()
            .filter_map(|n| self.0.get(&n.to_lowercase()).copied())
            .collect()
    }
}

fn position(index: usize) -> i32 {
    i32::try_from(index + 1).unwrap_or(i32::MAX)
}

/// Why a re-import was not written.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Items the re-import would remove or change hold values of a locked year: nothing written.
    #[error(
        "Rien n'a été enregistré : ces éléments ont des valeurs d'une année verrouillée, qui ne peuvent ni disparaître ni changer — {}. Gardez-les tels quels dans le fichier, ou faites déverrouiller l'année par la commande publique.",
        .0.join(" ; ")
    )]
    Locked(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// How the messages name an action: « Action 5 », or its text when it has no number.
fn action_name(code: Option<&str>, label: &str) -> String {
    match code {
        Some(code) => format!("Action {code}"),
        None => label.to_string(),
    }
}

/// Years as a message lists them: « 2025 », « 2025, 2026 ».
fn years_text(years: &[i32]) -> String {
    years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Brings an existing plan in line with a draft (a re-import): items are matched (objectives by
/// number, actions by number or else by text, indicators by their rank in the action), updated in
/// place so that the values entered for them stay, created when new, and, when `remove` is true,
/// deleted when the draft no longer has them. The caller checks beforehand that nothing is to be
/// removed unless the user confirmed it.
///
/// Nothing of a locked year may disappear or change: when the draft would remove an item holding
/// values of a locked year, or change a target of a locked year, the error names every such item
/// (the database refuses it anyway); the caller's transaction is then to be rolled back.
pub async fn sync_plan(
    conn: &mut PgConnection,
    organisation_id: i64,
    plan_id: i64,
    draft: &PlanDraft,
    remove: bool,
) -> Result<(), SyncError> {
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
    let mut locked = Vec::new();
    let services = Services::upsert(conn, organisation_id, draft).await?;
    let service_ids = |names: &[String]| services.ids(names);

    let mut axes: HashMap<i32, i64> = HashMap::new();
    for axis in &draft.axes {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO axis (plan_id, number, label) VALUES ($1, $2, $3)
               ON CONFLICT (plan_id, number) DO UPDATE SET label = EXCLUDED.label RETURNING id"#,
            plan_id,
            axis.number,
            axis.label,
        )
        .fetch_one(&mut *conn)
        .await?;
        axes.insert(axis.number, id);
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

    let old_objectives: HashMap<String, i64> =
        sqlx::query!("SELECT id, code FROM objective WHERE plan_id = $1", plan_id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| (r.code, r.id))
            .collect();
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
    let mut kept_objectives = Vec::new();
    let mut kept_actions = Vec::new();
    let mut kept_indicators = Vec::new();

    for (o_pos, objective) in draft.objectives.iter().enumerate() {
        let axis_id = objective.axis.and_then(|n| axes.get(&n).copied());
        let objective_id = match old_objectives.get(&objective.code) {
            Some(id) => {
                sqlx::query!(
                    "UPDATE objective SET label = $2, axis_id = $3, position = $4 WHERE id = $1",
                    id,
                    objective.label,
                    axis_id,
                    position(o_pos),
                )
                .execute(&mut *conn)
                .await?;
                *id
            }
            None => {
                sqlx::query_scalar!(
                    r#"INSERT INTO objective (plan_id, axis_id, code, label, position)
                       VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
                    plan_id,
                    axis_id,
                    objective.code,
                    objective.label,
                    position(o_pos),
                )
                .fetch_one(&mut *conn)
                .await?
            }
        };
        kept_objectives.push(objective_id);

        for (a_pos, action) in objective.actions.iter().enumerate() {
            let key = crate::domain::model::action_key(action.code.as_deref(), &action.label);
            let action_id = match old_actions.get(&key) {
                Some(id) => {
                    sqlx::query!(
                        "UPDATE action SET objective_id = $2, code = $3, label = $4, position = $5 WHERE id = $1",
                        id,
                        objective_id,
                        action.code,
                        action.label,
                        position(a_pos),
                    )
                    .execute(&mut *conn)
                    .await?;
                    *id
                }
                None => {
                    sqlx::query_scalar!(
                        r#"INSERT INTO action (plan_id, objective_id, code, label, position)
                           VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
                        plan_id,
                        objective_id,
                        action.code,
                        action.label,
                        position(a_pos),
                    )
                    .fetch_one(&mut *conn)
                    .await?
                }
            };
            kept_actions.push(action_id);
            sqlx::query!("DELETE FROM action_pilot WHERE action_id = $1", action_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query!(
                "INSERT INTO action_pilot (action_id, service_id) SELECT $1, unnest($2::bigint[])",
                action_id,
                &service_ids(&action.pilots),
            )
            .execute(&mut *conn)
            .await?;

            let old_indicators: Vec<i64> = sqlx::query_scalar!(
                "SELECT id FROM indicator WHERE action_id = $1 ORDER BY position DESC",
                action_id
            )
            .fetch_all(&mut *conn)
            .await?;
            // Positions were negated: the first indicator has the highest negative position.
            for (i_pos, indicator) in action.indicators.iter().enumerate() {
                let indicator_id = match old_indicators.get(i_pos) {
                    Some(id) => {
                        sqlx::query!(
                            r#"UPDATE indicator SET label = $2, kind = $3, unit = $4, direction = $5,
                                      baseline_value = $6, baseline_year = $7, targets_source = $8, position = $9
                                WHERE id = $1"#,
                            id,
                            indicator.label,
                            indicator.kind.map(|k| k.as_db()),
                            indicator.unit,
                            indicator.direction.as_db(),
                            indicator.baseline.as_ref().map(|b| b.value),
                            indicator.baseline.as_ref().map(|b| b.year),
                            indicator.targets_source,
                            position(i_pos),
                        )
                        .execute(&mut *conn)
                        .await?;
                        *id
                    }
                    None => {
                        sqlx::query_scalar!(
                            r#"INSERT INTO indicator (plan_id, action_id, position, label, kind, unit, direction,
                                                      baseline_value, baseline_year, targets_source)
                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"#,
                            plan_id,
                            action_id,
                            position(i_pos),
                            indicator.label,
                            indicator.kind.map(|k| k.as_db()),
                            indicator.unit,
                            indicator.direction.as_db(),
                            indicator.baseline.as_ref().map(|b| b.value),
                            indicator.baseline.as_ref().map(|b| b.year),
                            indicator.targets_source,
                        )
                        .fetch_one(&mut *conn)
                        .await?
                    }
                };
                kept_indicators.push(indicator_id);
                sqlx::query!(
                    "DELETE FROM indicator_pilot WHERE indicator_id = $1",
                    indicator_id
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query!(
                    "INSERT INTO indicator_pilot (indicator_id, service_id) SELECT $1, unnest($2::bigint[])",
                    indicator_id,
                    &service_ids(&indicator.pilots),
                )
                .execute(&mut *conn)
                .await?;
                // Only the targets that change are written: those of a locked year may not.
                let old = old_targets.remove(&indicator_id).unwrap_or_default();
                let changes = target_changes(&old, &indicator.targets);
                let refused: Vec<i32> = changes
                    .gone
                    .iter()
                    .chain(changes.written.iter().map(|t| &t.year))
                    .filter(|y| locked_years.contains(y))
                    .copied()
                    .collect();
                if !refused.is_empty() {
                    locked.push(format!(
                        "{} : cible {} de l'indicateur « {} »",
                        action_name(action.code.as_deref(), &action.label),
                        years_text(&refused),
                        indicator.label
                    ));
                    continue;
                }
                sqlx::query!(
                    "DELETE FROM indicator_target WHERE indicator_id = $1 AND year = ANY($2)",
                    indicator_id,
                    &changes.gone
                )
                .execute(&mut *conn)
                .await?;
                let (years, values, texts) = columns(&changes.written);
                sqlx::query!(
                    r#"INSERT INTO indicator_target (indicator_id, year, value, text)
                       SELECT $1, * FROM unnest($2::int[], $3::numeric[], $4::text[])
                       ON CONFLICT (indicator_id, year) DO UPDATE SET value = EXCLUDED.value, text = EXCLUDED.text"#,
                    indicator_id,
                    &years,
                    &values as &[Option<Decimal>],
                    &texts as &[Option<String>],
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    if remove && !locked_years.is_empty() {
        // What would be removed and holds anything of a locked year, named.
        let held = sqlx::query!(
            r#"SELECT a.code, a.label AS action_label, i.label AS "indicator_label?",
                      string_agg(DISTINCT x.what, ' et ') AS "what!",
                      array_agg(DISTINCT x.year ORDER BY x.year) AS "years!"
                 FROM (SELECT t.indicator_id, NULL::bigint AS action_id, t.year, 'cible' AS what
                         FROM indicator_target t WHERE t.plan_id = $1 AND NOT t.indicator_id = ANY($2)
                       UNION ALL
                       SELECT v.indicator_id, NULL, v.year, 'valeur réalisée' FROM indicator_actual v
                        WHERE v.plan_id = $1 AND NOT v.indicator_id = ANY($2)
                       UNION ALL
                       SELECT NULL, n.action_id, n.year, 'mis en œuvre' FROM action_narrative n
                        WHERE n.plan_id = $1 AND NOT n.action_id = ANY($3)
                       UNION ALL
                       SELECT NULL, r.action_id, r.year, 'circuit de validation' FROM action_review r
                        WHERE r.plan_id = $1 AND NOT r.action_id = ANY($3)) x
                 JOIN plan_year_lock l ON l.plan_id = $1 AND l.year = x.year
                 LEFT JOIN indicator i ON i.id = x.indicator_id
                 JOIN action a ON a.id = coalesce(x.action_id, i.action_id)
                GROUP BY a.id, a.code, a.label, i.id, i.label
                ORDER BY a.id, i.id NULLS FIRST"#,
            plan_id,
            &kept_indicators,
            &kept_actions
        )
        .fetch_all(&mut *conn)
        .await?;
        for h in held {
            let action = action_name(h.code.as_deref(), &h.action_label);
            let held = format!("{} {}", h.what, years_text(&h.years));
            locked.push(match h.indicator_label {
                Some(label) => format!("{action} : indicateur « {label} » ({held})"),
                None => match &h.code {
                    Some(_) => format!("{action} — {} ({held})", h.action_label),
                    None => format!("{action} ({held})"),
                },
            });
        }
    }
    if !locked.is_empty() {
        return Err(SyncError::Locked(locked));
    }
    if remove {
        sqlx::query!(
            "DELETE FROM indicator WHERE plan_id = $1 AND NOT id = ANY($2)",
            plan_id,
            &kept_indicators
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "DELETE FROM action WHERE plan_id = $1 AND NOT id = ANY($2)",
            plan_id,
            &kept_actions
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "DELETE FROM objective WHERE plan_id = $1 AND NOT id = ANY($2)",
            plan_id,
            &kept_objectives
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
    Ok(())
}
