//! Reads organisations and plans for the pages. A plan is read in a fixed number of queries,
//! whatever its size, then assembled in memory.

mod value_rows;

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::domain::ids::{
    self, ActionId, AxisId, IndicatorId, ObjectiveId, OrganisationId, PlanId, ServiceId,
};
use crate::domain::model::{Direction, IndicatorKind, ObjectiveTerm};

#[derive(Debug, Clone)]
pub struct OrganisationRow {
    pub id: OrganisationId,
    pub slug: String,
    pub name: String,
    pub short_name: String,
    pub kind: Option<String>,
    /// Six hex digits, checked for contrast when written.
    pub accent_color: Option<String>,
    /// The hash that names the logo's address, when the organisation has one.
    pub logo_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlanSummary {
    pub organisation_id: OrganisationId,
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
    pub objectives: i64,
    pub actions: i64,
    pub indicators: i64,
    pub published: bool,
}

pub async fn organisations(conn: &mut PgConnection) -> Result<Vec<OrganisationRow>, sqlx::Error> {
    sqlx::query_as!(
        OrganisationRow,
        r#"SELECT o.id AS "id: OrganisationId", o.slug, o.name, o.short_name, o.kind, o.accent_color,
                  l.hash AS "logo_hash?"
             FROM organisation o LEFT JOIN organisation_logo l ON l.organisation_id = o.id
            ORDER BY o.short_name"#
    )
    .fetch_all(conn)
    .await
}

pub async fn organisation(
    conn: &mut PgConnection,
    slug: &str,
) -> Result<Option<OrganisationRow>, sqlx::Error> {
    sqlx::query_as!(
        OrganisationRow,
        r#"SELECT o.id AS "id: OrganisationId", o.slug, o.name, o.short_name, o.kind, o.accent_color,
                  l.hash AS "logo_hash?"
             FROM organisation o LEFT JOIN organisation_logo l ON l.organisation_id = o.id
            WHERE o.slug = $1"#,
        slug
    )
    .fetch_optional(conn)
    .await
}

/// The names of services, by id.
pub async fn service_names(
    conn: &mut PgConnection,
    ids: &[ServiceId],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT name FROM service WHERE id = ANY($1) ORDER BY name",
        &ids::numbers(ids)
    )
    .fetch_all(conn)
    .await
}

/// Plans with their sizes, for the given organisations (all of them when `None`).
pub async fn plan_summaries(
    conn: &mut PgConnection,
    organisation_id: Option<OrganisationId>,
) -> Result<Vec<PlanSummary>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.organisation_id AS "organisation_id: OrganisationId", p.slug, p.title, p.first_year, p.last_year, p.adopted_on, p.objective_term,
                  (SELECT count(*) FROM objective o WHERE o.plan_id = p.id) AS "objectives!",
                  (SELECT count(*) FROM action a WHERE a.plan_id = p.id) AS "actions!",
                  (SELECT count(*) FROM indicator i WHERE i.plan_id = p.id) AS "indicators!",
                  p.published_at IS NOT NULL AS "published!"
             FROM plan p
            WHERE $1::bigint IS NULL OR p.organisation_id = $1
            ORDER BY p.first_year DESC, p.title"#,
        organisation_id.map(OrganisationId::get)
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PlanSummary {
            organisation_id: r.organisation_id,
            slug: r.slug,
            title: r.title,
            first_year: r.first_year,
            last_year: r.last_year,
            adopted_on: r.adopted_on,
            objective_term: ObjectiveTerm::from_db(&r.objective_term),
            objectives: r.objectives,
            actions: r.actions,
            indicators: r.indicators,
            published: r.published,
        })
        .collect())
}

/// A whole plan, as a tree.
#[derive(Debug, Clone)]
pub struct PlanTree {
    pub organisation: OrganisationRow,
    pub id: PlanId,
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
    /// When the plan was published, if it is.
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Axes in order; a plan without axes has one group whose axis is `None`.
    pub groups: Vec<AxisGroup>,
    /// The actions' years whose values procurement staff validated: (action, year).
    pub validated: HashSet<(ActionId, i32)>,
    /// The years locked.
    pub locked_years: Vec<i32>,
    /// The actions' years whose values [`PlanTree::for_public`] withheld: (action, year).
    pub withheld: HashSet<(ActionId, i32)>,
}

impl PlanTree {
    /// How many indicators the plan has.
    pub fn indicator_count(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| &g.objectives)
            .flat_map(|o| &o.actions)
            .map(|a| a.indicators.len())
            .sum()
    }

    /// The plan as the public reads it. An action's values of a year are public once procurement
    /// staff validated them, or once the year is locked; the actuals and narratives of the others
    /// (*saisi*, *soumis*, *renvoyé*, or never reviewed) are left out, and noted in `withheld` so that
    /// the pages can say so. Targets and the structure are public.
    pub fn for_public(mut self) -> PlanTree {
        let mut withheld = HashSet::new();
        let (validated, locked) = (&self.validated, &self.locked_years);
        let public = |action: ActionId, year: i32| {
            locked.contains(&year) || validated.contains(&(action, year))
        };
        for action in self
            .groups
            .iter_mut()
            .flat_map(|g| g.objectives.iter_mut())
            .flat_map(|o| o.actions.iter_mut())
        {
            let id = action.id;
            action.narratives.retain(|(year, _)| {
                let keep = public(id, *year);
                if !keep {
                    withheld.insert((id, *year));
                }
                keep
            });
            for indicator in &mut action.indicators {
                indicator.actuals.retain(|a| {
                    let keep = public(id, a.year);
                    if !keep {
                        withheld.insert((id, a.year));
                    }
                    keep
                });
            }
        }
        self.withheld = withheld;
        self
    }
}

#[derive(Debug, Clone)]
pub struct AxisGroup {
    pub axis: Option<AxisNode>,
    pub objectives: Vec<ObjectiveNode>,
}

#[derive(Debug, Clone)]
pub struct AxisNode {
    pub id: AxisId,
    /// The axis's name as the buyer writes it: its code (`A`, `II`), else its number.
    pub number: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ObjectiveNode {
    pub id: ObjectiveId,
    pub code: String,
    pub label: String,
    pub actions: Vec<ActionNode>,
}

#[derive(Debug, Clone)]
pub struct ActionNode {
    pub id: ActionId,
    pub code: Option<String>,
    pub label: String,
    pub pilots: Vec<String>,
    pub indicators: Vec<IndicatorNode>,
    pub narratives: Vec<(i32, String)>,
}

#[derive(Debug, Clone)]
pub struct IndicatorNode {
    pub id: IndicatorId,
    pub label: String,
    pub kind: Option<IndicatorKind>,
    pub unit: Option<String>,
    pub direction: Direction,
    pub baseline: Option<(Decimal, i32)>,
    pub partial_threshold: Decimal,
    pub targets_source: Option<String>,
    pub pilots: Vec<String>,
    pub targets: Vec<YearEntry>,
    pub actuals: Vec<YearEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearEntry {
    pub year: i32,
    pub value: Option<Decimal>,
    pub text: Option<String>,
}

pub use super::head::{PlanHeadRow, plan_head, plan_head_by_id};
pub use value_rows::{PlanValues, plan_values};

/// A plan's own fields, without its content.
#[derive(Debug, Clone)]
pub struct PlanHead {
    pub organisation: OrganisationRow,
    pub id: PlanId,
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Counts the changes to anything the plan's pages show (kept by the database).
    pub revision: i64,
}

/// Reads a plan by its organisation's slug and its own, in three queries whatever its size:
/// the plan, its structure (one row per indicator, pilots aggregated), its yearly values.
pub async fn plan_tree(
    conn: &mut PgConnection,
    organisation_slug: &str,
    plan_slug: &str,
) -> Result<Option<PlanTree>, sqlx::Error> {
    match plan_head(conn, organisation_slug, plan_slug).await? {
        Some(head) => Ok(Some(plan_content(conn, head).await?)),
        None => Ok(None),
    }
}

/// The content of a plan whose head was read: two queries (the second also says which values are
/// validated and which years locked).
pub async fn plan_content(conn: &mut PgConnection, p: PlanHead) -> Result<PlanTree, sqlx::Error> {
    let rows = structure_rows(&mut *conn, p.id).await?;
    let values = plan_values(&mut *conn, p.id).await?;
    Ok(assemble(p, rows).with_values(values))
}

/// The structure of a plan whose head was read, with its indicators' targets (which change with
/// the structure, and bump its revision) but without the values of any year (no actual, no
/// narrative, nothing validated or locked): one query, for what only checks who may change what
/// (a save) and for what keeps structures ([`super::kept::KeptStructures`]).
pub async fn plan_structure(conn: &mut PgConnection, p: PlanHead) -> Result<PlanTree, sqlx::Error> {
    let rows = structure_rows(conn, p.id).await?;
    Ok(assemble(p, rows))
}

/// One row of a plan's structure: an objective, perhaps its axis, perhaps an action of it and
/// perhaps an indicator of that action.
struct StructureRow {
    objective_id: ObjectiveId,
    objective_code: String,
    objective_label: String,
    axis_id: Option<AxisId>,
    axis_number: Option<String>,
    axis_label: Option<String>,
    action_id: Option<ActionId>,
    action_code: Option<String>,
    action_label: Option<String>,
    action_pilots: Vec<String>,
    indicator_id: Option<IndicatorId>,
    indicator_label: Option<String>,
    kind: Option<String>,
    unit: Option<String>,
    direction: Option<String>,
    baseline_value: Option<Decimal>,
    baseline_year: Option<i32>,
    partial_threshold: Option<Decimal>,
    targets_source: Option<String>,
    indicator_pilots: Vec<String>,
    /// The indicator's targets, in the order of the years: the years, values and texts.
    target_years: Vec<i32>,
    target_values: Vec<Option<Decimal>>,
    target_texts: Vec<Option<String>>,
}

/// A plan's structure, in order: one query.
async fn structure_rows(
    db: impl sqlx::PgExecutor<'_>,
    plan: PlanId,
) -> Result<Vec<StructureRow>, sqlx::Error> {
    sqlx::query_as!(
        StructureRow,
        r#"WITH action_pilots AS (
                SELECT ap.action_id, array_agg(s.name ORDER BY s.id) AS names
                  FROM action_pilot ap JOIN action a ON a.id = ap.action_id
                  JOIN service s ON s.id = ap.service_id
                 WHERE a.plan_id = $1 GROUP BY ap.action_id),
                indicator_pilots AS (
                SELECT ip.indicator_id, array_agg(s.name ORDER BY s.id) AS names
                  FROM indicator_pilot ip JOIN indicator i ON i.id = ip.indicator_id
                  JOIN service s ON s.id = ip.service_id
                 WHERE i.plan_id = $1 GROUP BY ip.indicator_id),
                targets AS (
                SELECT t.indicator_id, array_agg(t.year ORDER BY t.year) AS years,
                       array_agg(t.value ORDER BY t.year) AS "values",
                       array_agg(t.text ORDER BY t.year) AS texts
                  FROM indicator_target t WHERE t.plan_id = $1 GROUP BY t.indicator_id)
           SELECT o.id AS "objective_id: ObjectiveId", o.code AS objective_code, o.label AS objective_label,
                  x.id AS "axis_id?: AxisId", coalesce(x.code, x.number::text) AS "axis_number?", x.label AS "axis_label?",
                  a.id AS "action_id?: ActionId", a.code AS action_code, a.label AS "action_label?",
                  coalesce(ap.names, '{}') AS "action_pilots!",
                  i.id AS "indicator_id?: IndicatorId", i.label AS "indicator_label?", i.kind, i.unit,
                  i.direction AS "direction?", i.baseline_value, i.baseline_year,
                  i.partial_threshold AS "partial_threshold?", i.targets_source,
                  coalesce(ip.names, '{}') AS "indicator_pilots!",
                  coalesce(tg.years, '{}') AS "target_years!",
                  coalesce(tg."values", '{}') AS "target_values!: Vec<Option<Decimal>>",
                  coalesce(tg.texts, '{}') AS "target_texts!: Vec<Option<String>>"
             FROM objective o
             LEFT JOIN axis x ON x.id = o.axis_id
             LEFT JOIN action a ON a.objective_id = o.id
             LEFT JOIN action_pilots ap ON ap.action_id = a.id
             LEFT JOIN indicator i ON i.action_id = a.id
             LEFT JOIN indicator_pilots ip ON ip.indicator_id = i.id
             LEFT JOIN targets tg ON tg.indicator_id = i.id
            WHERE o.plan_id = $1
            ORDER BY x.number NULLS LAST, o.position, a.position, i.position"#,
        plan.get()
    )
    .fetch_all(db)
    .await
}

/// The tree of a plan from its structure's rows, with its targets and without values.
fn assemble(p: PlanHead, rows: Vec<StructureRow>) -> PlanTree {
    let mut groups: Vec<AxisGroup> = Vec::new();
    for r in rows {
        let axis_id = r.axis_id;
        let group = match groups
            .iter()
            .position(|g| g.axis.as_ref().map(|a| a.id) == axis_id)
        {
            Some(i) => &mut groups[i],
            None => {
                groups.push(AxisGroup {
                    axis: axis_id.map(|id| AxisNode {
                        id,
                        number: r.axis_number.clone().unwrap_or_default(),
                        label: r.axis_label.clone().unwrap_or_default(),
                    }),
                    objectives: Vec::new(),
                });
                groups.last_mut().expect("just pushed")
            }
        };
        if group.objectives.last().map(|o| o.id) != Some(r.objective_id) {
            group.objectives.push(ObjectiveNode {
                id: r.objective_id,
                code: r.objective_code.clone(),
                label: r.objective_label.clone(),
                actions: Vec::new(),
            });
        }
        let objective = group.objectives.last_mut().expect("just pushed");
        let Some(action_id) = r.action_id else {
            continue;
        };
        if objective.actions.last().map(|a| a.id) != Some(action_id) {
            objective.actions.push(ActionNode {
                id: action_id,
                code: r.action_code.clone(),
                label: r.action_label.clone().unwrap_or_default(),
                pilots: r.action_pilots.clone(),
                indicators: Vec::new(),
                narratives: Vec::new(),
            });
        }
        let action = objective.actions.last_mut().expect("just pushed");
        let Some(indicator_id) = r.indicator_id else {
            continue;
        };
        action.indicators.push(IndicatorNode {
            id: indicator_id,
            label: r.indicator_label.unwrap_or_default(),
            kind: r.kind.as_deref().and_then(IndicatorKind::from_db),
            unit: r.unit,
            direction: Direction::from_db(r.direction.as_deref().unwrap_or("up")),
            baseline: r.baseline_value.zip(r.baseline_year),
            partial_threshold: r.partial_threshold.unwrap_or(Decimal::new(8, 1)),
            targets_source: r.targets_source,
            pilots: r.indicator_pilots,
            targets: r
                .target_years
                .into_iter()
                .zip(r.target_values)
                .zip(r.target_texts)
                .map(|((year, value), text)| YearEntry { year, value, text })
                .collect(),
            actuals: Vec::new(),
        });
    }
    // An action's pilots are its own, else those of its indicators.
    for action in groups
        .iter_mut()
        .flat_map(|g| g.objectives.iter_mut())
        .flat_map(|o| o.actions.iter_mut())
    {
        if action.pilots.is_empty() {
            let mut pilots: Vec<String> = Vec::new();
            for name in action.indicators.iter().flat_map(|i| i.pilots.iter()) {
                if !pilots.contains(name) {
                    pilots.push(name.clone());
                }
            }
            action.pilots = pilots;
        }
    }

    PlanTree::headed(p, groups)
}

impl PlanTree {
    /// A plan's tree of these groups under its head, without values.
    fn headed(p: PlanHead, groups: Vec<AxisGroup>) -> PlanTree {
        PlanTree {
            organisation: p.organisation,
            id: p.id,
            slug: p.slug,
            title: p.title,
            first_year: p.first_year,
            last_year: p.last_year,
            adopted_on: p.adopted_on,
            objective_term: p.objective_term,
            published_at: p.published_at,
            groups,
            validated: HashSet::new(),
            locked_years: Vec::new(),
            withheld: HashSet::new(),
        }
    }

    /// This tree (a structure kept) under the plan's head as just read: its title or address may
    /// have changed since, without any change to its structure.
    pub fn under(&self, p: PlanHead) -> PlanTree {
        PlanTree {
            validated: self.validated.clone(),
            locked_years: self.locked_years.clone(),
            withheld: self.withheld.clone(),
            ..PlanTree::headed(p, self.groups.clone())
        }
    }
}

crate::has_period!(PlanSummary, PlanTree, PlanHead);
