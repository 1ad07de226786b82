//! The buyer's contracts (DECP): the register, the upload, the SIRETs, the legal indicators and
//! the plan indicators computed from them.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::Acquire;

use super::AppState;
use super::access::{OrgAccess, member_of};
use super::error::AppError;
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::uploads::{self, Busy};
use crate::contracts::{self, RegisterRow, Share};
use crate::decp::{self, Measure};
use crate::domain::account::Role;
use crate::domain::format::{number_fr, quantity_fr};

#[derive(Deserialize, Default)]
pub struct Filters {
    /// As typed in the filter form: read by [`asked_year`].
    annee: Option<String>,
    mesure: Option<String>,
    seuil: Option<String>,
    procedure: Option<String>,
}

/// The year the filters ask for (the current one when none), or why it cannot be read.
fn asked_year(filters: &Filters) -> Result<i32, String> {
    let Some(text) = filters
        .annee
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(chrono::Datelike::year(&chrono::Utc::now()));
    };
    text.parse::<i32>()
        .ok()
        .filter(|y| contracts::YEARS.contains(y))
        .ok_or_else(|| {
            format!(
                "Année « {text} » invalide : indiquez une année entre {} et {}.",
                contracts::YEARS.start(),
                contracts::YEARS.end()
            )
        })
}

/// The filters with a year that can be shown: an invalid one is replaced by the current year,
/// and the message saying why comes with them.
fn checked_year(mut filters: Filters) -> (Filters, Option<String>) {
    match asked_year(&filters) {
        Ok(_) => (filters, None),
        Err(problem) => {
            filters.annee = None;
            (filters, Some(problem))
        }
    }
}

/// A page, or the page in 422 with the problem that replaced what was asked.
fn answer<P: IntoResponse>(
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

fn threshold(text: Option<&str>) -> Decimal {
    text.and_then(|s| crate::domain::entry::parse_number(s).ok().flatten())
        .map(|(v, _)| v)
        .filter(|v| !v.is_sign_negative())
        .unwrap_or_default()
}

fn can_manage(access: &OrgAccess) -> bool {
    matches!(access.membership.role, Role::Admin | Role::Procurement)
}

pub struct ContractLine {
    pub id: String,
    pub object: String,
    pub amount: String,
    pub date: String,
    pub procedure: String,
    pub holders: String,
    pub social: Vec<&'static str>,
    pub environmental: Vec<&'static str>,
}

impl From<RegisterRow> for ContractLine {
    fn from(r: RegisterRow) -> Self {
        let mut social = Vec::new();
        if r.social_clause {
            social.push("Clause sociale");
        }
        if r.social_criterion {
            social.push("Critère social");
        }
        if r.reserved {
            social.push("Marché réservé");
        }
        let mut environmental = Vec::new();
        if r.env_clause {
            environmental.push("Clause environnementale");
        }
        if r.env_criterion {
            environmental.push("Critère environnemental");
        }
        Self {
            id: r.decp_id,
            object: if r.concession {
                format!("{} (concession)", r.object)
            } else {
                r.object
            },
            amount: quantity_fr(r.amount, Some("€")),
            date: r.notified_on.format("%d/%m/%Y").to_string(),
            procedure: r.procedure,
            holders: r.holders,
            social,
            environmental,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "contracts/register.html")]
pub struct RegisterPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub base: String,
    pub upload_action: String,
    pub year: i32,
    pub measure: String,
    pub measures: Vec<(&'static str, &'static str)>,
    pub threshold: String,
    pub procedure: String,
    pub procedures: Vec<String>,
    pub lines: Vec<ContractLine>,
    pub count: i64,
    pub total: String,
    pub shown: usize,
    pub sirets: Vec<String>,
    pub can_manage: bool,
    pub is_admin: bool,
    pub report: Option<String>,
    /// The first bad records of an import, how many there were in all, and how many are not
    /// listed.
    pub errors: Vec<String>,
    pub error_count: String,
    pub errors_more: Option<String>,
    pub problem: Option<String>,
}

impl RegisterPage {
    /// Lists the first bad records of an import (as many as the reader kept) and counts all.
    fn bad_records(&mut self, kept: Vec<String>, count: usize) {
        let count_fr = |n: usize| number_fr(Decimal::from(n));
        self.errors_more = (count > kept.len()).then(|| {
            format!(
                "Seuls les {} premiers sont listés : {} autre(s) enregistrement(s) illisible(s).",
                count_fr(kept.len()),
                count_fr(count - kept.len())
            )
        });
        self.error_count = count_fr(count);
        self.errors = kept;
    }
}

const SHOWN: i64 = 500;

async fn register_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    access: &OrgAccess,
    filters: &Filters,
) -> Result<RegisterPage, AppError> {
    let year = asked_year(filters).unwrap_or_else(|_| chrono::Datelike::year(&chrono::Utc::now()));
    let measure = filters.mesure.as_deref().and_then(Measure::from_db);
    let min = threshold(filters.seuil.as_deref());
    let procedure = filters.procedure.clone().filter(|p| !p.is_empty());
    let (rows, count, total) = contracts::register(
        conn,
        access.organisation.id,
        year,
        measure,
        min,
        procedure.as_deref(),
        SHOWN,
    )
    .await?;
    let base = format!("/organisations/{}", access.organisation.slug);
    Ok(RegisterPage {
        layout: Layout::new(session),
        organisation: access.organisation.short_name.clone(),
        organisation_href: base.clone(),
        upload_action: format!("{base}/contrats"),
        base,
        year,
        measure: measure.map_or("", Measure::as_db).to_string(),
        measures: Measure::ALL
            .iter()
            .map(|m| (m.as_db(), m.label()))
            .collect(),
        threshold: if min.is_zero() {
            String::new()
        } else {
            number_fr(min).replace('\u{202F}', " ")
        },
        procedure: procedure.clone().unwrap_or_default(),
        procedures: contracts::procedures(conn, access.organisation.id).await?,
        shown: rows.len(),
        lines: rows.into_iter().map(ContractLine::from).collect(),
        count,
        total: quantity_fr(total, Some("€")),
        sirets: contracts::sirets(conn, access.organisation.id).await?,
        can_manage: can_manage(access),
        is_admin: access.membership.role.administers(),
        report: None,
        errors: Vec::new(),
        error_count: String::new(),
        errors_more: None,
        problem: None,
    })
}

pub async fn register(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let (filters, problem) = checked_year(filters);
    let page = register_page(&mut conn, &session, &access, &filters).await?;
    Ok(answer(page, problem, |p, m| p.problem = Some(m)))
}

/// Upload a DECP file (JSON or CSV). Strict by default: one bad record and nothing is saved.
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    if !can_manage(&access) {
        return Err(AppError::Forbidden);
    }
    let mut page = register_page(&mut conn, &session, &access, &Filters::default()).await?;
    let Ok(mut multipart) = Multipart::from_request(request, &state).await else {
        page.problem = Some(
            "Le formulaire envoyé est illisible : choisissez le fichier et recommencez.".into(),
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let (mut file, mut partial) = (None, false);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or_default() {
            "fichier" => {
                let name = field.file_name().unwrap_or("fichier").to_lowercase();
                file = field.bytes().await.ok().map(|b| (name, b));
            }
            "mode" => partial = field.text().await.unwrap_or_default() == "partiel",
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        page.problem =
            Some("Choisissez un fichier DECP (JSON ou CSV) : le fichier envoyé est vide.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    if bytes.len() > decp::MAX_BYTES {
        page.problem = Some(format!(
            "Le fichier fait {} Mo : la limite d'un import DECP est de {} Mo. Découpez-le (par exemple par année) et importez chaque partie.",
            bytes.len().div_ceil(1024 * 1024),
            decp::MAX_BYTES / (1024 * 1024)
        ));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    // Read off the runtime, within the reader's limits.
    let reading = uploads::parse(&state, move || {
        if name.ends_with(".csv") {
            decp::read_csv(&bytes)
        } else {
            decp::read_json(&bytes)
        }
    })
    .await?;
    let reading = match reading {
        Ok(Ok(r)) => r,
        Ok(Err(message)) => {
            page.problem = Some(message);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(Busy) => {
            page.problem = Some(Busy::MESSAGE.into());
            return Ok(Busy::response(page));
        }
    };
    let errors: Vec<String> = reading.errors.iter().map(ToString::to_string).collect();
    if reading.error_count > 0 && !partial {
        page.bad_records(errors, reading.error_count);
        page.problem = Some(format!(
            "{} enregistrement(s) illisible(s) : rien n'a été importé. Corrigez le fichier, ou importez les {} enregistrements lisibles en choisissant « import partiel ».",
            number_fr(Decimal::from(reading.error_count)),
            number_fr(Decimal::from(reading.contracts.len()))
        ));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let mut tx = conn.begin().await?;
    let saved = contracts::save(&mut tx, access.organisation.id, &reading.contracts).await?;
    let computed = contracts::refresh_linked(&mut tx, access.organisation.id, user.id).await?;
    // The report, for the page the browser is sent to: a reload reads it, never imports again.
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let report = sqlx::query_scalar!(
        r#"INSERT INTO decp_import (organisation_id, created_by, saved, other_buyer, recomputed, unreadable, errors)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"#,
        access.organisation.id,
        user.id,
        count(saved.saved),
        count(saved.other_buyer),
        count(computed),
        count(reading.error_count),
        &errors
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM decp_import WHERE organisation_id = $1 AND created_at < now() - interval '7 days'",
        access.organisation.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if saved.saved > 1_000 {
        let _ = contracts::tidy(&mut conn).await;
    }
    Ok(Redirect::to(&format!(
        "/organisations/{}/contrats/imports/{report}",
        access.organisation.slug
    ))
    .into_response())
}

/// The report of a DECP import, where its upload leads: for its author only.
pub async fn import_report(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, id)): Path<(String, i64)>,
) -> Result<RegisterPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let report = sqlx::query!(
        "SELECT saved, other_buyer, recomputed, unreadable, errors FROM decp_import
          WHERE id = $1 AND organisation_id = $2 AND created_by = $3",
        id,
        access.organisation.id,
        user.id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut page = register_page(&mut conn, &session, &access, &Filters::default()).await?;
    let unreadable = usize::try_from(report.unreadable).unwrap_or_default();
    page.bad_records(report.errors, unreadable);
    page.report = Some(format!(
        "{} contrat(s) importé(s) ou mis à jour ; {} écarté(s) car d'un autre acheteur (SIRET non déclaré pour l'organisation) ; {} illisible(s) ; {} valeur(s) d'indicateurs recalculée(s).",
        report.saved,
        report.other_buyer,
        number_fr(Decimal::from(unreadable)),
        report.recomputed
    ));
    Ok(page)
}

/// Add or remove one of the organisation's SIRETs (administrators).
pub async fn sirets(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    if !access.membership.role.administers() {
        return Err(AppError::Forbidden);
    }
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let siret: String = fields
        .get("siret")
        .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect())
        .unwrap_or_default();
    if siret.len() != 14 || !siret.chars().all(|c| c.is_ascii_digit()) {
        let mut page = register_page(&mut conn, &session, &access, &Filters::default()).await?;
        page.problem = Some("Un SIRET compte 14 chiffres.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    if fields.contains_key("retirer") {
        sqlx::query!(
            "DELETE FROM organisation_siret WHERE organisation_id = $1 AND siret = $2",
            access.organisation.id,
            siret
        )
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query!(
            "INSERT INTO organisation_siret (organisation_id, siret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            access.organisation.id,
            siret
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(Redirect::to(&format!(
        "/organisations/{}/contrats",
        access.organisation.slug
    ))
    .into_response())
}

pub struct ShareLine {
    pub measure: &'static str,
    pub label: &'static str,
    pub count: String,
    pub count_percent: String,
    pub amount: String,
    pub amount_percent: String,
    pub href: String,
}

pub struct LinkLine {
    pub indicator: String,
    pub plan: String,
    pub measure: &'static str,
    pub basis: &'static str,
    pub threshold: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contracts/indicators.html")]
pub struct IndicatorsPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub action: String,
    pub year: i32,
    pub threshold: String,
    pub procedure: String,
    pub procedures: Vec<String>,
    pub total_count: i64,
    pub total_amount: String,
    pub shares: Vec<ShareLine>,
    pub can_manage: bool,
    pub candidates: Vec<(i64, String)>,
    pub measures: Vec<(&'static str, &'static str)>,
    pub links: Vec<LinkLine>,
    pub problem: Option<String>,
}

fn share_line(s: &Share, base: &str, year: i32, min: Decimal, procedure: &str) -> ShareLine {
    let pct = |p: Option<Decimal>| p.map_or("—".to_string(), |p| quantity_fr(p, Some("%")));
    ShareLine {
        measure: s.measure.as_db(),
        label: s.measure.label(),
        count: format!(
            "{} sur {}",
            number_fr(Decimal::from(s.count)),
            number_fr(Decimal::from(s.total_count))
        ),
        count_percent: pct(s.count_percent()),
        amount: format!(
            "{} sur {}",
            quantity_fr(s.amount, Some("€")),
            quantity_fr(s.total_amount, Some("€"))
        ),
        amount_percent: pct(s.amount_percent()),
        href: format!(
            "{base}/contrats?annee={year}&mesure={}&seuil={min}&procedure={}",
            s.measure.as_db(),
            form_urlencoded::byte_serialize(procedure.as_bytes()).collect::<String>()
        ),
    }
}

async fn indicators_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    access: &OrgAccess,
    filters: &Filters,
) -> Result<IndicatorsPage, AppError> {
    let year = asked_year(filters).unwrap_or_else(|_| chrono::Datelike::year(&chrono::Utc::now()));
    let min = threshold(filters.seuil.as_deref());
    let procedure = filters.procedure.clone().filter(|p| !p.is_empty());
    let shares = contracts::shares(
        conn,
        access.organisation.id,
        year,
        min,
        procedure.as_deref(),
    )
    .await?;
    let base = format!("/organisations/{}", access.organisation.slug);
    let candidates = sqlx::query!(
        r#"SELECT i.id, p.title, a.code, i.label FROM indicator i JOIN action a ON a.id = i.action_id
             JOIN plan p ON p.id = i.plan_id WHERE p.organisation_id = $1 AND i.unit = '%'
            ORDER BY p.title, a.position, i.position"#,
        access.organisation.id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        let label: String = r.label.chars().take(90).collect();
        (r.id, format!("{} — action {} — {label}", r.title, r.code.unwrap_or_default()))
    })
    .collect();
    let links = sqlx::query!(
        r#"SELECT i.label, p.title, l.measure, l.by_amount, l.min_amount FROM indicator_link l
             JOIN indicator i ON i.id = l.indicator_id JOIN plan p ON p.id = i.plan_id
            WHERE p.organisation_id = $1 ORDER BY p.title, i.label"#,
        access.organisation.id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| LinkLine {
        indicator: r.label,
        plan: r.title,
        measure: Measure::from_db(&r.measure).map_or("", Measure::label),
        basis: if r.by_amount {
            "en valeur"
        } else {
            "en nombre"
        },
        threshold: quantity_fr(r.min_amount, Some("€ HT")),
    })
    .collect();
    let first = shares.first();
    Ok(IndicatorsPage {
        layout: Layout::new(session),
        organisation: access.organisation.short_name.clone(),
        organisation_href: base.clone(),
        action: format!("{base}/indicateurs-legaux/liens"),
        year,
        threshold: if min.is_zero() {
            String::new()
        } else {
            number_fr(min).replace('\u{202F}', " ")
        },
        total_count: first.map_or(0, |s| s.total_count),
        total_amount: quantity_fr(first.map_or(Decimal::ZERO, |s| s.total_amount), Some("€")),
        shares: shares
            .iter()
            .map(|s| {
                share_line(
                    s,
                    &base,
                    year,
                    min,
                    procedure.as_deref().unwrap_or_default(),
                )
            })
            .collect(),
        procedure: procedure.clone().unwrap_or_default(),
        procedures: contracts::procedures(conn, access.organisation.id).await?,
        can_manage: can_manage(access),
        candidates,
        measures: Measure::ALL
            .iter()
            .map(|m| (m.as_db(), m.label()))
            .collect(),
        links,
        problem: None,
    })
}

pub async fn indicators(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let (filters, problem) = checked_year(filters);
    let page = indicators_page(&mut conn, &session, &access, &filters).await?;
    Ok(answer(page, problem, |p, m| p.problem = Some(m)))
}

/// Link a plan indicator to a computed share (or remove the link).
pub async fn link(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    if !can_manage(&access) {
        return Err(AppError::Forbidden);
    }
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let indicator: i64 = fields
        .get("indicateur")
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::NotFound)?;
    // The indicator must be one of this organisation's, and in % as the form offers.
    let Some(found) = sqlx::query!(
        r#"SELECT i.label, i.unit FROM indicator i JOIN plan p ON p.id = i.plan_id
            WHERE i.id = $1 AND p.organisation_id = $2"#,
        indicator,
        access.organisation.id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Err(AppError::NotFound);
    };
    if found.unit.as_deref() != Some("%") {
        let mut page = indicators_page(&mut conn, &session, &access, &Filters::default()).await?;
        page.problem = Some(format!(
            "« {} » n'est pas un indicateur en % : seul un indicateur en % peut être calculé depuis les contrats. Rien n'a été enregistré.",
            found.label
        ));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let mut tx = conn.begin().await?;
    match fields.get("mesure").map(String::as_str) {
        Some("") | None => {
            sqlx::query!(
                "DELETE FROM indicator_link WHERE indicator_id = $1",
                indicator
            )
            .execute(&mut *tx)
            .await?;
        }
        Some(m) => {
            let Some(measure) = Measure::from_db(m) else {
                drop(tx);
                let mut page =
                    indicators_page(&mut conn, &session, &access, &Filters::default()).await?;
                page.problem = Some("Choisissez un indicateur calculé dans la liste.".into());
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            };
            // Only what the form offers: a basis in number or in value, a threshold in euros.
            let by_amount = match fields.get("base").map(String::as_str) {
                None | Some("nombre") => Some(false),
                Some("valeur") => Some(true),
                Some(_) => None,
            };
            let seuil = fields.get("seuil").map(|s| s.trim()).unwrap_or_default();
            let min = match crate::domain::entry::parse_number(seuil) {
                Ok(None) => Ok(Decimal::ZERO),
                Ok(Some((v, unit)))
                    if !v.is_sign_negative() && unit.as_deref().is_none_or(|u| u == "€") =>
                {
                    Ok(v)
                }
                Ok(Some(_)) => Err(format!(
                    "« {seuil} » n'est pas un montant positif en € HT : indiquez par exemple 90 000."
                )),
                Err(e) => Err(e),
            };
            let problem = match (by_amount, &min) {
                (None, _) => Some(
                    "Choisissez une part en nombre de contrats ou en valeur (€ HT).".to_string(),
                ),
                (_, Err(e)) => Some(format!("Seuil des contrats : {e}")),
                _ => None,
            };
            if let Some(problem) = problem {
                drop(tx);
                let mut page =
                    indicators_page(&mut conn, &session, &access, &Filters::default()).await?;
                page.problem = Some(format!("{problem} Rien n'a été enregistré."));
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            let (by_amount, min) = (by_amount.unwrap_or_default(), min.unwrap_or_default());
            sqlx::query!(
                r#"INSERT INTO indicator_link (indicator_id, measure, by_amount, min_amount) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (indicator_id) DO UPDATE SET measure = EXCLUDED.measure, by_amount = EXCLUDED.by_amount,
                       min_amount = EXCLUDED.min_amount"#,
                indicator,
                measure.as_db(),
                by_amount,
                min
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    contracts::refresh_linked(&mut tx, access.organisation.id, user.id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/indicateurs-legaux",
        access.organisation.slug
    ))
    .into_response())
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
    ]
}
