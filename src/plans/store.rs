//! Writes a [`PlanDraft`] into the database, in the caller's transaction: a new plan, or an
//! existing one brought in line with a re-imported file. Both go through the same writer, with
//! a fixed number of statements whatever the size of the plan (each level written with `UNNEST`
//! in one statement, `MERGE` where stored items are updated and new ones inserted).

use std::collections::HashMap;

use sqlx::PgConnection;

use rust_decimal::Decimal;

use crate::domain::model::{ActionDraft, IndicatorDraft, PlanDraft, PlanHeader, YearValue};

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
    let matched = Matched::new(draft, &HashMap::new(), &HashMap::new());
    write(
        conn,
        organisation_id,
        plan_id,
        &matched,
        &HashMap::new(),
        Values::FromDraft,
    )
    .await?;
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
struct Matched<'a> {
    draft: &'a PlanDraft,
    /// Per action of the draft, in order.
    actions: Vec<Option<i64>>,
    /// Per indicator of the draft, in order.
    indicators: Vec<Option<i64>>,
}

impl<'a> Matched<'a> {
    /// `actions`: the stored actions by key; `indicators`: each stored action's indicators in
    /// the order of their positions.
    fn new(
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
    fn indicators(&self) -> impl Iterator<Item = Placed<'a>> + '_ {
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
struct Placed<'a> {
    action_index: usize,
    action: &'a ActionDraft,
    indicator: &'a IndicatorDraft,
    /// The stored indicator it updates.
    id: Option<i64>,
    rank: usize,
}

/// Whether the draft's yearly values (« mis en œuvre », actuals) are written: for a new plan
/// only; a re-import keeps the values entered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Values {
    FromDraft,
    Kept,
}

/// What was written: every item of the draft, by id.
struct Written {
    objectives: Vec<i64>,
    actions: Vec<i64>,
    indicators: Vec<i64>,
}

/// Writes the draft into the plan: every level in one or two statements, the same projection
/// for a new plan and a re-import. Stored items not in the draft are left alone (their
/// positions must be out of the way, negative).
async fn write(
    conn: &mut PgConnection,
    organisation_id: i64,
    plan_id: i64,
    matched: &Matched<'_>,
    old_targets: &HashMap<i64, Vec<YearValue>>,
    values: Values,
) -> Result<Written, sqlx::Error> {
    let draft = matched.draft;
    let services = Services::upsert(conn, organisation_id, draft).await?;

    // Axes, by number (a number given twice keeps its last label).
    let mut axes: Vec<(i32, &str)> = Vec::new();
    for axis in &draft.axes {
        match axes.iter_mut().find(|(n, _)| *n == axis.number) {
            Some(a) => a.1 = &axis.label,
            None => axes.push((axis.number, &axis.label)),
        }
    }
    let (numbers, labels): (Vec<i32>, Vec<String>) =
        axes.iter().map(|(n, l)| (*n, l.to_string())).unzip();
    let axes: HashMap<i32, i64> = sqlx::query!(
        r#"INSERT INTO axis (plan_id, number, label) SELECT $1, * FROM unnest($2::int[], $3::text[])
           ON CONFLICT (plan_id, number) DO UPDATE SET label = EXCLUDED.label RETURNING id, number"#,
        plan_id,
        &numbers,
        &labels,
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
/// removed unless the user confirmed it. A fixed number of statements, whatever the size of the
/// plan: the same writer as a new plan's.
///
/// Nothing of a locked year may disappear or change: when the draft would remove an item holding
/// values of a locked year, or change a target of a locked year, the error names every such item
/// (the database refuses it anyway) and nothing of the draft is written; the caller's
/// transaction is then to be rolled back.
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
    let mut locked = Vec::new();
    for Placed {
        action,
        indicator,
        id,
        ..
    } in matched.indicators()
    {
        let old = id
            .and_then(|id| old_targets.get(&id))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let changes = target_changes(old, &indicator.targets);
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
        }
    }
    if remove && !locked_years.is_empty() {
        let kept_indicators: Vec<i64> = matched.indicators.iter().flatten().copied().collect();
        let kept_actions: Vec<i64> = matched.actions.iter().flatten().copied().collect();
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
    Ok(())
}
