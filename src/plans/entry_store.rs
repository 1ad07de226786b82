//! Saving the entry page (« Saisie »): the changes of one whole-page save, parsed and
//! rights-checked by the caller, written in one transaction of a fixed number of statements
//! whatever the number of fields: the plan locked (its saves are serialised), the current rows
//! read and locked in one statement per table, conflicts detected on all of them at once, then
//! every row written with `UNNEST` and every history line with one `INSERT … SELECT`.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::{Acquire, PgConnection};

use super::values::{self, Actual, LogLine, Narrative, ReviewState};
use crate::domain::account::Role;
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::ids::{self, ActionId, IndicatorId, PlanId, UserId};

/// An indicator's actual as the person sent it.
#[derive(Debug, Clone)]
pub struct ActualChange<'a> {
    pub indicator_id: IndicatorId,
    pub action_id: ActionId,
    /// The indicator's unit, as the history writes the values.
    pub unit: Option<&'a str>,
    pub actual: Actual,
    /// The version the person's page showed.
    pub expected_version: i32,
}

/// An action's « mis en œuvre » as the person sent it.
#[derive(Debug, Clone)]
pub struct NarrativeChange {
    pub action_id: ActionId,
    pub text: Option<String>,
    pub expected_version: i32,
}

/// One whole-page save.
#[derive(Debug, Clone)]
pub struct EntrySave<'a> {
    pub plan_id: PlanId,
    pub year: i32,
    pub user_id: UserId,
    /// The saver's role: a pilot's values returned to them are « saisi » again once changed.
    pub role: Role,
    pub actuals: Vec<ActualChange<'a>>,
    pub narratives: Vec<NarrativeChange>,
}

/// A value someone else changed since the person's page was loaded: what it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    Actual {
        indicator_id: IndicatorId,
        current: Actual,
    },
    Narrative {
        action_id: ActionId,
        current: Narrative,
    },
    /// The year was locked after the page was loaded: nothing can be written.
    YearLocked,
}

/// Applies a save in one transaction: everything, or nothing when any value conflicts (the
/// conflicts are returned, in the order of the changes). A value sent as it is stored is left
/// alone. Every change is in the history; an action whose values change gets « saisi » when it
/// had no review yet (or, for a pilot, when it was returned).
pub async fn save_entry(
    conn: &mut PgConnection,
    save: &EntrySave<'_>,
) -> Result<Vec<Conflict>, sqlx::Error> {
    let (plan_id, year, user_id) = (save.plan_id, save.year, save.user_id);
    let mut tx = conn.begin().await?;
    values::lock_plan(&mut tx, plan_id).await?;
    // Locking a year takes the same plan lock: once it is held, the answer cannot change.
    if values::is_locked(&mut tx, plan_id, year).await? {
        return Ok(vec![Conflict::YearLocked]);
    }

    let current_actuals = actuals_for_update(&mut tx, plan_id, year, &save.actuals).await?;
    let current_narratives =
        narratives_for_update(&mut tx, plan_id, year, &save.narratives).await?;
    let mut conflicts = Vec::new();
    let mut actuals = Vec::new();
    for change in &save.actuals {
        let current = current_actuals
            .get(&change.indicator_id)
            .cloned()
            .unwrap_or_default();
        if change.actual.same_as(&current) {
            continue;
        }
        if change.expected_version != current.version {
            conflicts.push(Conflict::Actual {
                indicator_id: change.indicator_id,
                current,
            });
            continue;
        }
        actuals.push((change, current));
    }
    let mut narratives = Vec::new();
    for change in &save.narratives {
        let current = current_narratives
            .get(&change.action_id)
            .cloned()
            .unwrap_or_default();
        if current.text == change.text {
            continue;
        }
        if change.expected_version != current.version {
            conflicts.push(Conflict::Narrative {
                action_id: change.action_id,
                current,
            });
            continue;
        }
        narratives.push((change, current));
    }
    if !conflicts.is_empty() {
        tx.rollback().await?;
        return Ok(conflicts);
    }

    let mut history = Vec::new();
    let line = |indicator_id, action_id, field, before, after| LogLine {
        plan_id,
        year,
        indicator_id,
        action_id: Some(action_id),
        objective_id: None,
        field,
        before,
        after,
        user_id,
    };
    for (change, current) in &actuals {
        let (a, unit) = (&change.actual, change.unit);
        let indicator = Some(change.indicator_id);
        let shown = |v: Option<Decimal>| v.map(|v| quantity_fr(v, unit));
        if a.value != current.value {
            history.push(line(
                indicator,
                change.action_id,
                "Valeur réalisée",
                shown(current.value),
                shown(a.value),
            ));
        }
        if (a.numerator, a.denominator) != (current.numerator, current.denominator) {
            let ratio = |n: Option<Decimal>, d: Option<Decimal>| {
                n.zip(d)
                    .map(|(n, d)| format!("{} / {}", number_fr(n), number_fr(d)))
            };
            history.push(line(
                indicator,
                change.action_id,
                "Numérateur / dénominateur",
                ratio(current.numerator, current.denominator),
                ratio(a.numerator, a.denominator),
            ));
        }
        if a.text != current.text {
            history.push(line(
                indicator,
                change.action_id,
                "Texte",
                current.text.clone(),
                a.text.clone(),
            ));
        }
        if a.comment != current.comment {
            history.push(line(
                indicator,
                change.action_id,
                "Commentaire",
                current.comment.clone(),
                a.comment.clone(),
            ));
        }
    }
    for (change, current) in &narratives {
        history.push(line(
            None,
            change.action_id,
            "Mis en œuvre",
            current.text.clone(),
            change.text.clone(),
        ));
    }

    write_actuals(&mut tx, year, user_id, &actuals).await?;
    write_narratives(&mut tx, year, user_id, &narratives).await?;

    // The actions touched, in the order of their first change.
    let mut touched: Vec<ActionId> = Vec::new();
    let changed = actuals
        .iter()
        .map(|(c, _)| c.action_id)
        .chain(narratives.iter().map(|(c, _)| c.action_id));
    for action_id in changed {
        if !touched.contains(&action_id) {
            touched.push(action_id);
        }
    }
    // A pilot's new values are « saisi » again until submitted.
    let reviews = reviews_for_update(&mut tx, plan_id, year, &touched).await?;
    let mut moved: Vec<(ActionId, ReviewState)> = Vec::new();
    for action_id in touched {
        let current = reviews.get(&action_id).copied();
        let next = match (current, save.role) {
            (None, _) => Some(ReviewState::Entered),
            (Some(ReviewState::Returned), Role::Pilot) => Some(ReviewState::Entered),
            _ => None,
        };
        if let Some(next) = next {
            moved.push((action_id, next));
            history.push(line(
                None,
                action_id,
                "Circuit de validation",
                current.map(|s| s.label().to_string()),
                Some(next.label().to_string()),
            ));
        }
    }
    write_reviews(&mut tx, year, user_id, &moved).await?;
    values::log_all(&mut tx, &history).await?;
    tx.commit().await?;
    Ok(Vec::new())
}

/// The current actuals of these indicators, locked for the transaction: one statement.
async fn actuals_for_update(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
    changes: &[ActualChange<'_>],
) -> Result<HashMap<IndicatorId, Actual>, sqlx::Error> {
    if changes.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = changes.iter().map(|c| c.indicator_id.get()).collect();
    Ok(sqlx::query!(
        r#"SELECT indicator_id AS "indicator_id: IndicatorId", value, text, comment, numerator, denominator, version FROM indicator_actual
            WHERE plan_id = $1 AND year = $2 AND indicator_id = ANY($3)
            ORDER BY indicator_id FOR UPDATE"#,
        plan_id.get(),
        year,
        &ids
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.indicator_id,
            Actual {
                value: r.value,
                text: r.text,
                comment: r.comment,
                numerator: r.numerator,
                denominator: r.denominator,
                version: r.version,
                computed: false,
            },
        )
    })
    .collect())
}

/// The current « mis en œuvre » of these actions, locked for the transaction: one statement.
async fn narratives_for_update(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
    changes: &[NarrativeChange],
) -> Result<HashMap<ActionId, Narrative>, sqlx::Error> {
    if changes.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = changes.iter().map(|c| c.action_id.get()).collect();
    Ok(sqlx::query!(
        r#"SELECT action_id AS "action_id: ActionId", text, version FROM action_narrative
            WHERE plan_id = $1 AND year = $2 AND action_id = ANY($3)
            ORDER BY action_id FOR UPDATE"#,
        plan_id.get(),
        year,
        &ids
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.action_id,
            Narrative {
                text: Some(r.text),
                version: r.version,
            },
        )
    })
    .collect())
}

/// The review states of these actions, locked for the transaction: one statement.
async fn reviews_for_update(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
    actions: &[ActionId],
) -> Result<HashMap<ActionId, ReviewState>, sqlx::Error> {
    if actions.is_empty() {
        return Ok(HashMap::new());
    }
    sqlx::query!(
        r#"SELECT action_id AS "action_id: ActionId", state FROM action_review
            WHERE plan_id = $1 AND year = $2 AND action_id = ANY($3)
            ORDER BY action_id FOR UPDATE"#,
        plan_id.get(),
        year,
        &ids::numbers(actions)
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.action_id, ReviewState::from_db(&r.state)?)))
    .collect::<Result<_, sqlx::Error>>()
}

/// Writes the actuals: those left empty are deleted (one statement), the others inserted or
/// updated with their next version (one statement).
async fn write_actuals(
    conn: &mut PgConnection,
    year: i32,
    user_id: UserId,
    changes: &[(&ActualChange<'_>, Actual)],
) -> Result<(), sqlx::Error> {
    let (emptied, kept): (Vec<&ActualChange>, Vec<&ActualChange>) = changes
        .iter()
        .map(|(c, _)| *c)
        .partition(|c| c.actual.value.is_none() && c.actual.text.is_none());
    if !emptied.is_empty() {
        let ids: Vec<i64> = emptied.iter().map(|c| c.indicator_id.get()).collect();
        sqlx::query!(
            "DELETE FROM indicator_actual WHERE year = $1 AND indicator_id = ANY($2)",
            year,
            &ids
        )
        .execute(&mut *conn)
        .await?;
    }
    if !kept.is_empty() {
        macro_rules! col {
            ($f:expr) => {
                kept.iter().map($f).collect::<Vec<_>>()
            };
        }
        sqlx::query!(
            r#"INSERT INTO indicator_actual (indicator_id, year, value, text, comment, numerator, denominator, updated_by)
               SELECT u.indicator_id, $1, u.value, u.text, u.comment, u.numerator, u.denominator, $2
                 FROM unnest($3::bigint[], $4::numeric[], $5::text[], $6::text[], $7::numeric[], $8::numeric[])
                      AS u(indicator_id, value, text, comment, numerator, denominator)
               ON CONFLICT (indicator_id, year) DO UPDATE
                  SET value = EXCLUDED.value, text = EXCLUDED.text, comment = EXCLUDED.comment,
                      numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator,
                      updated_by = EXCLUDED.updated_by, updated_at = now(), computed = false,
                      version = indicator_actual.version + 1"#,
            year,
            user_id.get(),
            &col!(|c| c.indicator_id.get()),
            &col!(|c| c.actual.value) as &[Option<Decimal>],
            &col!(|c| c.actual.text.clone()) as &[Option<String>],
            &col!(|c| c.actual.comment.clone()) as &[Option<String>],
            &col!(|c| c.actual.numerator) as &[Option<Decimal>],
            &col!(|c| c.actual.denominator) as &[Option<Decimal>],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes the « mis en œuvre »: emptied ones deleted, the others inserted or updated with their
/// next version; one statement each.
async fn write_narratives(
    conn: &mut PgConnection,
    year: i32,
    user_id: UserId,
    changes: &[(&NarrativeChange, Narrative)],
) -> Result<(), sqlx::Error> {
    let emptied: Vec<i64> = changes
        .iter()
        .filter(|(c, _)| c.text.is_none())
        .map(|(c, _)| c.action_id.get())
        .collect();
    let (ids, texts): (Vec<i64>, Vec<String>) = changes
        .iter()
        .filter_map(|(c, _)| Some((c.action_id.get(), c.text.clone()?)))
        .unzip();
    if !emptied.is_empty() {
        sqlx::query!(
            "DELETE FROM action_narrative WHERE year = $1 AND action_id = ANY($2)",
            year,
            &emptied
        )
        .execute(&mut *conn)
        .await?;
    }
    if !ids.is_empty() {
        sqlx::query!(
            r#"INSERT INTO action_narrative (action_id, year, text, updated_by)
               SELECT u.action_id, $1, u.text, $2 FROM unnest($3::bigint[], $4::text[]) AS u(action_id, text)
               ON CONFLICT (action_id, year) DO UPDATE
                  SET text = EXCLUDED.text, updated_by = EXCLUDED.updated_by, updated_at = now(),
                      version = action_narrative.version + 1"#,
            year,
            user_id.get(),
            &ids,
            &texts
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Sets the review state of these actions (without comment): one statement.
async fn write_reviews(
    conn: &mut PgConnection,
    year: i32,
    user_id: UserId,
    moved: &[(ActionId, ReviewState)],
) -> Result<(), sqlx::Error> {
    if moved.is_empty() {
        return Ok(());
    }
    let (ids, states): (Vec<i64>, Vec<String>) = moved
        .iter()
        .map(|(id, s)| (id.get(), s.as_db().to_string()))
        .unzip();
    sqlx::query!(
        r#"INSERT INTO action_review (action_id, year, state, comment, updated_by)
           SELECT u.action_id, $1, u.state, NULL, $2 FROM unnest($3::bigint[], $4::text[]) AS u(action_id, state)
           ON CONFLICT (action_id, year) DO UPDATE
              SET state = EXCLUDED.state, comment = EXCLUDED.comment, updated_by = EXCLUDED.updated_by,
                  updated_at = now()"#,
        year,
        user_id.get(),
        &ids,
        &states
    )
    .execute(conn)
    .await?;
    Ok(())
}
