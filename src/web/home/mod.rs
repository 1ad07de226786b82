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

/// One line of the compliance checklist: what the law asks, where the organisation stands, and
/// where to act.
pub struct Check {
    pub label: &'static str,
    /// `ok`, `ko` or `unknown`.
    pub state: &'static str,
    pub detail: String,
    pub href: String,
    pub action: &'static str,
}

fn checklist(c: &crate::contracts::compliance::Compliance, slug: &str, year: i32) -> Vec<Check> {
    use crate::domain::format::quantity_fr;
    let base = format!("/organisations/{slug}");
    let report = format!("{base}/rapport-legal");
    let mut out = vec![match c.compulsory() {
        None => Check {
            label: "SPASER obligatoire ?",
            state: "unknown",
            detail: "Montant annuel des achats à renseigner : le schéma est obligatoire au-delà de 50 M€ HT (D2111-3).".into(),
            href: format!("{report}#profil"),
            action: "Renseigner les achats annuels",
        },
        Some(compulsory) => Check {
            label: "SPASER obligatoire ?",
            state: "ok",
            detail: format!(
                "{} : {} HT d'achats par an, {} 50 M€ HT (D2111-3).",
                if compulsory { "Oui" } else { "Non" },
                quantity_fr(c.yearly_purchases.unwrap_or_default(), Some("€")),
                if compulsory { "au-delà de" } else { "en deçà de" }
            ),
            href: format!("{report}#profil"),
            action: "Modifier",
        },
    }];
    out.push(match &c.in_force {
        Some(p) => Check {
            label: "Plan adopté et en vigueur",
            state: "ok",
            detail: format!(
                "« {} » ({}–{}), adopté le {}.",
                p.title,
                p.first_year,
                p.last_year,
                p.adopted_on.format("%d/%m/%Y")
            ),
            href: format!("{base}/plans/{}", p.slug),
            action: "Voir le plan",
        },
        None => Check {
            label: "Plan adopté et en vigueur",
            state: "ko",
            detail: format!("Aucun plan adopté (date d'adoption renseignée) ne couvre {year}."),
            href: format!("{base}/import"),
            action: "Importer ou compléter un plan",
        },
    });
    let published = c.in_force.as_ref().filter(|p| p.published);
    out.push(Check {
        label: "Publié",
        state: if published.is_some() { "ok" } else { "ko" },
        detail: match (published, &c.spaser_url) {
            (Some(p), Some(url)) => format!("Ici (/public/{slug}/{}) et sur {url}.", p.slug),
            (Some(p), None) => format!("Ici (/public/{slug}/{}).", p.slug),
            (None, Some(url)) => format!("Sur {url} ; pas ici : l'administrateur publie le plan depuis sa page."),
            (None, None) => "Pas encore : le schéma doit être rendu public, notamment sur le site de l'acheteur.".into(),
        },
        href: c
            .in_force
            .as_ref()
            .map_or(base.clone(), |p| format!("{base}/plans/{}", p.slug)),
        action: "Publication",
    });
    out.push(match c.indicators_year {
        Some(y) => Check {
            label: "Indicateurs légaux de moins de deux ans",
            state: "ok",
            detail: format!("Calculés depuis les contrats de {y}."),
            href: format!("{report}?annee={y}"),
            action: "Rapport légal",
        },
        None => Check {
            label: "Indicateurs légaux de moins de deux ans",
            state: "ko",
            detail: format!(
                "Aucun contrat notifié de {} à {year} : importez vos données essentielles (DECP).",
                year - 2
            ),
            href: format!("{base}/contrats"),
            action: "Importer des contrats",
        },
    });
    out.push(Check {
        label: "Une cible par catégorie",
        state: if c.targets >= 7 { "ok" } else { "ko" },
        detail: format!("{} catégorie(s) sur 7 ont une cible du SPASER.", c.targets),
        href: format!("{report}#cibles"),
        action: "Fixer les cibles",
    });
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "home/organisation.html")]
pub struct OrganisationPage {
    pub layout: Layout,
    pub role: Role,
    pub users_href: String,
    pub profile_href: String,
    pub services_href: String,
    pub import_href: String,
    pub new_plan_href: String,
    pub contracts_href: String,
    pub legal_href: String,
    pub name: String,
    pub short_name: String,
    pub kind: Option<String>,
    pub plans: Vec<PlanCard>,
    pub checks: Vec<Check>,
    pub report_href: String,
    pub registry_href: String,
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
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let compliance =
        crate::contracts::compliance::compliance(&mut conn, organisation.id, year).await?;
    Ok(OrganisationPage {
        checks: checklist(&compliance, &organisation.slug, year),
        report_href: format!("/organisations/{}/rapport-legal", organisation.slug),
        registry_href: format!(
            "/organisations/{}/rapport-legal/registre-national.csv",
            organisation.slug
        ),
        layout: Layout::of(&session, &organisation),
        role: access.membership.role,
        users_href: format!("/organisations/{}/utilisateurs", organisation.slug),
        profile_href: format!("/organisations/{}/profil", organisation.slug),
        services_href: format!("/organisations/{}/services", organisation.slug),
        import_href: format!("/organisations/{}/import", organisation.slug),
        new_plan_href: format!("/organisations/{}/nouveau-plan", organisation.slug),
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
