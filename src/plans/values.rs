//! A plan's values for one year, as the entry page and the statuses need them, and their saving:
//! versions against lost updates, the history of every change, the review workflow, locks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::read::PlanTree;
use crate::domain::comparator;
use crate::domain::ids::{ActionId, IndicatorId, ObjectiveId, PlanId, UserId};
use crate::domain::model::IndicatorKind;
use crate::domain::status::{self, IndicatorFacts, Status};

/// An indicator's actual for the year, everything the form shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actual {
    pub value: Option<Decimal>,
    pub text: Option<String>,
    pub comment: Option<String>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// 0 when nothing was entered yet.
    pub version: i32,
    /// Computed from the contracts (DECP) rather than typed.
    pub computed: bool,
}

impl Actual {
    pub fn is_empty(&self) -> bool {
        self.value.is_none() && self.text.is_none() && self.comment.is_none()
    }

    /// The same content, whatever the version.
    pub fn same_as(&self, other: &Actual) -> bool {
        (
            &self.value,
            &self.text,
            &self.comment,
            &self.numerator,
            &self.denominator,
        ) == (
            &other.value,
            &other.text,
            &other.comment,
            &other.numerator,
            &other.denominator,
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrative {
    pub text: Option<String>,
    pub version: i32,
}

/// The review of an action's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Entered,
    Submitted,
    Validated,
    Returned,
}

impl ReviewState {
    pub fn as_db(self) -> &'static str {
        match self {
            ReviewState::Entered => "entered",
            ReviewState::Submitted => "submitted",
            ReviewState::Validated => "validated",
            ReviewState::Returned => "returned",
        }
    }

    /// The state the database holds; an unknown value is an error, never silently « saisi ».
    pub fn from_db(value: &str) -> Result<ReviewState, sqlx::Error> {
        match value {
            "entered" => Ok(ReviewState::Entered),
            "submitted" => Ok(ReviewState::Submitted),
            "validated" => Ok(ReviewState::Validated),
            "returned" => Ok(ReviewState::Returned),
            other => Err(sqlx::Error::Decode(
                format!("état de revue inconnu : « {other} »").into(),
            )),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Entered => "Saisi",
            ReviewState::Submitted => "Soumis",
            ReviewState::Validated => "Validé",
            ReviewState::Returned => "Renvoyé",
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            ReviewState::Entered => "badge-info",
            ReviewState::Submitted => "badge-new",
            ReviewState::Validated => "badge-success",
            ReviewState::Returned => "badge-warning",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Review {
    pub state: ReviewState,
    pub comment: Option<String>,
}

/// A status set by hand.
#[derive(Debug, Clone)]
pub struct Override {
    pub status: Status,
    pub justification: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

/// Levels a status belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Indicator,
    Action,
    Objective,
}

impl Level {
    pub fn as_db(self) -> &'static str {
        match self {
            Level::Indicator => "indicator",
            Level::Action => "action",
            Level::Objective => "objective",
        }
    }

    pub fn from_db(value: &str) -> Option<Level> {
        match value {
            "indicator" => Some(Level::Indicator),
            "action" => Some(Level::Action),
            "objective" => Some(Level::Objective),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Lock {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Everything of one year of a plan beyond the tree.
#[derive(Debug, Clone, Default)]
pub struct YearValues {
    pub actuals: HashMap<IndicatorId, Actual>,
    pub narratives: HashMap<ActionId, Narrative>,
    pub reviews: HashMap<ActionId, Review>,
    pub overrides: HashMap<(Level, i64), Override>,
    pub lock: Option<Lock>,
    /// Indicators computed from the contracts: the measure, by amount, the threshold.
    pub links: HashMap<IndicatorId, (String, bool, Decimal)>,
}

/// Who locked a year of a plan, and when; `None` while it is open.
pub async fn year_lock(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
) -> Result<Option<Lock>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT u.display_name, l.locked_at FROM plan_year_lock l JOIN app_user u ON u.id = l.locked_by
            WHERE l.plan_id = $1 AND l.year = $2"#,
        plan_id.get(),
        year
    )
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| Lock { by: r.display_name, at: r.locked_at }))
}

/// What a save checks of a year beyond the plan's structure: the actions' review states and the
/// year's lock; and the plan's structure revision (the structure a save checks its rights
/// against is kept by it): one query.
pub async fn year_reviews(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
) -> Result<(YearValues, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT r.action_id AS "action_id?: ActionId", r.state AS "state?", r.comment,
                  NULL::text AS "locked_by?", NULL::timestamptz AS "locked_at?",
                  NULL::bigint AS "structure_revision?"
             FROM action_review r
            WHERE r.plan_id = $1 AND r.year = $2
           UNION ALL
           SELECT NULL, NULL, NULL, u.display_name, l.locked_at, NULL
             FROM plan_year_lock l JOIN app_user u ON u.id = l.locked_by
            WHERE l.plan_id = $1 AND l.year = $2
           UNION ALL
           SELECT NULL, NULL, NULL, NULL, NULL, p.structure_revision FROM plan p WHERE p.id = $1"#,
        plan_id.get(),
        year
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut values = YearValues::default();
    let mut structure_revision = 0;
    for r in rows {
        if let Some(revision) = r.structure_revision {
            structure_revision = revision;
            continue;
        }
        match (r.action_id, r.state, r.locked_by, r.locked_at) {
            (Some(action_id), Some(state), _, _) => {
                let review = Review {
                    state: ReviewState::from_db(&state)?,
                    comment: r.comment,
                };
                values.reviews.insert(action_id, review);
            }
            (_, _, Some(by), Some(at)) => values.lock = Some(Lock { by, at }),
            _ => {}
        }
    }
    Ok((values, structure_revision))
}

/// Reads a year's values of a plan in five queries.
pub async fn year_values(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
) -> Result<YearValues, sqlx::Error> {
    let actuals = sqlx::query!(
        r#"SELECT v.indicator_id AS "indicator_id: IndicatorId", v.value, v.text, v.comment, v.numerator, v.denominator, v.version, v.computed
             FROM indicator_actual v JOIN indicator i ON i.id = v.indicator_id
            WHERE i.plan_id = $1 AND v.year = $2"#,
        plan_id.get(),
        year
    )
    .fetch_all(&mut *conn)
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
                computed: r.computed,
            },
        )
    })
    .collect();
    let narratives = sqlx::query!(
        r#"SELECT n.action_id AS "action_id: ActionId", n.text, n.version FROM action_narrative n JOIN action a ON a.id = n.action_id
            WHERE a.plan_id = $1 AND n.year = $2"#,
        plan_id.get(),
        year
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.action_id, Narrative { text: Some(r.text), version: r.version }))
    .collect();
    let reviews = sqlx::query!(
        r#"SELECT r.action_id AS "action_id: ActionId", r.state, r.comment FROM action_review r JOIN action a ON a.id = r.action_id
            WHERE a.plan_id = $1 AND r.year = $2"#,
        plan_id.get(),
        year
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok((
            r.action_id,
            Review { state: ReviewState::from_db(&r.state)?, comment: r.comment },
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    let overrides = overrides(conn, plan_id, year).await?;
    let lock = year_lock(conn, plan_id, year).await?;
    let links = sqlx::query!(
        r#"SELECT l.indicator_id AS "indicator_id: IndicatorId", l.measure, l.by_amount, l.min_amount
             FROM indicator_link l JOIN indicator i ON i.id = l.indicator_id WHERE i.plan_id = $1"#,
        plan_id.get()
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.indicator_id, (r.measure, r.by_amount, r.min_amount)))
    .collect();
    Ok(YearValues {
        actuals,
        narratives,
        reviews,
        overrides,
        lock,
        links,
    })
}

/// The statuses set by hand for a year of a plan, in one query.
pub async fn overrides(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
) -> Result<HashMap<(Level, i64), Override>, sqlx::Error> {
    sqlx::query!(
        r#"SELECT o.level, o.item_id, o.status, o.justification, u.display_name, o.set_at
             FROM status_override o JOIN app_user u ON u.id = o.set_by
            WHERE o.plan_id = $1 AND o.year = $2"#,
        plan_id.get(),
        year
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        let unknown = |what: &str, value: &str| {
            sqlx::Error::Decode(format!("{what} inconnu : « {value} »").into())
        };
        Ok((
            (
                Level::from_db(&r.level).ok_or_else(|| unknown("niveau", &r.level))?,
                r.item_id,
            ),
            Override {
                status: Status::from_db(&r.status).ok_or_else(|| unknown("statut", &r.status))?,
                justification: r.justification,
                set_by: r.display_name,
                set_at: r.set_at,
            },
        ))
    })
    .collect::<Result<_, sqlx::Error>>()
}

/// A status as shown: the effective one, and whether a person set it.
#[derive(Debug, Clone)]
pub struct StatusView {
    pub status: Status,
    /// What the rules give (`None`: a person must decide).
    pub computed: Option<Status>,
    pub overridden: Option<Override>,
}

impl StatusView {
    /// The status as people read it.
    pub fn label(&self) -> &'static str {
        self.status.label()
    }

    /// A value entered that a person must still judge (*À apprécier*).
    pub fn awaits_judgement(&self) -> bool {
        self.status == Status::ToAppraise
    }
}

/// Every status of a plan for a year.
#[derive(Debug, Clone, Default)]
pub struct Statuses {
    pub indicators: HashMap<IndicatorId, StatusView>,
    pub actions: HashMap<ActionId, StatusView>,
    pub objectives: HashMap<ObjectiveId, StatusView>,
}

/// Computes the statuses of a year from the tree (targets and actuals of every year) and the
/// statuses set by hand.
pub fn statuses(
    tree: &PlanTree,
    year: i32,
    overrides: &HashMap<(Level, i64), Override>,
) -> Statuses {
    let mut out = Statuses::default();
    let view = |computed: Option<Status>, level: Level, id: i64| {
        let overridden = overrides.get(&(level, id)).cloned();
        StatusView {
            status: status::effective(computed, overridden.as_ref().map(|o| o.status)),
            computed,
            overridden,
        }
    };
    for group in &tree.groups {
        for objective in &group.objectives {
            let mut action_statuses = Vec::new();
            for action in &objective.actions {
                let mut indicator_statuses = Vec::new();
                for indicator in &action.indicators {
                    let target = indicator.targets.iter().find(|t| t.year == year);
                    let actual = indicator.actuals.iter().find(|a| a.year == year);
                    let (target_value, direction) = comparator::rule_target(
                        target.and_then(|t| t.value),
                        target.and_then(|t| t.text.as_deref()),
                        indicator.direction,
                    );
                    let facts = IndicatorFacts {
                        qualitative: indicator.kind == Some(IndicatorKind::Qualitative),
                        direction,
                        target: target_value,
                        actual: actual.and_then(|a| a.value),
                        has_actual: actual.is_some_and(|a| a.value.is_some() || a.text.is_some()),
                        baseline: indicator.baseline.map(|b| b.0),
                        threshold: indicator.partial_threshold,
                    };
                    let v = view(
                        status::indicator_status(&facts),
                        Level::Indicator,
                        indicator.id.get(),
                    );
                    indicator_statuses.push(v.status);
                    out.indicators.insert(indicator.id, v);
                }
                let v = view(
                    Some(status::roll_up(indicator_statuses)),
                    Level::Action,
                    action.id.get(),
                );
                action_statuses.push(v.status);
                out.actions.insert(action.id, v);
            }
            out.objectives.insert(
                objective.id,
                view(
                    Some(status::roll_up(action_statuses)),
                    Level::Objective,
                    objective.id.get(),
                ),
            );
        }
    }
    out
}

/// One line of history.
#[derive(Debug, Clone)]
pub struct LogLine<'a> {
    pub plan_id: PlanId,
    pub year: i32,
    pub indicator_id: Option<IndicatorId>,
    pub action_id: Option<ActionId>,
    pub objective_id: Option<ObjectiveId>,
    pub field: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
    pub user_id: UserId,
}

pub async fn log(conn: &mut PgConnection, line: &LogLine<'_>) -> Result<(), sqlx::Error> {
    log_all(conn, std::slice::from_ref(line)).await
}

/// Lines of history, in their order, in one statement whatever their number.
pub async fn log_all(conn: &mut PgConnection, lines: &[LogLine<'_>]) -> Result<(), sqlx::Error> {
    if lines.is_empty() {
        return Ok(());
    }
    macro_rules! col {
        ($f:expr) => {
            lines.iter().map($f).collect::<Vec<_>>()
        };
    }
    sqlx::query!(
        r#"INSERT INTO change_log (plan_id, year, indicator_id, action_id, objective_id, field, before, after, user_id)
           SELECT u.plan_id, u.year, u.indicator_id, u.action_id, u.objective_id, u.field, u.before, u.after, u.user_id
             FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
                         $8::text[], $9::bigint[])
                  WITH ORDINALITY AS u(plan_id, year, indicator_id, action_id, objective_id, field, before, after,
                                       user_id, ord)
            ORDER BY u.ord"#,
        &col!(|l| l.plan_id.get()),
        &col!(|l| l.year),
        &col!(|l| l.indicator_id.map(IndicatorId::get)) as &[Option<i64>],
        &col!(|l| l.action_id.map(ActionId::get)) as &[Option<i64>],
        &col!(|l| l.objective_id.map(ObjectiveId::get)) as &[Option<i64>],
        &col!(|l| l.field.to_string()),
        &col!(|l| l.before.clone()) as &[Option<String>],
        &col!(|l| l.after.clone()) as &[Option<String>],
        &col!(|l| l.user_id.get()),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Serialises the saves of one plan: a row that does not exist yet cannot be locked, so two first
/// saves of the same value would both see « no value » without this.
pub async fn lock_plan(conn: &mut PgConnection, plan_id: PlanId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT id FROM plan WHERE id = $1 FOR UPDATE",
        plan_id.get()
    )
    .fetch_optional(conn)
    .await?;
    Ok(())
}

/// The review state of an action, locked for the transaction.
pub async fn review_for_update(
    conn: &mut PgConnection,
    action_id: ActionId,
    year: i32,
) -> Result<Option<ReviewState>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT state FROM action_review WHERE action_id = $1 AND year = $2 FOR UPDATE",
        action_id.get(),
        year
    )
    .fetch_optional(conn)
    .await?
    .map(|s| ReviewState::from_db(&s))
    .transpose()
}

pub async fn write_review(
    conn: &mut PgConnection,
    action_id: ActionId,
    year: i32,
    state: ReviewState,
    comment: Option<&str>,
    user_id: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO action_review (action_id, year, state, comment, updated_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (action_id, year) DO UPDATE
              SET state = EXCLUDED.state, comment = EXCLUDED.comment, updated_by = EXCLUDED.updated_by,
                  updated_at = now()"#,
        action_id.get(),
        year,
        state.as_db(),
        comment,
        user_id.get()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the year is locked, checked inside the transaction (shares the lock row).
pub async fn is_locked(
    conn: &mut PgConnection,
    plan_id: PlanId,
    year: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan_year_lock WHERE plan_id = $1 AND year = $2) AS "locked!""#,
        plan_id.get(),
        year
    )
    .fetch_one(conn)
    .await
}

/// A history line as the page shows it.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub year: i32,
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub user: String,
    pub at: DateTime<Utc>,
}

/// The history of an indicator: its own changes and those of its action, newest first.
pub async fn indicator_history(
    conn: &mut PgConnection,
    indicator_id: IndicatorId,
    action_id: ActionId,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as!(
        HistoryRow,
        r#"SELECT c.year, c.field, c.before, c.after, u.display_name AS "user", c.at
             FROM change_log c JOIN app_user u ON u.id = c.user_id
            WHERE c.indicator_id = $1 OR (c.action_id = $2 AND c.indicator_id IS NULL)
            ORDER BY c.at DESC, c.id DESC"#,
        indicator_id.get(),
        action_id.get()
    )
    .fetch_all(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::ReviewState;

    #[test]
    fn review_states_read_back_and_unknown_ones_fail() {
        for state in [
            ReviewState::Entered,
            ReviewState::Submitted,
            ReviewState::Validated,
            ReviewState::Returned,
        ] {
            assert_eq!(ReviewState::from_db(state.as_db()).unwrap(), state);
        }
        assert!(ReviewState::from_db("approved").is_err());
        assert!(ReviewState::from_db("").is_err());
    }
}
