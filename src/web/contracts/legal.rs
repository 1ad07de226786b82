//! The legal indicators computed from the contracts, and the plan indicators linked to them.

use super::*;
use crate::contracts::{self, Share};
use crate::decp::Measure;
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::ids::IndicatorId;
use crate::web::AppState;
use crate::web::access::{OrgAccess, member_of};
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::form::{Fields, Form};
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use sqlx::Acquire;

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
    /// The years that have contracts, latest first.
    pub years: Vec<i32>,
    pub threshold: String,
    pub procedure: String,
    pub procedures: Vec<String>,
    pub total_count: i64,
    pub total_amount: String,
    pub shares: Vec<ShareLine>,
    pub can_manage: bool,
    pub candidates: Vec<(IndicatorId, String)>,
    pub measures: Vec<(&'static str, &'static str)>,
    pub links: Vec<LinkLine>,
    pub problem: Option<String>,
}

pub(super) fn share_line(
    s: &Share,
    base: &str,
    year: i32,
    min: Decimal,
    procedure: &str,
) -> ShareLine {
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

pub(super) async fn indicators_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    access: &OrgAccess,
    filters: &Filters,
) -> Result<IndicatorsPage, AppError> {
    let (year, years) = shown_year(conn, access, filters).await?;
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
        r#"SELECT i.id AS "id: IndicatorId", p.title, a.code, i.label FROM indicator i JOIN action a ON a.id = i.action_id
             JOIN plan p ON p.id = i.plan_id WHERE p.organisation_id = $1 AND i.unit = '%'
            ORDER BY p.title, a.position, i.position"#,
        access.organisation.id.get()
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
        access.organisation.id.get()
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
        layout: Layout::of(session, &access.organisation),
        organisation: access.organisation.short_name.clone(),
        organisation_href: base.clone(),
        action: format!("{base}/indicateurs-legaux/liens"),
        year,
        years,
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
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    if !can_manage(&access) {
        return Err(AppError::Forbidden);
    }
    let indicator: IndicatorId = fields
        .get("indicateur")
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::NotFound)?;
    // The indicator must be one of this organisation's, and in % as the form offers.
    let Some(found) = sqlx::query!(
        r#"SELECT i.label, i.unit FROM indicator i JOIN plan p ON p.id = i.plan_id
            WHERE i.id = $1 AND p.organisation_id = $2"#,
        indicator.get(),
        access.organisation.id.get()
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
        return Err(AppError::invalid(page));
    }
    let mut tx = conn.begin().await?;
    match fields.get("mesure").map(String::as_str) {
        Some("") | None => {
            sqlx::query!(
                "DELETE FROM indicator_link WHERE indicator_id = $1",
                indicator.get()
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
                return Err(AppError::invalid(page));
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
                return Err(AppError::invalid(page));
            }
            let (by_amount, min) = (by_amount.unwrap_or_default(), min.unwrap_or_default());
            sqlx::query!(
                r#"INSERT INTO indicator_link (indicator_id, measure, by_amount, min_amount) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (indicator_id) DO UPDATE SET measure = EXCLUDED.measure, by_amount = EXCLUDED.by_amount,
                       min_amount = EXCLUDED.min_amount"#,
                indicator.get(),
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
