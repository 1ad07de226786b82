//! Saving the entry page (« Saisie »): the changes of one whole-page save, parsed and
//! rights-checked by the caller, written in two statements whatever the number of fields. The
//! year's lock and the current rows are read in one, without a lock; conflicts are detected on all
//! of them at once and the history worked out; then one call of `save_entry_apply` (a function of
//! the database) takes the plan's lock (its saves are serialised), checks that the rows written
//! are still as read, and writes every row and every history line (`UNNEST`, one statement per
//! kind of write, each run only when it has rows), committed with it. The plan's lock is held
//! inside the database only, never across a round trip: on a busy server, a save waiting for a
//! processor between two statements no longer holds up every other save of the plan. When a row changed between the read and the
//! write, nothing is written and the save starts again from the read (where the change is now
//! seen: a conflict when it is another person's value or a review that moved, nothing to write
//! when it is the same value); after a few such turns, once more with the plan locked from the
//! read on.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::{Acquire, PgConnection};

use super::values::{self, Actual, LogLine, Narrative, Review, ReviewState};
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
    /// The actions' review states of the year the rights were checked against: a change of one
    /// the save touches since then is a conflict (a pilot's action submitted or validated
    /// meanwhile is no longer theirs to change).
    pub reviews_seen: &'a HashMap<ActionId, Review>,
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
    /// The action's review moved (submitted, validated, returned) since the rights were checked.
    ReviewMoved { action_id: ActionId },
}

/// How many times a save reads and writes without holding the plan's lock before it takes the
/// lock from its read on.
const ATTEMPTS_UNLOCKED: usize = 3;

/// Applies a save: everything, or nothing when any value conflicts (the conflicts are returned, in
/// the order of the changes). A value sent as it is stored is left alone. Every change is in the
/// history; an action whose values change gets « saisi » when it had no review yet (or, for a
/// pilot, when it was returned).
pub async fn save_entry(
    conn: &mut PgConnection,
    save: &EntrySave<'_>,
) -> Result<Vec<Conflict>, sqlx::Error> {
    for _ in 0..ATTEMPTS_UNLOCKED {
        if let Some(outcome) = attempt(&mut *conn, save).await? {
            return Ok(outcome);
        }
    }
    // The rows kept changing between the read and the write: once more, holding the plan's lock
    // from the read on, so that nothing can change them meanwhile.
    let mut tx = conn.begin().await?;
    values::lock_plan(&mut tx, save.plan_id).await?;
    let outcome = attempt(&mut tx, save).await?;
    tx.commit().await?;
    outcome.ok_or_else(|| {
        sqlx::Error::Protocol("une saisie a changé sous le verrou du plan".to_string())
    })
}

/// One turn of a save: the read, then the write if nothing conflicts. `None` when a row written
/// changed since the read (nothing was written).
async fn attempt(
    conn: &mut PgConnection,
    save: &EntrySave<'_>,
) -> Result<Option<Vec<Conflict>>, sqlx::Error> {
    let (plan_id, year, user_id) = (save.plan_id, save.year, save.user_id);
    let current = current_of(&mut *conn, save).await?;
    if current.locked {
        return Ok(Some(vec![Conflict::YearLocked]));
    }
    let mut moved_since: Vec<ActionId> = Vec::new();
    let acted = save
        .actuals
        .iter()
        .map(|c| c.action_id)
        .chain(save.narratives.iter().map(|c| c.action_id));
    for action_id in acted {
        let seen = save.reviews_seen.get(&action_id).map(|r| r.state);
        if current.reviews.get(&action_id).copied() != seen && !moved_since.contains(&action_id) {
            moved_since.push(action_id);
        }
    }
    if !moved_since.is_empty() {
        return Ok(Some(
            moved_since
                .into_iter()
                .map(|action_id| Conflict::ReviewMoved { action_id })
                .collect(),
        ));
    }
    let (current_actuals, current_narratives, reviews) =
        (&current.actuals, &current.narratives, &current.reviews);
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
        return Ok(Some(conflicts));
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
    for &action_id in &touched {
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
    let written = apply(
        conn,
        save,
        &current,
        &Writes {
            actuals: &actuals,
            narratives: &narratives,
            reviews: &moved,
            touched: &touched,
            history: &history,
        },
    )
    .await?;
    Ok(match written {
        Applied::Saved => Some(Vec::new()),
        Applied::Locked => Some(vec![Conflict::YearLocked]),
        Applied::Changed => None,
    })
}

/// What a save changes as it stands.
struct Current {
    /// The year was locked since the page was loaded.
    locked: bool,
    actuals: HashMap<IndicatorId, Actual>,
    narratives: HashMap<ActionId, Narrative>,
    /// The review state of the actions the save may touch.
    reviews: HashMap<ActionId, ReviewState>,
}

/// Whether the year is locked, and the current actuals, « mis en œuvre » and review states the
/// save may change: one statement whatever their number.
async fn current_of(conn: &mut PgConnection, save: &EntrySave<'_>) -> Result<Current, sqlx::Error> {
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
                        WHERE plan_id = $1 AND year = $2 AND indicator_id = ANY($3)),
                n AS (SELECT action_id, text, version FROM action_narrative
                        WHERE plan_id = $1 AND year = $2 AND action_id = ANY($4)),
                r AS (SELECT action_id, state FROM action_review
                        WHERE plan_id = $1 AND year = $2 AND action_id = ANY($5))
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
    /// The actions whose values change (their review state was read to decide whether it moves).
    touched: &'s [ActionId],
    history: &'s [LogLine<'s>],
}

/// What the write answered.
enum Applied {
    Saved,
    /// The year was locked since the read: nothing written.
    Locked,
    /// A row written changed since the read: nothing written.
    Changed,
}

/// Writes a save in one statement whatever the number of its fields, if the rows it writes are
/// still as `read` (see `save_entry_apply`): the actuals left empty deleted, the others inserted
/// or updated with their next version; the same for the « mis en œuvre »; the review states moved
/// (without comment); and every line of history, in order.
async fn apply(
    conn: &mut PgConnection,
    save: &EntrySave<'_>,
    read: &Current,
    writes: &Writes<'_, '_>,
) -> Result<Applied, sqlx::Error> {
    macro_rules! col {
        ($items:expr, $f:expr) => {
            $items.iter().map($f).collect::<Vec<_>>()
        };
    }
    // What was read of the rows written: a row absent has no version.
    let guarded: Vec<(i64, Option<&Actual>)> = col!(writes.actuals, |(c, _)| (
        c.indicator_id.get(),
        read.actuals.get(&c.indicator_id)
    ));
    let guarded_narratives: Vec<(i64, Option<&Narrative>)> = col!(writes.narratives, |(c, _)| (
        c.action_id.get(),
        read.narratives.get(&c.action_id)
    ));
    let (emptied, kept): (Vec<&ActualChange>, Vec<&ActualChange>) = writes
        .actuals
        .iter()
        .map(|(c, _)| *c)
        .partition(|c| c.actual.value.is_none() && c.actual.text.is_none());
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
    let outcome = sqlx::query_scalar!(
        r#"SELECT save_entry_apply($1, $2, $3,
                  $4, $5, $6, $7, $8, $9, $10,
                  $11, $12, $13,
                  $14, $15,
                  $16, $17, $18, $19, $20, $21, $22,
                  $23, $24, $25,
                  $26, $27,
                  $28, $29, $30, $31, $32) AS "outcome!""#,
        save.plan_id.get(),
        save.year,
        save.user_id.get(),
        &col!(guarded, |(id, _)| *id),
        &col!(guarded, |(_, a)| a.and_then(|a| a.value)) as &[Option<Decimal>],
        &col!(guarded, |(_, a)| a.and_then(|a| a.text.clone())) as &[Option<String>],
        &col!(guarded, |(_, a)| a.and_then(|a| a.comment.clone())) as &[Option<String>],
        &col!(guarded, |(_, a)| a.and_then(|a| a.numerator)) as &[Option<Decimal>],
        &col!(guarded, |(_, a)| a.and_then(|a| a.denominator)) as &[Option<Decimal>],
        &col!(guarded, |(_, a)| a.map(|a| a.version)) as &[Option<i32>],
        &col!(guarded_narratives, |(id, _)| *id),
        &col!(guarded_narratives, |(_, n)| n.and_then(|n| n.text.clone())) as &[Option<String>],
        &col!(guarded_narratives, |(_, n)| n.map(|n| n.version)) as &[Option<i32>],
        &col!(writes.touched, |id| id.get()),
        &col!(writes.touched, |id| read
            .reviews
            .get(id)
            .map(|s| s.as_db().to_string())) as &[Option<String>],
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
        &col!(history, |l| l.indicator_id.map(IndicatorId::get)) as &[Option<i64>],
        &col!(history, |l| l.action_id.map(ActionId::get)) as &[Option<i64>],
        &col!(history, |l| l.field.to_string()),
        &col!(history, |l| l.before.clone()) as &[Option<String>],
        &col!(history, |l| l.after.clone()) as &[Option<String>],
    )
    .fetch_one(conn)
    .await?;
    match outcome.as_str() {
        "saved" => Ok(Applied::Saved),
        "locked" => Ok(Applied::Locked),
        "changed" => Ok(Applied::Changed),
        other => Err(sqlx::Error::Protocol(format!(
            "save_entry_apply answered {other}"
        ))),
    }
}
