//! Reads organisations and plans for the pages. A plan is read in a fixed number of queries,
//! whatever its size, then assembled in memory.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::domain::model::{Direction, IndicatorKind, ObjectiveTerm};

#[derive(Debug, Clone)]
pub struct OrganisationRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub short_name: String,
    pub kind: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlanSummary {
    pub organisation_id: i64,
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
    pub objectives: i64,
    pub actions: i64,
    pub indicators: i64,
}

pub async fn organisations(conn: &mut PgConnection) -> Result<Vec<OrganisationRow>, sqlx::Error> {
    sqlx::query_as!(
        OrganisationRow,
        "SELECT id, slug, name, short_name, kind FROM organisation ORDER BY short_name"
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
        "SELECT id, slug, name, short_name, kind FROM organisation WHERE slug = $1",
        slug
    )
    .fetch_optional(conn)
    .await
}

/// The names of services, by id.
pub async fn service_names(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT name FROM service WHERE id = ANY($1) ORDER BY name",
        ids
    )
    .fetch_all(conn)
    .await
}

/// Plans with their sizes, for the given organisations (all of them when `None`).
pub async fn plan_summaries(
    conn: &mut PgConnection,
    organisation_id: Option<i64>,
) -> Result<Vec<PlanSummary>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.organisation_id, p.slug, p.title, p.first_year, p.last_year, p.adopted_on, p.objective_term,
                  (SELECT count(*) FROM objective o WHERE o.plan_id = p.id) AS "objectives!",
                  (SELECT count(*) FROM action a WHERE a.plan_id = p.id) AS "actions!",
                  (SELECT count(*) FROM indicator i WHERE i.plan_id = p.id) AS "indicators!"
             FROM plan p
            WHERE $1::bigint IS NULL OR p.organisation_id = $1
            ORDER BY p.first_year DESC, p.title"#,
        organisation_id
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
        })
        .collect())
}

/// A whole plan, as a tree.
#[derive(Debug, Clone)]
pub struct PlanTree {
    pub organisation: OrganisationRow,
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
    /// Axes in order; a plan without axes has one group whose axis is `None`.
    pub groups: Vec<AxisGroup>,
}

#[derive(Debug, Clone)]
pub struct AxisGroup {
    pub axis: Option<AxisNode>,
    pub objectives: Vec<ObjectiveNode>,
}

#[derive(Debug, Clone)]
pub struct AxisNode {
    pub id: i64,
    pub number: i32,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ObjectiveNode {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub actions: Vec<ActionNode>,
}

#[derive(Debug, Clone)]
pub struct ActionNode {
    pub id: i64,
    pub code: Option<String>,
    pub label: String,
    pub pilots: Vec<String>,
    pub indicators: Vec<IndicatorNode>,
    pub narratives: Vec<(i32, String)>,
}

#[derive(Debug, Clone)]
pub struct IndicatorNode {
    pub id: i64,
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

/// Reads a plan by its organisation's slug and its own, in eight queries.
pub async fn plan_tree(
    conn: &mut PgConnection,
    organisation_slug: &str,
    plan_slug: &str,
) -> Result<Option<PlanTree>, sqlx::Error> {
    let Some(p) = sqlx::query!(
        r#"SELECT p.id, p.slug, p.title, p.first_year, p.last_year, p.adopted_on, p.objective_term,
                  o.id AS org_id, o.slug AS org_slug, o.name AS org_name, o.short_name, o.kind
             FROM plan p JOIN organisation o ON o.id = p.organisation_id
            WHERE o.slug = $1 AND p.slug = $2"#,
        organisation_slug,
        plan_slug
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };

    let axes = sqlx::query_as!(
        AxisNode,
        "SELECT id, number, label FROM axis WHERE plan_id = $1 ORDER BY number",
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let objectives = sqlx::query!(
        "SELECT id, axis_id, code, label FROM objective WHERE plan_id = $1 ORDER BY position",
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let actions = sqlx::query!(
        "SELECT id, objective_id, code, label FROM action WHERE plan_id = $1 ORDER BY position",
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let indicators = sqlx::query!(
        r#"SELECT id, action_id, label, kind, unit, direction, baseline_value, baseline_year,
                  partial_threshold, targets_source
             FROM indicator WHERE plan_id = $1 ORDER BY position"#,
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let values = sqlx::query!(
        r#"SELECT true AS "is_target!", t.indicator_id AS "indicator_id!", t.year AS "year!", t.value, t.text
             FROM indicator_target t JOIN indicator i ON i.id = t.indicator_id WHERE i.plan_id = $1
           UNION ALL
           SELECT false, v.indicator_id, v.year, v.value, v.text
             FROM indicator_actual v JOIN indicator i ON i.id = v.indicator_id WHERE i.plan_id = $1
           ORDER BY 3"#,
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let narratives = sqlx::query!(
        r#"SELECT n.action_id, n.year, n.text
             FROM action_narrative n JOIN action a ON a.id = n.action_id
            WHERE a.plan_id = $1 ORDER BY n.year"#,
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let pilots = sqlx::query!(
        r#"SELECT 'indicator' AS "owner!", ip.indicator_id AS "owner_id!", s.name AS "name!"
             FROM indicator_pilot ip JOIN service s ON s.id = ip.service_id
             JOIN indicator i ON i.id = ip.indicator_id WHERE i.plan_id = $1
           UNION ALL
           SELECT 'action', ap.action_id, s.name
             FROM action_pilot ap JOIN service s ON s.id = ap.service_id
             JOIN action a ON a.id = ap.action_id WHERE a.plan_id = $1
           ORDER BY 3"#,
        p.id
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut indicator_pilots: HashMap<i64, Vec<String>> = HashMap::new();
    let mut action_pilots: HashMap<i64, Vec<String>> = HashMap::new();
    for row in pilots {
        let map = if row.owner == "indicator" {
            &mut indicator_pilots
        } else {
            &mut action_pilots
        };
        map.entry(row.owner_id).or_default().push(row.name);
    }
    let mut targets_by: HashMap<i64, Vec<YearEntry>> = HashMap::new();
    let mut actuals_by: HashMap<i64, Vec<YearEntry>> = HashMap::new();
    for v in values {
        let map = if v.is_target {
            &mut targets_by
        } else {
            &mut actuals_by
        };
        map.entry(v.indicator_id).or_default().push(YearEntry {
            year: v.year,
            value: v.value,
            text: v.text,
        });
    }
    let mut narratives_by: HashMap<i64, Vec<(i32, String)>> = HashMap::new();
    for n in narratives {
        narratives_by
            .entry(n.action_id)
            .or_default()
            .push((n.year, n.text));
    }
    let mut indicators_by: HashMap<i64, Vec<IndicatorNode>> = HashMap::new();
    for i in indicators {
        indicators_by
            .entry(i.action_id)
            .or_default()
            .push(IndicatorNode {
                id: i.id,
                label: i.label,
                kind: i.kind.as_deref().and_then(IndicatorKind::from_db),
                unit: i.unit,
                direction: Direction::from_db(&i.direction),
                baseline: i.baseline_value.zip(i.baseline_year),
                partial_threshold: i.partial_threshold,
                targets_source: i.targets_source,
                pilots: indicator_pilots.remove(&i.id).unwrap_or_default(),
                targets: targets_by.remove(&i.id).unwrap_or_default(),
                actuals: actuals_by.remove(&i.id).unwrap_or_default(),
            });
    }
    let mut actions_by: HashMap<i64, Vec<ActionNode>> = HashMap::new();
    for a in actions {
        let indicators = indicators_by.remove(&a.id).unwrap_or_default();
        // An action's pilots are its own, else those of its indicators.
        let mut pilots = action_pilots.remove(&a.id).unwrap_or_default();
        if pilots.is_empty() {
            for name in indicators.iter().flat_map(|i| i.pilots.iter()) {
                if !pilots.contains(name) {
                    pilots.push(name.clone());
                }
            }
        }
        actions_by
            .entry(a.objective_id)
            .or_default()
            .push(ActionNode {
                id: a.id,
                code: a.code,
                label: a.label,
                pilots,
                indicators,
                narratives: narratives_by.remove(&a.id).unwrap_or_default(),
            });
    }
    let mut groups: Vec<AxisGroup> = axes
        .into_iter()
        .map(|axis| AxisGroup {
            axis: Some(axis),
            objectives: Vec::new(),
        })
        .collect();
    for o in objectives {
        let node = ObjectiveNode {
            id: o.id,
            code: o.code,
            label: o.label,
            actions: actions_by.remove(&o.id).unwrap_or_default(),
        };
        let group = match o.axis_id {
            Some(axis_id) => groups
                .iter_mut()
                .find(|g| g.axis.as_ref().is_some_and(|a| a.id == axis_id)),
            None => groups.iter_mut().find(|g| g.axis.is_none()),
        };
        match group {
            Some(g) => g.objectives.push(node),
            None => groups.push(AxisGroup {
                axis: None,
                objectives: vec![node],
            }),
        }
    }

    Ok(Some(PlanTree {
        organisation: OrganisationRow {
            id: p.org_id,
            slug: p.org_slug,
            name: p.org_name,
            short_name: p.short_name,
            kind: p.kind,
        },
        id: p.id,
        slug: p.slug,
        title: p.title,
        first_year: p.first_year,
        last_year: p.last_year,
        adopted_on: p.adopted_on,
        objective_term: ObjectiveTerm::from_db(&p.objective_term),
        groups,
    }))
}
