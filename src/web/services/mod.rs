//! An organisation's services (DSI, DRH, Service Commande Publique…), for its administrators:
//! the list with what each pilots and who is bound to it, add, rename, merge two, remove an
//! unused one, and the recent history of these changes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgConnection;

use super::access::{OrgAccess, admin_of};
use super::error::AppError;
use super::form::{Form, Query};
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::{AppState, RouteDef, get_route, post_route};
use crate::domain::ids::ServiceId;
use crate::domain::service::{MAX_SERVICE_NAME, name_taken, parse_service_name};
use crate::plans::organisation_log;
use crate::plans::services::{self, Refused, ServiceRow};

/// History lines shown on the page.
const HISTORY_LINES: i64 = 20;

pub struct ServiceView {
    pub row: ServiceRow,
    /// The rename field: the name, or what the person typed when it was refused.
    pub rename_value: String,
    pub rename_error: Option<String>,
}

pub struct HistoryView {
    pub at: String,
    pub user: String,
    pub what: String,
    pub before: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/services.html")]
pub struct ServicesPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub users_href: String,
    pub action: String,
    pub max_name: usize,
    pub services: Vec<ServiceView>,
    pub history: Vec<HistoryView>,
    pub new_name: String,
    pub new_error: Option<String>,
    pub notice: Option<&'static str>,
    pub problem: Option<String>,
}

impl ServicesPage {
    fn service_mut(&mut self, id: ServiceId) -> Option<&mut ServiceView> {
        self.services.iter_mut().find(|s| s.row.id == id)
    }
}

/// The page as stored: two queries (services with their counts, history).
async fn page(
    conn: &mut PgConnection,
    session: &Session,
    access: &OrgAccess,
) -> Result<ServicesPage, AppError> {
    let org = &access.organisation;
    let rows = services::list(conn, org.id).await?;
    let history = organisation_log::history(conn, org.id, HISTORY_LINES).await?;
    let organisation_href = format!("/organisations/{}", org.slug);
    Ok(ServicesPage {
        layout: Layout::of(session, org),
        organisation: org.short_name.clone(),
        users_href: format!("{organisation_href}/utilisateurs"),
        action: format!("{organisation_href}/services"),
        organisation_href,
        max_name: MAX_SERVICE_NAME,
        services: rows
            .into_iter()
            .map(|row| ServiceView {
                rename_value: row.name.clone(),
                rename_error: None,
                row,
            })
            .collect(),
        history: history
            .into_iter()
            .map(|l| HistoryView {
                at: l.at.format("%d/%m/%Y à %H:%M UTC").to_string(),
                user: l.user,
                what: l.what,
                before: l.before.unwrap_or_default(),
                after: l.after.unwrap_or_default(),
            })
            .collect(),
        new_name: String::new(),
        new_error: None,
        notice: None,
        problem: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    fait: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<ServicesPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let mut view = page(&mut conn, &session, &access).await?;
    view.notice = match query.fait.as_deref() {
        Some("ajout") => Some("Service ajouté."),
        Some("renommage") => Some("Service renommé."),
        Some("fusion") => Some(
            "Services fusionnés : les actions, indicateurs et personnes du service fusionné sont passés à l'autre.",
        ),
        Some("retrait") => Some("Service retiré."),
        _ => None,
    };
    Ok(view)
}

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
}

fn done(access: &OrgAccess, what: &str) -> Response {
    Redirect::to(&format!(
        "/organisations/{}/services?fait={what}",
        access.organisation.slug
    ))
    .into_response()
}

pub async fn add(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let refuse = async |conn: &mut PgConnection, error: String| {
        let mut view = page(conn, &session, &access).await?;
        view.new_name = form.name.clone();
        view.new_error = Some(error);
        view.problem = Some("Le service n'a pas été ajouté : corrigez son nom.".into());
        Err(AppError::invalid(view))
    };
    let name = match parse_service_name(&form.name) {
        Ok(name) => name,
        Err(e) => return refuse(&mut conn, e).await,
    };
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    match services::add(&mut tx, access.organisation.id, user.id, &name).await {
        Ok(_) => {}
        Err(Refused::NameTaken) => {
            drop(tx);
            return refuse(&mut conn, name_taken(&name)).await;
        }
        Err(e) => return Err(unexpected(e)),
    }
    tx.commit().await?;
    Ok(done(&access, "ajout"))
}

/// A refusal the form cannot lead to: a database error, or a service that is not there.
fn unexpected(refused: Refused) -> AppError {
    match refused {
        Refused::Db(e) => e.into(),
        _ => AppError::NotFound,
    }
}

pub async fn rename(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((slug, id)): Path<(String, ServiceId)>,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let refuse = async |conn: &mut PgConnection, error: String| {
        let mut view = page(conn, &session, &access).await?;
        let Some(service) = view.service_mut(id) else {
            return Err(AppError::NotFound);
        };
        service.rename_value = form.name.clone();
        service.rename_error = Some(error);
        view.problem = Some("Le service n'a pas été renommé : corrigez son nom.".into());
        Err(AppError::invalid(view))
    };
    let name = match parse_service_name(&form.name) {
        Ok(name) => name,
        Err(e) => return refuse(&mut conn, e).await,
    };
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    match services::rename(&mut tx, access.organisation.id, user.id, id, &name).await {
        Ok(_) => {}
        Err(Refused::NameTaken) => {
            drop(tx);
            return refuse(&mut conn, name_taken(&name)).await;
        }
        Err(e) => return Err(unexpected(e)),
    }
    tx.commit().await?;
    Ok(done(&access, "renommage"))
}

pub async fn merge(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((slug, id)): Path<(String, ServiceId)>,
    Form(form): Form<MergeForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let refuse = async |conn: &mut PgConnection, problem: &str| {
        let mut view = page(conn, &session, &access).await?;
        if view.service_mut(id).is_none() {
            return Err(AppError::NotFound);
        }
        view.problem = Some(problem.to_owned());
        Err(AppError::invalid(view))
    };
    let Ok(into) = form.into.trim().parse::<ServiceId>() else {
        return refuse(
            &mut conn,
            "Les services n'ont pas été fusionnés : choisissez le service qui reprend ses actions, indicateurs et personnes.",
        )
        .await;
    };
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    match services::merge(&mut tx, access.organisation.id, user.id, id, into).await {
        Ok(_) => {}
        Err(Refused::Same) => {
            drop(tx);
            return refuse(
                &mut conn,
                "Les services n'ont pas été fusionnés : choisissez un autre service que lui-même.",
            )
            .await;
        }
        Err(e) => return Err(unexpected(e)),
    }
    tx.commit().await?;
    tracing::info!(
        organisation = access.organisation.id.get(),
        "services fusionnés"
    );
    Ok(done(&access, "fusion"))
}

/// « 2 actions, 1 indicateur et 3 personnes »: what still uses a service.
fn uses(row: &ServiceRow) -> String {
    let count = |n: i64, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        count(row.actions, "action qu'il pilote", "actions qu'il pilote"),
        count(
            row.indicators,
            "indicateur qu'il pilote",
            "indicateurs qu'il pilote",
        ),
        count(
            row.people,
            "personne qui lui est rattachée",
            "personnes qui lui sont rattachées",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} et {last}", rest.join(", ")),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((slug, id)): Path<(String, ServiceId)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    match services::remove(&mut tx, access.organisation.id, user.id, id).await {
        Ok(_) => {}
        Err(Refused::Used(row)) => {
            drop(tx);
            let mut view = page(&mut conn, &session, &access).await?;
            view.problem = Some(format!(
                "Le service « {} » n'a pas été retiré : il est encore utilisé ({}). Fusionnez-le dans un autre service, ou retirez-le d'abord des actions, des indicateurs et des personnes.",
                row.name,
                uses(&row)
            ));
            return Err(AppError::invalid(view));
        }
        Err(e) => return Err(unexpected(e)),
    }
    tx.commit().await?;
    Ok(done(&access, "retrait"))
}

/// The routes of this feature.
pub fn routes() -> Vec<RouteDef> {
    vec![
        get_route("/organisations/{organisation}/services", list),
        post_route("/organisations/{organisation}/services", add),
        post_route("/organisations/{organisation}/services/{service}", rename),
        post_route(
            "/organisations/{organisation}/services/{service}/fusion",
            merge,
        ),
        post_route(
            "/organisations/{organisation}/services/{service}/retirer",
            remove,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_said_in_french() {
        let row = |actions, indicators, people| ServiceRow {
            id: ServiceId(1),
            name: "DSI".into(),
            actions,
            indicators,
            people,
        };
        assert_eq!(uses(&row(1, 0, 0)), "1 action qu'il pilote");
        assert_eq!(
            uses(&row(2, 1, 3)),
            "2 actions qu'il pilote, 1 indicateur qu'il pilote et 3 personnes qui lui sont rattachées"
        );
        assert_eq!(
            uses(&row(0, 2, 1)),
            "2 indicateurs qu'il pilote et 1 personne qui lui est rattachée"
        );
    }
}
