//! A plan's structure as the editor shows it: every item with its version (for conflicts), the
//! services that pilot it, and what values hang on it (for removals). Seven queries whatever the
//! size of the plan.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::domain::ids::{
    ActionId, AxisId, IndicatorId, ObjectiveId, OrganisationId, PlanId, ServiceId,
};
use crate::domain::model::{Direction, IndicatorKind, ObjectiveTerm, YearValue};
use crate::domain::structure::ItemKind;

#[derive(Debug, Clone)]
pub struct PlanRow {
    pub id: PlanId,
    pub organisation_id: OrganisationId,
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: ObjectiveTerm,
    pub has_axes: bool,
    pub version: i32,
    /// The shared plan this member plan follows: its structure is the carrier's to change.
    pub follows: Option<PlanId>,
}

#[derive(Debug, Clone)]
pub struct AxisRow {
    pub id: AxisId,
    /// The axis's rank.
    pub number: i32,
    pub code: Option<String>,
    pub label: String,
    pub version: i32,
}

impl AxisRow {
    /// As the plan names it: its code, else its rank.
    pub fn name(&self) -> String {
        self.code.clone().unwrap_or_else(|| self.number.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct ObjectiveRow {
    pub id: ObjectiveId,
    pub axis_id: Option<AxisId>,
    pub code: String,
    pub label: String,
    pub position: i32,
    pub version: i32,
}

#[derive(Debug, Clone)]
pub struct ActionRow {
    pub id: ActionId,
    pub objective_id: ObjectiveId,
    pub code: Option<String>,
    pub label: String,
    pub position: i32,
    pub version: i32,
    pub pilots: Vec<ServiceId>,
}

#[derive(Debug, Clone)]
pub struct IndicatorRow {
    pub id: IndicatorId,
    pub action_id: ActionId,
    pub position: i32,
    pub label: String,
    pub kind: Option<IndicatorKind>,
    pub unit: Option<String>,
    pub direction: Direction,
    pub baseline: Option<(Decimal, i32)>,
    pub baseline_source: Option<String>,
    pub partial_threshold: Decimal,
    pub version: i32,
    pub pilots: Vec<ServiceId>,
    pub targets: Vec<YearValue>,
}

/// What hangs on an item: values entered (actuals, narratives), and how many of them, or of its
/// targets, reviews and statuses set by hand, belong to a locked year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    pub values: i64,
    pub locked: i64,
    /// Values the members of a shared plan entered on their copies (open years: a locked
    /// year's stay with the member).
    pub members: i64,
}

impl std::ops::AddAssign for Weight {
    fn add_assign(&mut self, other: Self) {
        self.values += other.values;
        self.locked += other.locked;
        self.members += other.members;
    }
}

/// A plan's whole structure, in the plan's order.
#[derive(Debug, Clone)]
pub struct Structure {
    pub plan: PlanRow,
    pub axes: Vec<AxisRow>,
    pub objectives: Vec<ObjectiveRow>,
    pub actions: Vec<ActionRow>,
    pub indicators: Vec<IndicatorRow>,
    pub locked_years: Vec<i32>,
    /// The organisation's services, by name.
    pub services: Vec<(ServiceId, String)>,
    /// What hangs on each indicator and action itself (not on its children).
    own_weight: HashMap<(ItemKind, i64), Weight>,
}

impl Structure {
    pub fn objectives_of(&self, axis: Option<AxisId>) -> impl Iterator<Item = &ObjectiveRow> {
        self.objectives.iter().filter(move |o| o.axis_id == axis)
    }

    pub fn actions_of(&self, objective: ObjectiveId) -> impl Iterator<Item = &ActionRow> {
        self.actions
            .iter()
            .filter(move |a| a.objective_id == objective)
    }

    pub fn indicators_of(&self, action: ActionId) -> impl Iterator<Item = &IndicatorRow> {
        self.indicators
            .iter()
            .filter(move |i| i.action_id == action)
    }

    pub fn axis(&self, id: i64) -> Option<&AxisRow> {
        self.axes.iter().find(|a| a.id.get() == id)
    }

    pub fn objective(&self, id: i64) -> Option<&ObjectiveRow> {
        self.objectives.iter().find(|o| o.id.get() == id)
    }

    pub fn action(&self, id: i64) -> Option<&ActionRow> {
        self.actions.iter().find(|a| a.id.get() == id)
    }

    pub fn indicator(&self, id: i64) -> Option<&IndicatorRow> {
        self.indicators.iter().find(|i| i.id.get() == id)
    }

    /// Whether the item is in this plan.
    pub fn has(&self, kind: ItemKind, id: i64) -> bool {
        match kind {
            ItemKind::Axis => self.axis(id).is_some(),
            ItemKind::Objective => self.objective(id).is_some(),
            ItemKind::Action => self.action(id).is_some(),
            ItemKind::Indicator => self.indicator(id).is_some(),
        }
    }

    /// What would go with the item: its values and those of everything under it.
    pub fn weight(&self, kind: ItemKind, id: i64) -> Weight {
        let own = |k: ItemKind, id: i64| self.own_weight.get(&(k, id)).copied().unwrap_or_default();
        let mut total = Weight::default();
        match kind {
            ItemKind::Indicator => total += own(kind, id),
            ItemKind::Action => {
                total += own(kind, id);
                for i in self.indicators_of(ActionId(id)) {
                    total += own(ItemKind::Indicator, i.id.get());
                }
            }
            ItemKind::Objective => {
                total += own(kind, id);
                for a in self.actions_of(ObjectiveId(id)) {
                    total += self.weight(ItemKind::Action, a.id.get());
                }
            }
            ItemKind::Axis => {
                for o in self.objectives_of(Some(AxisId(id))) {
                    total += self.weight(ItemKind::Objective, o.id.get());
                }
            }
        }
        total
    }

    /// The items that would go with this one (« 2 actions, 3 indicateurs »), counted.
    pub fn descendants(&self, kind: ItemKind, id: i64) -> (usize, usize, usize) {
        match kind {
            ItemKind::Indicator => (0, 0, 0),
            ItemKind::Action => (0, 0, self.indicators_of(ActionId(id)).count()),
            ItemKind::Objective => {
                let actions: Vec<_> = self.actions_of(ObjectiveId(id)).collect();
                let indicators = actions
                    .iter()
                    .map(|a| self.indicators_of(a.id).count())
                    .sum();
                (0, actions.len(), indicators)
            }
            ItemKind::Axis => {
                let objectives: Vec<_> = self.objectives_of(Some(AxisId(id))).collect();
                let (mut actions, mut indicators) = (0, 0);
                for o in &objectives {
                    let (_, a, i) = self.descendants(ItemKind::Objective, o.id.get());
                    actions += a;
                    indicators += i;
                }
                (objectives.len(), actions, indicators)
            }
        }
    }

    /// The item as people name it (« Objectif 3 — Former les acheteurs »).
    pub fn item_label(&self, kind: ItemKind, id: i64) -> Option<String> {
        let term = self.plan.objective_term;
        Some(match kind {
            ItemKind::Axis => {
                let a = self.axis(id)?;
                format!("Axe {} — {}", a.name(), a.label)
            }
            ItemKind::Objective => {
                let o = self.objective(id)?;
                format!("{} {} — {}", term.label(), o.code, o.label)
            }
            ItemKind::Action => {
                let a = self.action(id)?;
                match &a.code {
                    Some(code) => format!("Action {code} — {}", a.label),
                    None => format!("Action — {}", a.label),
                }
            }
            ItemKind::Indicator => format!("Indicateur — {}", self.indicator(id)?.label),
        })
    }

    /// The names of services, in the order given.
    pub fn service_names(&self, ids: &[ServiceId]) -> Vec<String> {
        ids.iter()
            .filter_map(|id| self.services.iter().find(|(s, _)| s == id))
            .map(|(_, n)| n.clone())
            .collect()
    }
}

/// The structure of a plan of an organisation; `None` when it has no such plan.
pub async fn structure(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    plan_slug: &str,
) -> Result<Option<Structure>, sqlx::Error> {
    let Some(p) = sqlx::query!(
        r#"SELECT id AS "id: PlanId", organisation_id AS "organisation_id: OrganisationId", slug, title,
                  first_year, last_year, adopted_on, objective_term, has_axes, version,
                  shared_from_plan_id AS "follows: PlanId"
             FROM plan WHERE organisation_id = $1 AND slug = $2"#,
        organisation_id.get(),
        plan_slug
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let plan = PlanRow {
        id: p.id,
        organisation_id: p.organisation_id,
        slug: p.slug,
        title: p.title,
        first_year: p.first_year,
        last_year: p.last_year,
        adopted_on: p.adopted_on,
        objective_term: ObjectiveTerm::from_db(&p.objective_term),
        has_axes: p.has_axes,
        version: p.version,
        follows: p.follows,
    };
    let id = plan.id.get();
    let axes = sqlx::query_as!(
        AxisRow,
        r#"SELECT id AS "id: AxisId", number, code, label, version FROM axis
            WHERE plan_id = $1 ORDER BY number"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let objectives = sqlx::query_as!(
        ObjectiveRow,
        r#"SELECT o.id AS "id: ObjectiveId", o.axis_id AS "axis_id: AxisId", o.code, o.label, o.position, o.version
             FROM objective o LEFT JOIN axis x ON x.id = o.axis_id
            WHERE o.plan_id = $1 ORDER BY x.number NULLS LAST, o.position"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let actions = sqlx::query!(
        r#"SELECT a.id AS "id: ActionId", a.objective_id AS "objective_id: ObjectiveId", a.code, a.label,
                  a.position, a.version,
                  (SELECT coalesce(array_agg(ap.service_id ORDER BY ap.service_id), '{}')
                     FROM action_pilot ap WHERE ap.action_id = a.id) AS "pilots!"
             FROM action a WHERE a.plan_id = $1 ORDER BY a.objective_id, a.position"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|a| ActionRow {
        id: a.id,
        objective_id: a.objective_id,
        code: a.code,
        label: a.label,
        position: a.position,
        version: a.version,
        pilots: a.pilots.into_iter().map(ServiceId).collect(),
    })
    .collect();
    let mut targets: HashMap<i64, Vec<YearValue>> = HashMap::new();
    for t in sqlx::query!(
        "SELECT indicator_id, year, value, text FROM indicator_target WHERE plan_id = $1 ORDER BY year",
        id
    )
    .fetch_all(&mut *conn)
    .await?
    {
        targets.entry(t.indicator_id).or_default().push(YearValue {
            year: t.year,
            value: t.value,
            text: t.text,
        });
    }
    let indicators = sqlx::query!(
        r#"SELECT i.id AS "id: IndicatorId", i.action_id AS "action_id: ActionId", i.position, i.label,
                  i.kind, i.unit, i.direction, i.baseline_value, i.baseline_year, i.baseline_source,
                  i.partial_threshold, i.version,
                  (SELECT coalesce(array_agg(ip.service_id ORDER BY ip.service_id), '{}')
                     FROM indicator_pilot ip WHERE ip.indicator_id = i.id) AS "pilots!"
             FROM indicator i WHERE i.plan_id = $1 ORDER BY i.action_id, i.position"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|i| IndicatorRow {
        targets: targets.remove(&i.id.get()).unwrap_or_default(),
        id: i.id,
        action_id: i.action_id,
        position: i.position,
        label: i.label,
        kind: i.kind.as_deref().and_then(IndicatorKind::from_db),
        unit: i.unit,
        direction: Direction::from_db(&i.direction),
        baseline: i.baseline_value.zip(i.baseline_year),
        baseline_source: i.baseline_source,
        partial_threshold: i.partial_threshold,
        version: i.version,
        pilots: i.pilots.into_iter().map(ServiceId).collect(),
    })
    .collect();
    let locked_years = sqlx::query_scalar!(
        "SELECT year FROM plan_year_lock WHERE plan_id = $1 ORDER BY year",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    // Values, and what of a locked year, per indicator and per action.
    let mut own_weight = HashMap::new();
    for w in sqlx::query!(
        r#"WITH locked AS (SELECT year FROM plan_year_lock WHERE plan_id = $1)
           SELECT kind AS "kind!", item AS "item!", sum(n)::bigint AS "values!", sum(l)::bigint AS "locked!",
                  sum(m)::bigint AS "members!" FROM (
               SELECT 'indicator' AS kind, indicator_id AS item, count(*) AS n,
                      count(*) FILTER (WHERE year IN (SELECT year FROM locked)) AS l, 0::bigint AS m
                 FROM indicator_actual WHERE plan_id = $1 GROUP BY indicator_id
               UNION ALL
               SELECT 'indicator', indicator_id, 0, count(*), 0 FROM indicator_target
                WHERE plan_id = $1 AND year IN (SELECT year FROM locked) GROUP BY indicator_id
               UNION ALL
               SELECT 'action', action_id, count(*), count(*) FILTER (WHERE year IN (SELECT year FROM locked)), 0
                 FROM action_narrative WHERE plan_id = $1 GROUP BY action_id
               UNION ALL
               SELECT 'action', action_id, 0, count(*), 0 FROM action_review
                WHERE plan_id = $1 AND year IN (SELECT year FROM locked) GROUP BY action_id
               UNION ALL
               -- A status set by hand in a locked year belongs to that year's bilan.
               SELECT level, item_id, 0, count(*), 0 FROM status_override
                WHERE plan_id = $1 AND year IN (SELECT year FROM locked) GROUP BY level, item_id
               UNION ALL
               -- What the members of a shared plan entered on their copies of the item.
               SELECT 'indicator', mi.source_indicator_id, 0, 0, count(*) FROM indicator_actual v
                 JOIN indicator mi ON mi.id = v.indicator_id JOIN indicator ci ON ci.id = mi.source_indicator_id
                WHERE ci.plan_id = $1 AND mi.plan_id <> $1 GROUP BY mi.source_indicator_id
               UNION ALL
               SELECT 'action', ma.source_action_id, 0, 0, count(*) FROM action_narrative n
                 JOIN action ma ON ma.id = n.action_id JOIN action ca ON ca.id = ma.source_action_id
                WHERE ca.plan_id = $1 AND ma.plan_id <> $1 GROUP BY ma.source_action_id) v
            GROUP BY kind, item"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let kind = match w.kind.as_str() {
            "indicator" => ItemKind::Indicator,
            "objective" => ItemKind::Objective,
            _ => ItemKind::Action,
        };
        own_weight.insert(
            (kind, w.item),
            Weight {
                values: w.values,
                locked: w.locked,
                members: w.members,
            },
        );
    }
    let services = sqlx::query!(
        r#"SELECT id AS "id: ServiceId", name FROM service WHERE organisation_id = $1 ORDER BY lower(name)"#,
        organisation_id.get()
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|s| (s.id, s.name))
    .collect();
    Ok(Some(Structure {
        plan,
        axes,
        objectives,
        actions,
        indicators,
        locked_years,
        services,
        own_weight,
    }))
}

/// A line of the structure's history.
#[derive(Debug, Clone)]
pub struct StructureLogLine {
    pub item_label: String,
    pub operation: String,
    pub detail: String,
    pub user_name: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl StructureLogLine {
    /// The operation in French.
    pub fn operation_fr(&self) -> &'static str {
        match self.operation.as_str() {
            "created" => "Ajout",
            "changed" => "Modification",
            "moved" => "Déplacement",
            "removed" => "Suppression",
            "imported" => "Import du tableur",
            "copied" => "Reprise d'un plan",
            _ => "Modification",
        }
    }
}

/// The latest lines of a plan's structural history, newest first (`limit` at most).
pub async fn history(
    conn: &mut PgConnection,
    plan_id: PlanId,
    limit: i64,
) -> Result<Vec<StructureLogLine>, sqlx::Error> {
    sqlx::query_as!(
        StructureLogLine,
        r#"SELECT item_label, operation, detail, user_name, at FROM structure_log
            WHERE plan_id = $1 ORDER BY at DESC, id DESC LIMIT $2"#,
        plan_id.get(),
        limit
    )
    .fetch_all(conn)
    .await
}

/// Who last changed an item of the structure, and when.
pub async fn last_change(
    conn: &mut PgConnection,
    plan_id: PlanId,
    kind: ItemKind,
    item_id: i64,
) -> Result<Option<(String, chrono::DateTime<chrono::Utc>)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT user_name, at FROM structure_log
            WHERE plan_id = $1 AND item_kind = $2 AND item_id = $3 ORDER BY at DESC, id DESC LIMIT 1"#,
        plan_id.get(),
        kind.as_db(),
        item_id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.user_name, r.at)))
}
