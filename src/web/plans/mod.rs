//! A plan's page, for members and (published) for the public: axes, objectives, actions,
//! indicators, targets and actuals of every year.

use crate::domain::model::HasPeriod;
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::AppState;
use super::access::member_of;
use super::error::AppError;
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::view::{Audience, Badge, ValueView, period, plan_href};
use crate::domain::account::Role;
use crate::domain::format::{date_fr, quantity_fr};
use crate::domain::ids::ActionId;
use crate::plans::read::{self, ActionNode, IndicatorNode, PlanTree, YearEntry};
use crate::plans::values::{self, Statuses};

pub struct IndicatorView {
    pub badge: Badge,
    pub label: String,
    pub facts: Vec<(&'static str, String)>,
    /// Shown only where they differ from the action's.
    pub pilots: Vec<String>,
    pub targets: Vec<ValueView>,
    /// The one target of every year, when the plan sets the same for all (« Une fois par an »).
    pub standing_target: Option<ValueView>,
    pub actuals: Vec<ValueView>,
    pub has_targets: bool,
    pub has_actuals: bool,
    pub targets_source: Option<String>,
}

impl IndicatorView {
    fn new(
        indicator: &IndicatorNode,
        action_pilots: &[String],
        years: &[i32],
        statuses: &Statuses,
    ) -> Self {
        let unit = indicator.unit.as_deref();
        let numeric = indicator
            .targets
            .iter()
            .chain(&indicator.actuals)
            .any(|e| e.value.is_some());
        let mut facts = vec![(
            "Type",
            indicator
                .kind
                .map_or("non précisé".to_string(), |k| k.label().to_string()),
        )];
        if let Some(unit) = unit {
            facts.push(("Unité", unit.to_string()));
        }
        if numeric {
            facts.push((
                "Sens d'amélioration",
                indicator.direction.label().to_string(),
            ));
        }
        if let Some((value, year)) = indicator.baseline {
            facts.push((
                "Référence",
                format!("{} en {year}", quantity_fr(value, unit)),
            ));
        }
        let find =
            |entries: &[YearEntry], year: i32| entries.iter().find(|e| e.year == year).cloned();
        let all_same = indicator.targets.len() == years.len()
            && years.len() > 1
            && indicator
                .targets
                .windows(2)
                .all(|w| w[0].value == w[1].value && w[0].text == w[1].text);
        Self {
            badge: Badge::new(statuses.indicators.get(&indicator.id)),
            label: indicator.label.clone(),
            facts,
            pilots: if indicator.pilots.as_slice() == action_pilots {
                Vec::new()
            } else {
                indicator.pilots.clone()
            },
            targets: years
                .iter()
                .map(|y| ValueView::from_entry(find(&indicator.targets, *y).as_ref(), unit))
                .collect(),
            standing_target: all_same
                .then(|| ValueView::from_entry(indicator.targets.first(), unit)),
            actuals: years
                .iter()
                .map(|y| ValueView::from_entry(find(&indicator.actuals, *y).as_ref(), unit))
                .collect(),
            has_targets: !indicator.targets.is_empty(),
            has_actuals: !indicator.actuals.is_empty(),
            targets_source: indicator.targets_source.clone(),
        }
    }

    pub fn has_values(&self) -> bool {
        self.has_targets || self.has_actuals
    }
}

pub struct NarrativeView {
    pub year: i32,
    pub paragraphs: Vec<String>,
}

pub struct ActionView {
    pub badge: Badge,
    /// Piloted by one of the signed-in pilot's services.
    pub mine: bool,
    pub anchor: String,
    pub heading: String,
    pub pilots: Vec<String>,
    pub indicators: Vec<IndicatorView>,
    pub narratives: Vec<NarrativeView>,
    /// For the public: the years whose values are not validated yet, said.
    pub withheld: Option<String>,
}

impl ActionView {
    fn new(
        action: &ActionNode,
        years: &[i32],
        my_services: &[String],
        statuses: &Statuses,
        withheld: &std::collections::HashSet<(ActionId, i32)>,
    ) -> Self {
        let withheld_years: Vec<String> = years
            .iter()
            .filter(|y| withheld.contains(&(action.id, **y)))
            .map(i32::to_string)
            .collect();
        let heading = match &action.code {
            Some(code) => format!("Action {code} — {}", action.label),
            None => action.label.clone(),
        };
        let pilots_of = |names: &[String]| names.iter().any(|n| my_services.contains(n));
        Self {
            badge: Badge::new(statuses.actions.get(&action.id)),
            mine: pilots_of(&action.pilots)
                || action.indicators.iter().any(|i| pilots_of(&i.pilots)),
            anchor: format!("action-{}", action.id),
            heading,
            pilots: action.pilots.clone(),
            indicators: action
                .indicators
                .iter()
                .map(|i| IndicatorView::new(i, &action.pilots, years, statuses))
                .collect(),
            narratives: action
                .narratives
                .iter()
                .map(|(year, text)| NarrativeView {
                    year: *year,
                    paragraphs: text.split("\n\n").map(str::to_string).collect(),
                })
                .collect(),
            withheld: (!withheld_years.is_empty()).then(|| {
                format!(
                    "{} {} : en cours de validation, non publiées.",
                    if withheld_years.len() > 1 {
                        "Valeurs des années"
                    } else {
                        "Valeurs"
                    },
                    withheld_years.join(", ")
                )
            }),
        }
    }
}

pub struct ObjectiveView {
    pub badge: Badge,
    pub anchor: String,
    pub heading: String,
    pub actions: Vec<ActionView>,
}

pub struct GroupView {
    pub anchor: String,
    pub heading: Option<String>,
    pub objectives: Vec<ObjectiveView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/plan.html")]
pub struct PlanPage {
    pub layout: Layout,
    /// The year whose statuses the badges show.
    pub status_year: i32,
    pub status_years: Vec<(i32, String)>,
    pub entry_href: Option<String>,
    pub mine_href: String,
    pub bilan_href: String,
    pub compare_href: String,
    pub export_href: String,
    pub structure_href: String,
    /// Read by anyone, through the publication.
    pub public: bool,
    pub published: bool,
    pub can_publish: bool,
    pub publication_action: String,
    pub public_href: String,
    /// For a pilot: the services they steer.
    pub my_services: Vec<String>,
    pub organisation_name: String,
    pub organisation_href: String,
    pub title: String,
    pub period: String,
    pub adopted: Option<String>,
    pub years: Vec<i32>,
    pub groups: Vec<GroupView>,
    pub counts: String,
    /// Just saved from an imported file: said once, after the redirect.
    pub imported: bool,
    /// A plan shared by several buyers: its carrier and members.
    pub sharing: Option<super::view::Sharing>,
}

impl PlanPage {
    /// Whether the person may change the structure here: an administrator, on a plan of its own
    /// (a member of a shared plan follows the carrier's).
    pub fn edits_structure(&self) -> bool {
        self.can_publish && self.sharing.as_ref().is_none_or(|s| s.is_carrier)
    }

    fn new(
        plan: PlanTree,
        layout: Layout,
        my_services: Vec<String>,
        status_year: i32,
        statuses: Statuses,
        role: Option<Role>,
    ) -> Self {
        let years: Vec<i32> = plan.period().years().collect();
        let audience = if role.is_some() {
            Audience::Member
        } else {
            Audience::Public
        };
        let base = plan_href(&plan.organisation.slug, &plan.slug, audience);
        let published = plan.published_at.is_some();
        let publication_action = format!(
            "/organisations/{}/plans/{}/publication",
            plan.organisation.slug, plan.slug
        );
        let public_href = plan_href(&plan.organisation.slug, &plan.slug, Audience::Public);
        let term = plan.objective_term;
        let mut counts = (0, 0, 0);
        let groups: Vec<GroupView> = plan
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| GroupView {
                anchor: group
                    .axis
                    .as_ref()
                    .map_or(format!("groupe-{g}"), |a| format!("axe-{}", a.number)),
                heading: group
                    .axis
                    .as_ref()
                    .map(|a| format!("Axe {} — {}", a.number, a.label)),
                objectives: group
                    .objectives
                    .iter()
                    .map(|o| {
                        counts.0 += 1;
                        let heading = match term {
                            crate::domain::model::ObjectiveTerm::Objectif => {
                                format!("Objectif {} — {}", o.code, o.label)
                            }
                            crate::domain::model::ObjectiveTerm::FicheAction => {
                                format!("{} — {}", o.code, o.label)
                            }
                        };
                        ObjectiveView {
                            badge: Badge::new(statuses.objectives.get(&o.id)),
                            anchor: format!("objectif-{}", o.id),
                            heading,
                            actions: o
                                .actions
                                .iter()
                                .map(|a| {
                                    counts.1 += 1;
                                    counts.2 += a.indicators.len();
                                    ActionView::new(
                                        a,
                                        &years,
                                        &my_services,
                                        &statuses,
                                        &plan.withheld,
                                    )
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect();
        let counts = format!(
            "{} {} · {} actions · {} indicateurs",
            counts.0,
            term.label_plural().to_lowercase(),
            counts.1,
            counts.2
        );
        Self {
            layout: layout.for_organisation(&plan.organisation, role.is_none()),
            status_year,
            status_years: years
                .iter()
                .map(|y| (*y, format!("{base}?annee={y}")))
                .collect(),
            entry_href: matches!(role, Some(Role::Procurement | Role::Pilot))
                .then(|| format!("{base}/saisie/{status_year}")),
            bilan_href: format!("{base}/bilan/{status_year}"),
            compare_href: format!("{base}/comparaison"),
            export_href: format!("{base}/export"),
            structure_href: format!("{base}/structure"),
            public: role.is_none(),
            published,
            can_publish: role.is_some_and(Role::administers),
            publication_action,
            public_href,
            mine_href: format!("{base}/mes-actions/{status_year}"),
            my_services,
            organisation_name: plan.organisation.short_name.clone(),
            organisation_href: format!("/organisations/{}", plan.organisation.slug),
            title: plan.title,
            period: period(plan.first_year, plan.last_year),
            adopted: plan.adopted_on.map(date_fr),
            years,
            groups,
            counts,
            imported: false,
            sharing: None,
        }
    }
}

#[derive(serde::Deserialize)]
pub struct YearQuery {
    annee: Option<i32>,
    /// Set by the import's redirect after saving.
    importe: Option<String>,
}

/// The year a plan page shows statuses for: the one asked, else the latest with values, else
/// the plan's first year.
fn status_year(tree: &PlanTree, asked: Option<i32>) -> i32 {
    crate::bilan::default_year(tree, asked)
}

pub async fn plan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Query(query): Query<YearQuery>,
) -> Result<PlanPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let tree = read::plan_tree(&mut conn, &organisation, &plan)
        .await?
        .ok_or(AppError::NotFound)?;
    let my_services = if access.membership.role == Role::Pilot {
        read::service_names(&mut conn, &access.membership.services).await?
    } else {
        Vec::new()
    };
    let year = status_year(&tree, query.annee);
    let sharing = super::view::Sharing::new(
        &crate::plans::shared::circle(&mut conn, tree.id).await?,
        tree.id,
        &format!("/organisations/{organisation}/plans/{plan}"),
        year,
        Some(access.membership.role),
    );
    let year_values = values::year_values(&mut conn, tree.id, year).await?;
    let statuses = values::statuses(&tree, year, &year_values.overrides);
    let mut page = PlanPage::new(
        tree,
        Layout::new(&session),
        my_services,
        year,
        statuses,
        Some(access.membership.role),
    );
    page.imported = query.importe.is_some();
    page.sharing = sharing;
    Ok(page)
}

/// A published plan, for anyone.
pub async fn public_plan(
    State(state): State<AppState>,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Query(query): Query<YearQuery>,
) -> Result<PlanPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let tree = read::plan_tree(&mut conn, &organisation, &plan)
        .await?
        .filter(|t| t.published_at.is_some())
        .ok_or(AppError::NotFound)?
        .for_public();
    let year = status_year(&tree, query.annee);
    let overrides = values::overrides(&mut conn, tree.id, year).await?;
    let statuses = values::statuses(&tree, year, &overrides);
    let sharing = super::view::Sharing::new(
        &crate::plans::shared::circle(&mut conn, tree.id).await?,
        tree.id,
        &format!("/public/{organisation}/{plan}"),
        year,
        None,
    );
    let mut page = PlanPage::new(
        tree,
        Layout::new(&session),
        Vec::new(),
        year,
        statuses,
        None,
    );
    page.sharing = sharing;
    Ok(page)
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::get_route;
    vec![
        get_route("/organisations/{organisation}/plans/{plan}", plan),
        get_route("/public/{organisation}/{plan}", public_plan),
    ]
}
