//! The buyer's contracts (DECP): the register, the upload, the SIRETs, the legal indicators and
//! the plan indicators computed from them.

mod legal;
mod list;
mod report;
use legal::*;
use list::*;
use report::*;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::access::OrgAccess;
use crate::contracts::{self};
use crate::domain::account::Role;

#[derive(Deserialize, Default)]
pub struct Filters {
    /// As typed in the filter form: read by [`asked_year`].
    annee: Option<String>,
    mesure: Option<String>,
    seuil: Option<String>,
    procedure: Option<String>,
}

/// The year the filters ask for (`None` when none), or why it cannot be read.
pub(super) fn asked_year(filters: &Filters) -> Result<Option<i32>, String> {
    let Some(text) = filters
        .annee
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    text.parse::<i32>()
        .ok()
        .filter(|y| contracts::YEARS.contains(y))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "Année « {text} » invalide : indiquez une année entre {} et {}.",
                contracts::YEARS.start(),
                contracts::YEARS.end()
            )
        })
}

/// The year a page shows: the one asked for, else the latest that has contracts (a register
/// of 2022 contracts opens on 2022), else the current one; and the years that have contracts,
/// for the year links.
pub(super) async fn shown_year(
    conn: &mut sqlx::PgConnection,
    access: &OrgAccess,
    filters: &Filters,
) -> Result<(i32, Vec<i32>), sqlx::Error> {
    let years = contracts::years(conn, access.organisation.id).await?;
    let year = match asked_year(filters).ok().flatten() {
        Some(y) => y,
        None => years
            .first()
            .copied()
            .unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now())),
    };
    Ok((year, years))
}

/// The filters with a year that can be shown: an invalid one is replaced by the current year,
/// and the message saying why comes with them.
pub(super) fn checked_year(mut filters: Filters) -> (Filters, Option<String>) {
    match asked_year(&filters) {
        Ok(_) => (filters, None),
        Err(problem) => {
            filters.annee = None;
            (filters, Some(problem))
        }
    }
}

/// A page, or the page in 422 with the problem that replaced what was asked.
pub(super) fn answer<P: IntoResponse>(
    page: P,
    problem: Option<String>,
    set: impl FnOnce(&mut P, String),
) -> Response {
    match problem {
        None => page.into_response(),
        Some(problem) => {
            let mut page = page;
            set(&mut page, problem);
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    }
}

pub(super) fn threshold(text: Option<&str>) -> Decimal {
    text.and_then(|s| crate::domain::entry::parse_number(s).ok().flatten())
        .map(|(v, _)| v)
        .filter(|v| !v.is_sign_negative())
        .unwrap_or_default()
}

pub(super) fn can_manage(access: &OrgAccess) -> bool {
    matches!(access.membership.role, Role::Admin | Role::Procurement)
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::{get_route, post_route};
    vec![
        get_route("/organisations/{organisation}/contrats", register),
        post_route("/organisations/{organisation}/contrats", upload),
        get_route(
            "/organisations/{organisation}/contrats/imports/{import}",
            import_report,
        ),
        post_route("/organisations/{organisation}/sirets", sirets),
        get_route(
            "/organisations/{organisation}/indicateurs-legaux",
            indicators,
        ),
        post_route(
            "/organisations/{organisation}/indicateurs-legaux/liens",
            link,
        ),
        get_route("/organisations/{organisation}/rapport-legal", legal_report),
        get_route(
            "/organisations/{organisation}/rapport-legal/{file}",
            legal_report_export,
        ),
        post_route(
            "/organisations/{organisation}/rapport-legal/cibles",
            legal_targets,
        ),
        post_route(
            "/organisations/{organisation}/rapport-legal/profil",
            legal_profile,
        ),
    ]
}
