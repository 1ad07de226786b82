//! A SPASER shared by several buyers: the carrier's page of its members (« Associer une
//! organisation ») and the consolidated bilan, for the carrier's people and, once the shared
//! plan is published, for the public. Each member's own pages (entry, bilan, publication,
//! exports) are those of its member plan, as for a single buyer.

mod consolidated;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::access::admin_of;
use super::error::AppError;
use super::form::{Form, Query};
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::{AppState, RouteDef, get_route, post_route};
use crate::plans::read::{self, PlanHead};
use crate::plans::shared::{self, Member, MemberError};

pub use consolidated::{member_consolidated, member_export, public_consolidated, public_export};

/// A member as the members' page lists it.
pub struct MemberLine {
    pub name: String,
    pub carrier: bool,
    /// The member's published plan, for anyone.
    pub public_href: Option<String>,
}

impl MemberLine {
    fn of(m: &Member) -> Self {
        MemberLine {
            name: m.organisation_name.clone(),
            carrier: m.carrier,
            public_href: m
                .published
                .then(|| format!("/public/{}/{}", m.organisation_slug, m.plan_slug)),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub plan_title: String,
    pub plan_href: String,
    pub action: String,
    /// The plan follows another organisation's shared plan: its name.
    pub follows: Option<String>,
    pub members: Vec<MemberLine>,
    pub consolidated_href: Option<String>,
    /// The organisation's address typed, kept on error.
    pub value: String,
    pub error: Option<String>,
    pub added: bool,
    /// The people of members the consolidated bilan is opened to, with the address that closes
    /// it to each.
    pub readers: Vec<(shared::Reader, String)>,
    pub readers_action: String,
    /// The e-mail typed, kept on error, and the error.
    pub reader_value: String,
    pub reader_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AddedQuery {
    #[serde(default)]
    ajoute: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    organisation: String,
}

/// The plan of the organisation, or « not found ».
async fn plan_of(
    conn: &mut sqlx::PgConnection,
    organisation: &str,
    plan: &str,
) -> Result<PlanHead, AppError> {
    read::plan_head(conn, organisation, plan)
        .await?
        .ok_or(AppError::NotFound)
}

async fn members_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    head: &PlanHead,
    value: String,
    error: Option<String>,
    added: bool,
) -> Result<MembersPage, AppError> {
    let readers = shared::readers(conn, head.id).await?;
    let carrier = shared::carrier_of(conn, head.id).await?;
    let follows = match carrier {
        Some(carrier) => sqlx::query_scalar!(
            "SELECT o.name FROM plan p JOIN organisation o ON o.id = p.organisation_id WHERE p.id = $1",
            carrier.get()
        )
        .fetch_optional(&mut *conn)
        .await?,
        None => None,
    };
    let members = match carrier {
        Some(_) => Vec::new(),
        None => shared::members(conn, head.id).await?,
    };
    let organisation_href = format!("/organisations/{}", head.organisation.slug);
    let plan_href = format!("{organisation_href}/plans/{}", head.slug);
    Ok(MembersPage {
        layout: Layout::of(session, &head.organisation),
        organisation: head.organisation.short_name.clone(),
        organisation_href,
        plan_title: head.title.clone(),
        action: format!("{plan_href}/membres"),
        consolidated_href: (!members.is_empty())
            .then(|| format!("{plan_href}/consolide/{}", head.first_year)),
        plan_href,
        follows,
        members: members.iter().map(MemberLine::of).collect(),
        value,
        error,
        added,
        readers: readers
            .into_iter()
            .map(|r| {
                let revoke = format!(
                    "/organisations/{}/plans/{}/membres/lecteurs/{}/retirer",
                    head.organisation.slug, head.slug, r.user_id
                );
                (r, revoke)
            })
            .collect(),
        readers_action: format!(
            "/organisations/{}/plans/{}/membres/lecteurs",
            head.organisation.slug, head.slug
        ),
        reader_value: String::new(),
        reader_error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ReaderForm {
    #[serde(default)]
    email: String,
}

/// Opens the consolidated bilan to a person of a member organisation, for this plan only.
pub async fn add_reader(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Form(form): Form<ReaderForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    admin_of(&mut conn, &user, &organisation).await?;
    let head = plan_of(&mut conn, &organisation, &plan).await?;
    let email = form.email.trim();
    let granted =
        !email.is_empty() && shared::grant_reader(&mut conn, head.id, email, user.id).await?;
    if !granted {
        let mut page = members_page(&mut conn, &session, &head, String::new(), None, false).await?;
        page.reader_value = form.email.clone();
        page.reader_error = Some(if email.is_empty() {
            "Indiquez l'adresse électronique de la personne.".into()
        } else {
            format!(
                "Aucune personne d'une organisation membre de ce plan partagé n'a l'adresse « {email} »."
            )
        });
        return Err(AppError::invalid(page));
    }
    Ok(Redirect::to(&format!(
        "/organisations/{organisation}/plans/{plan}/membres#lecteurs"
    ))
    .into_response())
}

/// Closes the consolidated bilan to a person it was opened to.
pub async fn remove_reader(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan, reader)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    admin_of(&mut conn, &user, &organisation).await?;
    let head = plan_of(&mut conn, &organisation, &plan).await?;
    shared::revoke_reader(&mut conn, head.id, crate::domain::ids::UserId(reader)).await?;
    Ok(Redirect::to(&format!(
        "/organisations/{organisation}/plans/{plan}/membres#lecteurs"
    ))
    .into_response())
}

/// The members of a shared plan, and the form that adds one (administrators of the carrier).
pub async fn members(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Query(query): Query<AddedQuery>,
) -> Result<MembersPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    admin_of(&mut conn, &user, &organisation).await?;
    let head = plan_of(&mut conn, &organisation, &plan).await?;
    members_page(
        &mut conn,
        &session,
        &head,
        String::new(),
        None,
        query.ajoute.is_some(),
    )
    .await
}

/// « Associer une organisation »: the organisation named by its address gets its linked plan.
pub async fn add_member(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    admin_of(&mut conn, &user, &organisation).await?;
    let head = plan_of(&mut conn, &organisation, &plan).await?;
    let slug = form.organisation.trim().to_lowercase();
    let refused = match read::organisation(&mut conn, &slug).await? {
        _ if slug.is_empty() => Some(
            "Indiquez l'adresse de l'organisation à associer (par exemple ccas-exemple).".into(),
        ),
        None => Some(format!(
            "Aucune organisation n'a l'adresse « {slug} » : demandez-la à l'organisation (elle figure dans l'adresse de ses pages)."
        )),
        Some(member) => {
            let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
            match shared::add_member(&mut tx, head.id, member.id).await {
                Ok(_) => {
                    tx.commit().await?;
                    None
                }
                Err(MemberError::Db(e)) => return Err(e.into()),
                Err(e) => Some(e.to_string()),
            }
        }
    };
    if let Some(message) = refused {
        let page = members_page(
            &mut conn,
            &session,
            &head,
            form.organisation.clone(),
            Some(message),
            false,
        )
        .await?;
        return Err(AppError::invalid(page));
    }
    tracing::info!(user = user.id.get(), plan = %plan, member = %slug, "membre associé au plan partagé");
    Ok(Redirect::to(&format!(
        "/organisations/{organisation}/plans/{plan}/membres?ajoute=1"
    ))
    .into_response())
}

/// The routes of this feature.
pub fn routes() -> Vec<RouteDef> {
    vec![
        get_route(
            "/organisations/{organisation}/plans/{plan}/membres",
            members,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/membres",
            add_member,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/membres/lecteurs",
            add_reader,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/membres/lecteurs/{user}/retirer",
            remove_reader,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/consolide/{year}",
            member_consolidated,
        ),
        get_route(
            "/public/{organisation}/{plan}/consolide/{year}",
            public_consolidated,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/consolide/{year}/{file}",
            member_export,
        ),
        get_route(
            "/public/{organisation}/{plan}/consolide/{year}/{file}",
            public_export,
        ),
    ]
}
