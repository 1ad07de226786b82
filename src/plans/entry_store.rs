//! Saving the entry page (« Saisie »): the changes of one whole-page save, parsed and
//! rights-checked by the caller, written in one transaction of a fixed number of statements
//! whatever the number of fields: the plan locked (its saves are serialised), the year's lock and
//! the current rows read (and locked) in one statement, conflicts detected on all of them at once,
//! then every row and every history line written in one statement (`UNNEST` in data-modifying
//! `WITH` clauses). Four round trips hold the plan's lock: the lock, the read, the write, the
//! commit.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::{Acquire, PgConnection};

use super::values::{self, Actual, LogLine, Narrative, ReviewState};
use crate::domain::account::Role;
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::ids::{ActionId, IndicatorId, PlanId, UserId};

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
    // Locking a year takes the same plan lock: once it is held, the answer cannot change (the
    // statement below is the first after it, with a snapshot taken once the lock is held).
    let Current {
        locked,
        actuals: current_actuals,
        narratives: current_narratives,
        reviews,
    } = current_for_update(&mut tx, save).await?;
    if locked {
        return Ok(vec![Conflict::YearLocked]);
    }
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
    write_all(
        &mut tx,
        save,
        &Writes {
            actuals: &actuals,
            narratives: &narratives,
            reviews: &moved,
            history: &history,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Vec::new())
}

/// What a save changes as it stands, read once the plan is locked.
struct Current {
    /// The year was locked since the page was loaded.
    locked: bool,
    actuals: HashMap<IndicatorId, Actual>,
    narratives: HashMap<ActionId, Narrative>,
    /// The review state of the actions the save may touch.
    reviews: HashMap<ActionId, ReviewState>,
}

/// Whether the year is locked, and the current actuals, « mis en œuvre » and review states the
/// save may change, their rows locked for the transaction: one statement whatever their number.
async fn current_for_update(
    conn: &mut PgConnection,
    save: &EntrySave<'_>,
) -> Result<Current, sqlx::Error> {
    let indicators: Vec<i64> = save.actuals.iter().map(|c| c.indicator_id.get()).collect();
    let narrated: Vec<i64> = save.narratives.iter().map(|c| c.action_id.get()).collect();
    // Every action a change may touch (its review may move).
    let actions: Vec<i64> = save
        .actuals
        .iter()
        .map(|c| c.action_id.get())
        .chain(narrated.iter().copied())
        .collect();
    let rows = sqlx::query!(
        r#"WITH a AS (SELECT indicator_id, value, text, comment, numerator, denominator, version
                         FROM indicator_actual
                        WHERE plan_id = $1 AND year = $2 AND indicator_id = ANY($3)
                        ORDER BY indicator_id FOR UPDATE),
                n AS (SELECT action_id, text, version FROM action_narrative
                        WHERE plan_id = $1 AND year = $2 AND action_id = ANY($4)
                        ORDER BY action_id FOR UPDATE),
                r AS (SELECT action_id, state FROM action_review
                        WHERE plan_id = $1 AND year = $2 AND action_id = ANY($5)
                        ORDER BY action_id FOR UPDATE)
           SELECT 'locked' AS "kind!", NULL::bigint AS id, NULL::numeric AS value, NULL::text AS text,
                  NULL::text AS comment, NULL::numeric AS numerator, NULL::numeric AS denominator,
                  NULL::int AS version, NULL::text AS state
             FROM plan_year_lock WHERE plan_id = $1 AND year = $2
           UNION ALL
           SELECT 'actual', indicator_id, value, text, comment, numerator, denominator, version, NULL FROM a
           UNION ALL
           SELECT 'narrative', action_id, NULL, text, NULL, NULL, NULL, version, NULL FROM n
           UNION ALL
           SELECT 'review', action_id, NULL, NULL, NULL, NULL, NULL, NULL, state FROM r"#,
        save.plan_id.get(),
        save.year,
        &indicators,
        &narrated,
        &actions
    )
    .fetch_all(conn)
    .await?;
    let mut current = Current {
        locked: false,
        actuals: HashMap::new(),
        narratives: HashMap::new(),
        reviews: HashMap::new(),
    };
    for row in rows {
        let id = row.id.unwrap_or_default();
        match row.kind.as_str() {
            "locked" => current.locked = true,
            "actual" => {
                current.actuals.insert(
                    IndicatorId(id),
                    Actual {
                        value: row.value,
                        text: row.text,
                        comment: row.comment,
                        numerator: row.numerator,
                        denominator: row.denominator,
                        version: row.version.unwrap_or_default(),
                        computed: false,
                    },
                );
            }
            "narrative" => {
                current.narratives.insert(
                    ActionId(id),
                    Narrative {
                        text: row.text,
                        version: row.version.unwrap_or_default(),
                    },
                );
            }
            _ => {
                let state = ReviewState::from_db(row.state.as_deref().unwrap_or_default())?;
                current.reviews.insert(ActionId(id), state);
            }
        }
    }
    Ok(current)
}

/// Everything a save writes, its conflicts ruled out.
struct Writes<'s, 'a> {
    /// Each actual changed, with what it was.
    actuals: &'s [(&'s ActualChange<'a>, Actual)],
    narratives: &'s [(&'s NarrativeChange, Narrative)],
    /// The actions whose review moves, and where to.
    reviews: &'s [(ActionId, ReviewState)],
    history: &'s [LogLine<'s>],
}

/// Writes a save in one statement whatever the number of its fields: the actuals left empty
/// deleted, the others inserted or updated with their next version; the same for the « mis en
/// œuvre »; the review states moved (without comment); and every line of history, in order.
async fn write_all(
    conn: &mut PgConnection,
    save: &EntrySave<'_>,
    writes: &Writes<'_, '_>,
) -> Result<(), sqlx::Error> {
    let (emptied, kept): (Vec<&ActualChange>, Vec<&ActualChange>) = writes
        .actuals
        .iter()
        .map(|(c, _)| *c)
        .partition(|c| c.actual.value.is_none() && c.actual.text.is_none());
    macro_rules! col {
        ($items:expr, $f:expr) => {
            $items.iter().map($f).collect::<Vec<_>>()
        };
    }
    let narratives_emptied: Vec<i64> = writes
        .narratives
        .iter()
        .filter(|(c, _)| c.text.is_none())
        .map(|(c, _)| c.action_id.get())
        .collect();
    let (narrated, texts): (Vec<i64>, Vec<String>) = writes
        .narratives
        .iter()
        .filter_map(|(c, _)| Some((c.action_id.get(), c.text.clone()?)))
        .unzip();
    let (moved, states): (Vec<i64>, Vec<String>) = writes
        .reviews
        .iter()
        .map(|(id, s)| (id.get(), s.as_db().to_string()))
        .unzip();
    let history = writes.history;
    sqlx::query!(
        r#"WITH emptied AS (
               DELETE FROM indicator_actual WHERE year = $1 AND indicator_id = ANY($3)),
             kept AS (
               INSERT INTO indicator_actual (indicator_id, year, value, text, comment, numerator, denominator, updated_by)
               SELECT u.indicator_id, $1, u.value, u.text, u.comment, u.numerator, u.denominator, $2
                 FROM unnest($4::bigint[], $5::numeric[], $6::text[], $7::text[], $8::numeric[], $9::numeric[])
                      AS u(indicator_id, value, text, comment, numerator, denominator)
               ON CONFLICT (indicator_id, year) DO UPDATE
                  SET value = EXCLUDED.value, text = EXCLUDED.text, comment = EXCLUDED.comment,
                      numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator,
                      updated_by = EXCLUDED.updated_by, updated_at = now(), computed = false,
                      version = indicator_actual.version + 1),
             narratives_emptied AS (
               DELETE FROM action_narrative WHERE year = $1 AND action_id = ANY($10)),
             narratives AS (
               INSERT INTO action_narrative (action_id, year, text, updated_by)
               SELECT u.action_id, $1, u.text, $2 FROM unnest($11::bigint[], $12::text[]) AS u(action_id, text)
               ON CONFLICT (action_id, year) DO UPDATE
                  SET text = EXCLUDED.text, updated_by = EXCLUDED.updated_by, updated_at = now(),
                      version = action_narrative.version + 1),
             reviews AS (
               INSERT INTO action_review (action_id, year, state, comment, updated_by)
               SELECT u.action_id, $1, u.state, NULL, $2 FROM unnest($13::bigint[], $14::text[]) AS u(action_id, state)
               ON CONFLICT (action_id, year) DO UPDATE
                  SET state = EXCLUDED.state, comment = EXCLUDED.comment, updated_by = EXCLUDED.updated_by,
                      updated_at = now())
           INSERT INTO change_log (plan_id, year, indicator_id, action_id, objective_id, field, before, after, user_id)
           SELECT $15, $1, u.indicator_id, u.action_id, NULL, u.field, u.before, u.after, $2
             FROM unnest($16::bigint[], $17::bigint[], $18::text[], $19::text[], $20::text[])
                  WITH ORDINALITY AS u(indicator_id, action_id, field, before, after, ord)
            ORDER BY u.ord"#,
        save.year,
        save.user_id.get(),
        &col!(emptied, |c| c.indicator_id.get()),
        &col!(kept, |c| c.indicator_id.get()),
        &col!(kept, |c| c.actual.value) as &[Option<Decimal>],
        &col!(kept, |c| c.actual.text.clone()) as &[Option<String>],
        &col!(kept, |c| c.actual.comment.clone()) as &[Option<String>],
        &col!(kept, |c| c.actual.numerator) as &[Option<Decimal>],
        &col!(kept, |c| c.actual.denominator) as &[Option<Decimal>],
        &narratives_emptied,
        &narrated,
        &texts,
        &moved,
        &states,
        save.plan_id.get(),
        &col!(history, |l| l.indicator_id.map(IndicatorId::get)) as &[Option<i64>],
        &col!(history, |l| l.action_id.map(ActionId::get)) as &[Option<i64>],
        &col!(history, |l| l.field.to_string()),
        &col!(history, |l| l.before.clone()) as &[Option<String>],
        &col!(history, |l| l.after.clone()) as &[Option<String>],
    )
    .execute(conn)
    .await?;
    Ok(())
}
