//! The one writer of a draft into a plan, for a new plan and a re-import alike: each level in
//! one statement (`UNNEST`, `MERGE`), whatever the size of the plan.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::domain::model::{ActionDraft, IndicatorDraft, PlanDraft, YearValue};

/// Yearly values as the three arrays that `unnest` inserts in one statement.
fn columns(values: &[YearValue]) -> (Vec<i32>, Vec<Option<Decimal>>, Vec<Option<String>>) {
    let years = values.iter().map(|v| v.year).collect();
    let numbers = values.iter().map(|v| v.value).collect();
    let texts = values.iter().map(|v| v.text.clone()).collect();
    (years, numbers, texts)
}

/// How an indicator's targets change: the years it no longer has, and the rows to write (new or
/// different).
pub(super) struct TargetChanges {
    pub(super) gone: Vec<i32>,
    pub(super) written: Vec<YearValue>,
}

pub(super) fn target_changes(old: &[YearValue], new: &[YearValue]) -> TargetChanges {
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
    /// One statement, whatever the number of services.
    async fn upsert(
        conn: &mut PgConnection,
        organisation_id: i64,
        draft: &PlanDraft,
    ) -> Result<Self, sqlx::Error> {
        let names = draft.pilot_names();
        let rows = sqlx::query!(
            r#"WITH wanted AS (
                   SELECT DISTINCT ON (lower(n.name)) n.name, n.ord
                     FROM unnest($2::text[]) WITH ORDINALITY AS n(name, ord)
                    ORDER BY lower(n.name), n.ord
               ), saved AS (
                   -- In order of first appearance: the pages list pilots in the order of their ids.
                   INSERT INTO service (organisation_id, name) SELECT $1, name FROM wanted ORDER BY ord
                   ON CONFLICT (organisation_id, lower(name)) DO UPDATE SET name = service.name
                   RETURNING id, lower(name) AS key
               )
               SELECT n.name AS "name!", s.id AS "id!"
                 FROM unnest($2::text[]) AS n(name) JOIN saved s ON s.key = lower(n.name)"#,
            organisation_id,
            &names,
        )
        .fetch_all(conn)
        .await?;
        Ok(Self(
            rows.into_iter()
                .map(|r| (r.name.to_lowercase(), r.id))
                .collect(),
        ))
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

/// The draft's actions and indicators, each with the stored one it updates (none for a new
/// plan or a new item): actions by number, or by text when they have none; indicators by their
/// rank in their action. Objectives are matched by number by the database itself.
pub(super) struct Matched<'a> {
    pub(super) draft: &'a PlanDraft,
    /// Per action of the draft, in order.
    pub(super) actions: Vec<Option<i64>>,
    /// Per indicator of the draft, in order.
    pub(super) indicators: Vec<Option<i64>>,
}

impl<'a> Matched<'a> {
    /// `actions`: the stored actions by key; `indicators`: each stored action's indicators in
    /// the order of their positions.
    pub(super) fn new(
        draft: &'a PlanDraft,
        actions: &HashMap<String, i64>,
        indicators: &HashMap<i64, Vec<i64>>,
    ) -> Self {
        let mut matched = Matched {
            draft,
            actions: Vec::new(),
            indicators: Vec::new(),
        };
        for action in draft.actions() {
            let id = actions
                .get(&crate::domain::model::action_key(
                    action.code.as_deref(),
                    &action.label,
                ))
                .copied();
            matched.actions.push(id);
            let stored = id.and_then(|id| indicators.get(&id));
            for rank in 0..action.indicators.len() {
                matched
                    .indicators
                    .push(stored.and_then(|s| s.get(rank)).copied());
            }
        }
        matched
    }

    /// Each indicator of the draft: its action (and the action's index in the draft), the
    /// stored indicator it updates, and its rank in its action.
    pub(super) fn indicators(&self) -> impl Iterator<Item = Placed<'a>> + '_ {
        self.draft
            .actions()
            .enumerate()
            .flat_map(|(index, action)| {
                action
                    .indicators
                    .iter()
                    .enumerate()
                    .map(move |(rank, indicator)| (index, action, indicator, rank))
            })
            .zip(&self.indicators)
            .map(|((action_index, action, indicator, rank), id)| Placed {
                action_index,
                action,
                indicator,
                id: *id,
                rank,
            })
    }
}

/// An indicator of the draft in its place.
pub(super) struct Placed<'a> {
    pub(super) action_index: usize,
    pub(super) action: &'a ActionDraft,
    pub(super) indicator: &'a IndicatorDraft,
    /// The stored indicator it updates.
    pub(super) id: Option<i64>,
    pub(super) rank: usize,
}

/// Whether the draft's yearly values (« mis en œuvre », actuals) are written: for a new plan
/// only; a re-import keeps the values entered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Values {
    FromDraft,
    Kept,
}

/// What was written: every item of the draft, by id.
pub(super) struct Written {
    pub(super) objectives: Vec<i64>,
    pub(super) actions: Vec<i64>,
    pub(super) indicators: Vec<i64>,
}

/// Writes the draft into the plan: every level in one or two statements, the same projection
/// for a new plan and a re-import. Stored items not in the draft are left alone (their
/// positions must be out of the way, negative).
pub(super) async fn write(
    conn: &mut PgConnection,
    organisation_id: i64,
    plan_id: i64,
    matched: &Matched<'_>,
    old_targets: &HashMap<i64, Vec<YearValue>>,
    values: Values,
) -> Result<Written, sqlx::Error> {
    let draft = matched.draft;
    let services = Services::upsert(conn, organisation_id, draft).await?;

    // Axes, by number (a number given twice keeps its last label and code).
    let mut axes: Vec<(i32, &str, Option<&str>)> = Vec::new();
    for axis in &draft.axes {
        match axes.iter_mut().find(|(n, _, _)| *n == axis.number) {
            Some(a) => {
                a.1 = &axis.label;
                a.2 = axis.code.as_deref();
            }
            None => axes.push((axis.number, &axis.label, axis.code.as_deref())),
        }
    }
    let numbers: Vec<i32> = axes.iter().map(|a| a.0).collect();
    let labels: Vec<String> = axes.iter().map(|a| a.1.to_string()).collect();
    let codes: Vec<Option<String>> = axes.iter().map(|a| a.2.map(str::to_string)).collect();
    let axes: HashMap<i32, i64> = sqlx::query!(
        r#"INSERT INTO axis (plan_id, number, label, code)
           SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[])
           ON CONFLICT (plan_id, number) DO UPDATE SET label = EXCLUDED.label, code = EXCLUDED.code
           RETURNING id, number"#,
        plan_id,
        &numbers,
        &labels,
        &codes as &[Option<String>],
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.number, r.id))
    .collect();

    // Objectives, by number: the stored one of that number is updated.
    macro_rules! col {
        ($items:expr, $f:expr) => {
            $items.map($f).collect::<Vec<_>>()
        };
    }
    let objectives = || draft.objectives.iter().enumerate();
    let objective_ids: HashMap<String, i64> = sqlx::query!(
        r#"INSERT INTO objective (plan_id, axis_id, code, label, position)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[])
           ON CONFLICT (plan_id, code) DO UPDATE
              SET axis_id = EXCLUDED.axis_id, label = EXCLUDED.label, position = EXCLUDED.position
           RETURNING id, code"#,
        plan_id,
        &col!(objectives(), |(_, o)| o
            .axis
            .and_then(|n| axes.get(&n).copied())) as &[Option<i64>],
        &col!(objectives(), |(_, o)| o.code.clone()),
        &col!(objectives(), |(_, o)| o.label.clone()),
        &col!(objectives(), |(p, _)| position(p)),
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.id))
    .collect();
    let objective_of = |code: &str| objective_ids.get(code).copied().unwrap_or_default();

    // Actions: the matched ones updated, the others inserted; then all of them by place.
    let actions = || {
        draft
            .objectives
            .iter()
            .flat_map(|o| {
                o.actions
                    .iter()
                    .enumerate()
                    .map(move |(p, a)| (objective_of(&o.code), position(p), a))
            })
            .zip(&matched.actions)
    };
    sqlx::query!(
        r#"MERGE INTO action a
           USING (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[])
                    AS u(id, objective_id, code, label, position)) s
              ON a.id = s.id AND a.plan_id = $1
           WHEN MATCHED THEN UPDATE
                SET objective_id = s.objective_id, code = s.code, label = s.label, position = s.position
           WHEN NOT MATCHED THEN INSERT (plan_id, objective_id, code, label, position)
                VALUES ($1, s.objective_id, s.code, s.label, s.position)"#,
        plan_id,
        &col!(actions(), |(_, id)| *id) as &[Option<i64>],
        &col!(actions(), |((o, _, _), _)| o),
        &col!(actions(), |((_, _, a), _)| a.code.clone()) as &[Option<String>],
        &col!(actions(), |((_, _, a), _)| a.label.clone()),
        &col!(actions(), |((_, p, _), _)| p),
    )
    .execute(&mut *conn)
    .await?;
    let placed: HashMap<(i64, i32), i64> = sqlx::query!(
        "SELECT id, objective_id, position FROM action WHERE plan_id = $1 AND position > 0",
        plan_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| ((r.objective_id, r.position), r.id))
    .collect();
    let action_ids: Vec<i64> = col!(actions(), |((o, p, _), _)| placed
        .get(&(o, p))
        .copied()
        .unwrap_or_default());
    let pairs: Vec<(i64, i64)> = draft
        .actions()
        .zip(&action_ids)
        .flat_map(|(a, id)| services.ids(&a.pilots).into_iter().map(move |s| (*id, s)))
        .collect();
    let (pilot_actions, pilot_services): (Vec<i64>, Vec<i64>) = pairs.into_iter().unzip();
    sqlx::query!(
        r#"DELETE FROM action_pilot p WHERE p.action_id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS n(action_id, service_id)
                               WHERE n.action_id = p.action_id AND n.service_id = p.service_id)"#,
        &action_ids,
        &pilot_actions,
        &pilot_services,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO action_pilot (action_id, service_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])
           ON CONFLICT DO NOTHING"#,
        &pilot_actions,
        &pilot_services,
    )
    .execute(&mut *conn)
    .await?;

    // Indicators: the matched ones updated, the others inserted; then all of them by place.
    let indicators = || matched.indicators();
    sqlx::query!(
        r#"MERGE INTO indicator i
           USING (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[],
                                       $8::text[], $9::numeric[], $10::int[], $11::text[])
                    AS u(id, action_id, position, label, kind, unit, direction, baseline_value, baseline_year,
                         targets_source)) s
              ON i.id = s.id AND i.plan_id = $1
           WHEN MATCHED THEN UPDATE
                SET action_id = s.action_id, position = s.position, label = s.label, kind = s.kind, unit = s.unit,
                    direction = s.direction, baseline_value = s.baseline_value, baseline_year = s.baseline_year,
                    targets_source = s.targets_source
           WHEN NOT MATCHED THEN INSERT (plan_id, action_id, position, label, kind, unit, direction, baseline_value,
                                         baseline_year, targets_source)
                VALUES ($1, s.action_id, s.position, s.label, s.kind, s.unit, s.direction, s.baseline_value,
                        s.baseline_year, s.targets_source)"#,
        plan_id,
        &col!(indicators(), |p| p.id) as &[Option<i64>],
        &col!(indicators(), |p| action_ids[p.action_index]),
        &col!(indicators(), |p| position(p.rank)),
        &col!(indicators(), |p| p.indicator.label.clone()),
        &col!(indicators(), |p| p.indicator.kind.map(|k| k.as_db().to_string())) as &[Option<String>],
        &col!(indicators(), |p| p.indicator.unit.clone()) as &[Option<String>],
        &col!(indicators(), |p| p.indicator.direction.as_db().to_string()),
        &col!(indicators(), |p| p.indicator.baseline.as_ref().map(|b| b.value)) as &[Option<Decimal>],
        &col!(indicators(), |p| p.indicator.baseline.as_ref().map(|b| b.year)) as &[Option<i32>],
        &col!(indicators(), |p| p.indicator.targets_source.clone()) as &[Option<String>],
    )
    .execute(&mut *conn)
    .await?;
    let placed: HashMap<(i64, i32), i64> = sqlx::query!(
        "SELECT id, action_id, position FROM indicator WHERE plan_id = $1 AND position > 0",
        plan_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| ((r.action_id, r.position), r.id))
    .collect();
    let indicator_ids: Vec<i64> = col!(indicators(), |p| placed
        .get(&(action_ids[p.action_index], position(p.rank)))
        .copied()
        .unwrap_or_default());
    let pairs: Vec<(i64, i64)> = indicators()
        .zip(&indicator_ids)
        .flat_map(|(p, id)| {
            services
                .ids(&p.indicator.pilots)
                .into_iter()
                .map(move |s| (*id, s))
        })
        .collect();
    let (pilot_indicators, pilot_services): (Vec<i64>, Vec<i64>) = pairs.into_iter().unzip();
    sqlx::query!(
        r#"DELETE FROM indicator_pilot p WHERE p.indicator_id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS n(indicator_id, service_id)
                               WHERE n.indicator_id = p.indicator_id AND n.service_id = p.service_id)"#,
        &indicator_ids,
        &pilot_indicators,
        &pilot_services,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO indicator_pilot (indicator_id, service_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])
           ON CONFLICT DO NOTHING"#,
        &pilot_indicators,
        &pilot_services,
    )
    .execute(&mut *conn)
    .await?;

    // Targets: only those that change are written (a locked year's may not).
    let (mut gone_ids, mut gone_years) = (Vec::new(), Vec::new());
    let mut written: Vec<(i64, YearValue)> = Vec::new();
    for (placed, id) in indicators().zip(&indicator_ids) {
        let old = old_targets.get(id).map(Vec::as_slice).unwrap_or_default();
        let changes = target_changes(old, &placed.indicator.targets);
        for year in changes.gone {
            gone_ids.push(*id);
            gone_years.push(year);
        }
        written.extend(changes.written.into_iter().map(|t| (*id, t)));
    }
    sqlx::query!(
        r#"DELETE FROM indicator_target t USING unnest($1::bigint[], $2::int[]) AS g(indicator_id, year)
            WHERE t.indicator_id = g.indicator_id AND t.year = g.year"#,
        &gone_ids,
        &gone_years,
    )
    .execute(&mut *conn)
    .await?;
    let ids: Vec<i64> = written.iter().map(|(id, _)| *id).collect();
    let (years, numbers, texts) = columns(&written.into_iter().map(|(_, t)| t).collect::<Vec<_>>());
    sqlx::query!(
        r#"INSERT INTO indicator_target (indicator_id, year, value, text)
           SELECT * FROM unnest($1::bigint[], $2::int[], $3::numeric[], $4::text[])
           ON CONFLICT (indicator_id, year) DO UPDATE SET value = EXCLUDED.value, text = EXCLUDED.text"#,
        &ids,
        &years,
        &numbers as &[Option<Decimal>],
        &texts as &[Option<String>],
    )
    .execute(&mut *conn)
    .await?;

    if values == Values::FromDraft {
        let narratives: Vec<(i64, i32, String)> = draft
            .actions()
            .zip(&action_ids)
            .flat_map(|(a, id)| a.narratives.iter().map(move |(y, t)| (*id, *y, t.clone())))
            .collect();
        sqlx::query!(
            r#"INSERT INTO action_narrative (action_id, year, text)
               SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[])"#,
            &col!(narratives.iter(), |n| n.0),
            &col!(narratives.iter(), |n| n.1),
            &col!(narratives.iter(), |n| n.2.clone()),
        )
        .execute(&mut *conn)
        .await?;
        let actuals: Vec<(i64, &YearValue)> = indicators()
            .zip(&indicator_ids)
            .flat_map(|(p, id)| p.indicator.actuals.iter().map(move |v| (*id, v)))
            .collect();
        sqlx::query!(
            r#"INSERT INTO indicator_actual (indicator_id, year, value, text)
               SELECT * FROM unnest($1::bigint[], $2::int[], $3::numeric[], $4::text[])"#,
            &col!(actuals.iter(), |a| a.0),
            &col!(actuals.iter(), |a| a.1.year),
            &col!(actuals.iter(), |a| a.1.value) as &[Option<Decimal>],
            &col!(actuals.iter(), |a| a.1.text.clone()) as &[Option<String>],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(Written {
        objectives: objective_ids.into_values().collect(),
        actions: action_ids,
        indicators: indicator_ids,
    })
}
