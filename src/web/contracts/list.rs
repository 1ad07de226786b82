//! The register of contracts, their import (DECP) and its report, and the organisation's SIRETs.

use super::*;
use crate::contracts::{self, RegisterRow};
use crate::decp::{self, Measure};
use crate::domain::format::{number_fr, quantity_fr};
use crate::web::AppState;
use crate::web::access::{OrgAccess, member_of};
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::form::{Fields, Form};
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};
use crate::web::uploads::{self, Busy};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use sqlx::Acquire;

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
    /// The organisation's slug, for the command line's example.
    pub slug: String,
    pub base: String,
    pub upload_action: String,
    pub year: i32,
    /// The years that have contracts, latest first.
    pub years: Vec<i32>,
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

pub(super) const SHOWN: i64 = 500;

pub(super) async fn register_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    access: &OrgAccess,
    filters: &Filters,
) -> Result<RegisterPage, AppError> {
    let (year, years) = shown_year(conn, access, filters).await?;
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
        layout: Layout::of(session, &access.organisation),
        organisation: access.organisation.short_name.clone(),
        organisation_href: base.clone(),
        slug: access.organisation.slug.clone(),
        upload_action: format!("{base}/contrats"),
        base,
        year,
        years,
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
        return Err(AppError::invalid(page));
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
        return Err(AppError::invalid(page));
    };
    if bytes.len() > decp::MAX_BYTES {
        page.problem = Some(format!(
            "Le fichier fait {} Mo : la limite d'un import DECP est de {} Mo. Découpez-le (par exemple par année) et importez chaque partie.",
            bytes.len().div_ceil(1024 * 1024),
            decp::MAX_BYTES / (1024 * 1024)
        ));
        return Err(AppError::invalid(page));
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
            return Err(AppError::invalid(page));
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
        return Err(AppError::invalid(page));
    }
    let mut tx = conn.begin().await?;
    let saved = contracts::save(&mut tx, access.organisation.id, &reading.contracts).await?;
    let computed = contracts::refresh_linked(&mut tx, access.organisation.id, user.id).await?;
    // The report, for the page the browser is sent to: a reload reads it, never imports again.
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let report = sqlx::query_scalar!(
        r#"INSERT INTO decp_import (organisation_id, created_by, saved, other_buyer, recomputed, unreadable, errors, merged)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"#,
        access.organisation.id.get(),
        user.id.get(),
        count(saved.saved),
        count(saved.other_buyer),
        count(computed),
        count(reading.error_count),
        &errors,
        count(reading.merged)
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM decp_import WHERE organisation_id = $1 AND created_at < now() - interval '7 days'",
        access.organisation.id.get()
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
        "SELECT saved, other_buyer, recomputed, unreadable, errors, merged FROM decp_import
          WHERE id = $1 AND organisation_id = $2 AND created_by = $3",
        id,
        access.organisation.id.get(),
        user.id.get()
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut page = register_page(&mut conn, &session, &access, &Filters::default()).await?;
    let unreadable = usize::try_from(report.unreadable).unwrap_or_default();
    page.bad_records(report.errors, unreadable);
    page.report = Some(
        format!(
            "{} contrat(s) importé(s) ou mis à jour ; {} écarté(s) car d'un autre acheteur (SIRET non déclaré pour l'organisation) ; {} illisible(s) ; {} valeur(s) d'indicateurs recalculée(s).",
            report.saved,
            report.other_buyer,
            number_fr(Decimal::from(unreadable)),
            report.recomputed
        ) + &if report.merged > 0 {
            format!(
                " {} enregistrement(s) fusionné(s) avec un contrat déjà lu (une ligne par titulaire, ou une autre version : la plus récente l'emporte).",
                report.merged
            )
        } else {
            String::new()
        },
    );
    Ok(page)
}

/// Add or remove one of the organisation's SIRETs (administrators).
pub async fn sirets(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    if !access.membership.role.administers() {
        return Err(AppError::Forbidden);
    }
    let siret: String = fields
        .get("siret")
        .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect())
        .unwrap_or_default();
    if siret.len() != 14 || !siret.chars().all(|c| c.is_ascii_digit()) {
        let mut page = register_page(&mut conn, &session, &access, &Filters::default()).await?;
        page.problem = Some("Un SIRET compte 14 chiffres.".into());
        return Err(AppError::invalid(page));
    }
    if fields.contains_key("retirer") {
        sqlx::query!(
            "DELETE FROM organisation_siret WHERE organisation_id = $1 AND siret = $2",
            access.organisation.id.get(),
            siret
        )
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query!(
            "INSERT INTO organisation_siret (organisation_id, siret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            access.organisation.id.get(),
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
