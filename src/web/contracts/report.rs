//! The legal report page (L2111-3), its exports, and the SPASER's target per category.

use super::*;
use crate::contracts::compliance::{self, Compliance};
use crate::contracts::law::EuThresholds;
use crate::contracts::report::{self, Basis, LegalReport};
use crate::decp::Measure;
use crate::domain::format::{number_fr, quantity_fr};
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
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

pub struct ReportCell {
    pub count: String,
    pub count_percent: String,
    pub amount: String,
    pub amount_percent: String,
}

pub struct ReportLine {
    pub measure: &'static str,
    pub label: &'static str,
    pub target: String,
    pub pnad: String,
    pub cell: ReportCell,
}

pub struct BasisTable {
    pub key: &'static str,
    pub label: &'static str,
    pub total: String,
    pub lines: Vec<ReportLine>,
}

pub struct ShortLine {
    pub id: String,
    pub object: String,
    pub amount: String,
    pub date: String,
    pub missing: String,
}

pub struct TargetField {
    pub name: String,
    pub label: &'static str,
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contracts/report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub year: i32,
    pub years: Vec<i32>,
    pub eu: String,
    pub bases: Vec<BasisTable>,
    pub floor_applies: bool,
    pub short: Vec<ShortLine>,
    pub short_count: i64,
    pub can_manage: bool,
    pub targets: Vec<TargetField>,
    /// The registry's data, as typed.
    pub purchases: String,
    pub spaser_url: String,
    pub shared: bool,
    pub problem: Option<String>,
}

fn pct(p: Option<rust_decimal::Decimal>) -> String {
    p.map_or("—".to_string(), |p| quantity_fr(p, Some("%")))
}

fn page_of(
    session: &Session,
    access: &OrgAccess,
    years: Vec<i32>,
    r: &LegalReport,
    c: &Compliance,
) -> ReportPage {
    let eu = EuThresholds::of(r.year);
    ReportPage {
        layout: Layout::of(session, &access.organisation),
        organisation: access.organisation.short_name.clone(),
        organisation_href: format!("/organisations/{}", access.organisation.slug),
        year: r.year,
        years,
        eu: format!(
            "seuils européens {}{} : {} HT en fournitures et services, {} HT en travaux (code CPV 45…) et concessions",
            eu.label(),
            if EuThresholds::known_for(r.year) {
                ""
            } else {
                " (les derniers publiés)"
            },
            quantity_fr(eu.supplies, Some("€")),
            quantity_fr(eu.works, Some("€"))
        ),
        bases: Basis::ALL
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let c = r.lines.first().map(|l| l.cells[i]).unwrap_or_default();
                BasisTable {
                    key: b.key(),
                    label: b.label(),
                    total: format!(
                        "{} contrat(s), {} HT",
                        number_fr(c.total_count.into()),
                        quantity_fr(c.total_amount, Some("€"))
                    ),
                    lines: r
                        .lines
                        .iter()
                        .map(|l| {
                            let c = l.cells[i];
                            ReportLine {
                                measure: l.measure.as_db(),
                                label: l.measure.label(),
                                target: pct(l.target),
                                pnad: pct(l.pnad),
                                cell: ReportCell {
                                    count: format!(
                                        "{} sur {}",
                                        number_fr(c.count.into()),
                                        number_fr(c.total_count.into())
                                    ),
                                    count_percent: pct(c.count_percent()),
                                    amount: format!(
                                        "{} sur {}",
                                        quantity_fr(c.amount, Some("€")),
                                        quantity_fr(c.total_amount, Some("€"))
                                    ),
                                    amount_percent: pct(c.amount_percent()),
                                },
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        floor_applies: r.year >= 2026,
        short: r
            .short
            .iter()
            .map(|s| ShortLine {
                id: s.decp_id.clone(),
                object: s.object.clone(),
                amount: quantity_fr(s.amount, Some("€")),
                date: s.notified_on.format("%d/%m/%Y").to_string(),
                missing: match (s.without_environmental, s.without_social) {
                    (true, true) => "Ni considération environnementale, ni sociale (au-dessus des seuils européens)",
                    (true, false) => "Aucune considération environnementale",
                    _ => "Aucune considération sociale (au-dessus des seuils européens)",
                }
                .to_string(),
            })
            .collect(),
        short_count: r.short_count,
        can_manage: can_manage(access),
        targets: r
            .lines
            .iter()
            .map(|l| TargetField {
                name: format!("cible_{}", l.measure.as_db()),
                label: l.measure.label(),
                value: l
                    .target
                    .map(|t| number_fr(t).replace('\u{202F}', " "))
                    .unwrap_or_default(),
            })
            .collect(),
        purchases: c
            .yearly_purchases
            .map(|p| number_fr(p).replace('\u{202F}', " "))
            .unwrap_or_default(),
        spaser_url: c.spaser_url.clone().unwrap_or_default(),
        shared: c.shared,
        problem: None,
    }
}

async fn load(
    conn: &mut sqlx::PgConnection,
    access: &OrgAccess,
    filters: &Filters,
) -> Result<(Vec<i32>, LegalReport, Compliance), AppError> {
    let (year, years) = shown_year(conn, access, filters).await?;
    let r = report::legal_report(conn, access.organisation.id, year).await?;
    let this_year = chrono::Datelike::year(&chrono::Utc::now());
    let c = compliance::compliance(conn, access.organisation.id, this_year).await?;
    Ok((years, r, c))
}

pub async fn legal_report(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let (filters, problem) = checked_year(filters);
    let (years, r, c) = load(&mut conn, &access, &filters).await?;
    Ok(answer(
        page_of(&session, &access, years, &r, &c),
        problem,
        |p, m| p.problem = Some(m),
    ))
}

pub async fn legal_report_export(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, file)): Path<(String, String)>,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let Ok(_) = asked_year(&filters) else {
        return Err(AppError::NotFound);
    };
    let (_, r, c) = load(&mut conn, &access, &filters).await?;
    let internal = |e: Box<dyn std::error::Error + Send + Sync>| AppError::Internal(e);
    let (content_type, body) = match file.as_str() {
        "rapport-legal.csv" => ("text/csv; charset=utf-8", report::to_csv(&r)),
        "rapport-legal.xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            report::to_xlsx(&r).map_err(|e| internal(Box::new(e)))?,
        ),
        "rapport-legal.json" => (
            "application/json; charset=utf-8",
            serde_json::to_vec_pretty(&report::to_json(&r)).map_err(|e| internal(Box::new(e)))?,
        ),
        "registre-national.csv" => (
            "text/csv; charset=utf-8",
            registry_csv(&access, &c, &state.public_url),
        ),
        _ => return Err(AppError::NotFound),
    };
    let (stem, extension) = file.split_once('.').unwrap_or((&file, ""));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{stem}-{}-{}.{extension}\"",
                    access.organisation.slug, r.year
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// The SPASER's target per category, in % (empty: no target).
pub async fn legal_targets(
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
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    for m in Measure::ALL {
        let typed = fields
            .get(&format!("cible_{}", m.as_db()))
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        match crate::domain::entry::parse_number(&typed) {
            Ok(None) => targets.push((m, None)),
            Ok(Some((v, unit)))
                if unit.as_deref().is_none_or(|u| u == "%")
                    && !v.is_sign_negative()
                    && v <= rust_decimal::Decimal::ONE_HUNDRED =>
            {
                targets.push((m, Some(v)))
            }
            _ => problems.push(format!(
                "{} : « {typed} » n'est pas une part entre 0 et 100 %.",
                m.label()
            )),
        }
    }
    if !problems.is_empty() {
        let (years, r, c) = load(&mut conn, &access, &Filters::default()).await?;
        let mut page = page_of(&session, &access, years, &r, &c);
        for t in &mut page.targets {
            t.value = fields.get(&t.name).cloned().unwrap_or_default();
        }
        page.problem = Some(format!("{} Rien n'a été enregistré.", problems.join(" ")));
        return Err(AppError::invalid(page));
    }
    report::set_targets(&mut conn, access.organisation.id, &targets).await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/rapport-legal",
        access.organisation.slug
    ))
    .into_response())
}

/// The buyer's line in the shape of the national SPASER registry (achats-durables.gouv.fr): one
/// line per SIREN of the organisation.
fn registry_csv(access: &OrgAccess, c: &Compliance, public_url: &str) -> Vec<u8> {
    use crate::domain::csv_file::{self, Cell as C};
    let header = [
        "SIREN",
        "Acheteur",
        "Type d'acheteur",
        "Montant annuel estimé des achats (€ HT)",
        "Période du SPASER",
        "SPASER mutualisé",
        "Lien vers le SPASER publié",
    ]
    .into_iter()
    .map(|h| C::Text(h.to_string()))
    .collect();
    let o = &access.organisation;
    let link = c.spaser_url.clone().or_else(|| {
        c.in_force.as_ref().filter(|p| p.published).map(|p| {
            format!(
                "{}/public/{}/{}",
                public_url.trim_end_matches('/'),
                o.slug,
                p.slug
            )
        })
    });
    let sirens = if c.sirens.is_empty() {
        vec![String::new()]
    } else {
        c.sirens.clone()
    };
    let rows = sirens.into_iter().map(|siren| {
        vec![
            C::Text(siren),
            C::Text(o.name.clone()),
            C::Text(o.kind.clone().unwrap_or_default()),
            C::Number(
                c.yearly_purchases
                    .map(|p| p.normalize().to_string().replace('.', ","))
                    .unwrap_or_default(),
            ),
            C::Text(
                c.in_force
                    .as_ref()
                    .map(|p| format!("{}-{}", p.first_year, p.last_year))
                    .unwrap_or_default(),
            ),
            C::Text(if c.shared { "Oui" } else { "Non" }.into()),
            C::Text(link.clone().unwrap_or_default()),
        ]
    });
    csv_file::write(std::iter::once(header).chain(rows))
}

/// What the registry and the obligation need: yearly purchases, where the SPASER is published,
/// whether it is shared (administrators and procurement staff).
pub async fn legal_profile(
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
    let typed = |k: &str| {
        fields
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (purchases, url) = (typed("achats"), typed("adresse"));
    let mut problems = Vec::new();
    let amount = match crate::domain::entry::parse_number(&purchases) {
        Ok(None) => None,
        Ok(Some((v, unit)))
            if unit.as_deref().is_none_or(|u| u == "€") && !v.is_sign_negative() =>
        {
            Some(v)
        }
        _ => {
            problems.push(format!(
                "« {purchases} » n'est pas un montant en € HT (par exemple 62 000 000)."
            ));
            None
        }
    };
    let url = (!url.is_empty()).then_some(url);
    if url.as_deref().is_some_and(|u| {
        !(u.starts_with("https://") || u.starts_with("http://"))
            || u.len() > 500
            || u.contains(char::is_whitespace)
    }) {
        problems.push("L'adresse du SPASER publié commence par https:// (ou http://).".into());
    }
    if !problems.is_empty() {
        let (years, r, c) = load(&mut conn, &access, &Filters::default()).await?;
        let mut page = page_of(&session, &access, years, &r, &c);
        page.purchases = purchases;
        page.spaser_url = url.unwrap_or_default();
        page.shared = fields.contains_key("mutualise");
        page.problem = Some(format!("{} Rien n'a été enregistré.", problems.join(" ")));
        return Err(AppError::invalid(page));
    }
    compliance::set_profile(
        &mut conn,
        access.organisation.id,
        amount,
        url.as_deref(),
        fields.contains_key("mutualise"),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/rapport-legal",
        access.organisation.slug
    ))
    .into_response())
}
