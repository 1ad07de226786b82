//! The home page and an organisation's page: the plans a person may read.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::AppState;
use super::access::member_of;
use super::error::AppError;
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::view::period;
use crate::domain::account::Role;
use crate::domain::format::date_fr;
use crate::plans::read::{self, OrganisationRow, PlanSummary};

/// A plan in a list.
pub struct PlanCard {
    pub href: String,
    pub title: String,
    pub period: String,
    pub adopted: Option<String>,
    pub sizes: String,
}

impl PlanCard {
    fn new(plan: &PlanSummary, organisation: &OrganisationRow, public: bool) -> Self {
        let term = plan.objective_term;
        let objectives = if plan.objectives > 1 {
            term.label_plural()
        } else {
            term.label()
        };
        Self {
            href: if public {
                format!("/public/{}/{}", organisation.slug, plan.slug)
            } else {
                format!("/organisations/{}/plans/{}", organisation.slug, plan.slug)
            },
            title: plan.title.clone(),
            period: period(plan.first_year, plan.last_year),
            adopted: plan.adopted_on.map(date_fr),
            sizes: format!(
                "{} {} · {} {} · {} {}",
                plan.objectives,
                objectives.to_lowercase(),
                plan.actions,
                plural(plan.actions, "action", "actions"),
                plan.indicators,
                plural(plan.indicators, "indicateur", "indicateurs"),
            ),
        }
    }
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n > 1 { many } else { one }
}

pub struct OrganisationCard {
    pub href: String,
    pub name: String,
    pub kind: Option<String>,
    pub plans: Vec<PlanCard>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub signed_in: bool,
    pub organisations: Vec<OrganisationCard>,
}

/// Visitors are invited to sign in and see the published plans; members see their
/// organisations' plans.
pub async fn home(State(state): State<AppState>, session: Session) -> Result<HomePage, AppError> {
    let layout = Layout::new(&session);
    let user = session.user();
    let mut conn = state.pool.acquire().await?;
    let organisations = read::organisations(&mut conn).await?;
    let plans = read::plan_summaries(&mut conn, None).await?;
    let mut cards = Vec::new();
    for o in &organisations {
        let member = user.as_ref().is_some_and(|u| u.membership(o.id).is_some());
        let own: Vec<PlanCard> = plans
            .iter()
            .filter(|p| p.organisation_id == o.id && (member || (user.is_none() && p.published)))
            .map(|p| PlanCard::new(p, o, !member))
            .collect();
        if member || !own.is_empty() {
            cards.push(OrganisationCard {
                href: if member {
                    format!("/organisations/{}", o.slug)
                } else {
                    own[0].href.clone()
                },
                name: o.name.clone(),
                kind: o.kind.clone(),
                plans: own,
            });
        }
    }
    Ok(HomePage {
        layout,
        signed_in: user.is_some(),
        organisations: cards,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "home/organisation.html")]
pub struct OrganisationPage {
    pub layout: Layout,
    pub role: Role,
    pub users_href: String,
    pub profile_href: String,
    pub import_href: String,
    pub contracts_href: String,
    pub legal_href: String,
    pub name: String,
    pub short_name: String,
    pub kind: Option<String>,
    pub plans: Vec<PlanCard>,
}

pub async fn organisation(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
) -> Result<OrganisationPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &slug).await?;
    let organisation = access.organisation;
    let plans = read::plan_summaries(&mut conn, Some(organisation.id)).await?;
    Ok(OrganisationPage {
        layout: Layout::of(&session, &organisation),
        role: access.membership.role,
        users_href: format!("/organisations/{}/utilisateurs", organisation.slug),
        profile_href: format!("/organisations/{}/profil", organisation.slug),
        import_href: format!("/organisations/{}/import", organisation.slug),
        contracts_href: format!("/organisations/{}/contrats", organisation.slug),
        legal_href: format!("/organisations/{}/indicateurs-legaux", organisation.slug),
        plans: plans
            .iter()
            .map(|p| PlanCard::new(p, &organisation, false))
            .collect(),
        name: organisation.name,
        short_name: organisation.short_name,
        kind: organisation.kind,
    })
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::get_route;
    vec![
        get_route("/", home),
        get_route("/organisations/{organisation}", organisation),
    ]
}
