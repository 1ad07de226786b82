//! Statuses set by hand: an item's own page (the form, with what the person chose and wrote kept
//! when it is refused) and its save, for procurement staff.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::Acquire;

use super::page::*;
use super::review::find_item;
use super::*;
use crate::domain::account::Role;
use crate::domain::status::Status;
use crate::plans::values::{self, Level, LogLine};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

/// A status set by hand (or removed, with an empty status).
#[derive(Deserialize)]
pub struct OverrideForm {
    level: String,
    item: i64,
    #[serde(default)]
    status: String,
    #[serde(default)]
    justification: String,
}

/// Set or remove a status by hand.
pub async fn override_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Form(form): Form<OverrideForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    if ctx.access.membership.role != Role::Procurement {
        return Err(AppError::Forbidden);
    }
    let level = Level::from_db(&form.level).ok_or(AppError::NotFound)?;
    let item = form.item;
    // The item must be of this plan.
    let (indicator_id, action_id, objective_id, label) =
        find_item(&ctx.tree, level, item).ok_or(AppError::NotFound)?;
    let justification = form.justification.trim().to_string();
    let status = match form.status.as_str() {
        "" => None,
        s => Some(
            Status::from_db(s)
                .filter(|s| s.is_mark())
                .ok_or(AppError::NotFound)?,
        ),
    };
    let problem = match status {
        _ if ctx.values.lock.is_some() => {
            Some("L'année est verrouillée : le statut ne peut pas changer.")
        }
        Some(_) if justification.chars().count() < 5 => {
            Some("Justifiez le statut fixé à la main (5 caractères au moins).")
        }
        Some(_) if justification.chars().count() > 2000 => {
            Some("La justification est trop longue (2 000 caractères au plus).")
        }
        _ => None,
    };
    if let Some(problem) = problem {
        // The status's own page, with what the person chose and wrote.
        let mut page = status_view(&ctx, &session, (level, item, label));
        page.status = form.status.clone();
        page.justification = form.justification.clone();
        page.problem = Some(problem);
        return Err(AppError::invalid(page));
    }
    let before = ctx
        .values
        .overrides
        .get(&(level, item))
        .map(|o| format!("{} (à la main : {})", o.status.label(), o.justification));
    let mut tx = conn.begin().await?;
    let after = match status {
        Some(status) => {
            sqlx::query!(
                r#"INSERT INTO status_override (plan_id, level, item_id, year, status, justification, set_by)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (level, item_id, year) DO UPDATE
                      SET status = EXCLUDED.status, justification = EXCLUDED.justification,
                          set_by = EXCLUDED.set_by, set_at = now()"#,
                ctx.tree.id.get(),
                level.as_db(),
                item,
                year,
                status.as_db(),
                justification,
                user.id.get()
            )
            .execute(&mut *tx)
            .await?;
            Some(format!("{} (à la main : {justification})", status.label()))
        }
        None => {
            sqlx::query!(
                "DELETE FROM status_override WHERE level = $1 AND item_id = $2 AND year = $3",
                level.as_db(),
                item,
                year
            )
            .execute(&mut *tx)
            .await?;
            Some("Statut calculé".to_string())
        }
    };
    values::log(
        &mut tx,
        &LogLine {
            plan_id: ctx.tree.id,
            year,
            indicator_id,
            action_id,
            objective_id,
            field: "Statut",
            before: before.or(Some("Statut calculé".into())),
            after,
            user_id: user.id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "{}/saisie/{year}?fait=statut#{}",
        plan_base(&ctx),
        anchor(level, item)
    ))
    .into_response())
}

/// The page where procurement staff set an indicator's, an action's or an objective's status by
/// hand (or go back to the computed one). The entry page links to it; where the rules cannot judge
/// a value (« à apprécier »), the entry page also carries the same form, open.
#[derive(Template, WebTemplate)]
#[template(path = "entry/status.html")]
pub struct StatusPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub plan_title: String,
    pub plan_href: String,
    pub entry_href: String,
    pub year: i32,
    /// « Indicateur », « Action » or « Objectif ».
    pub what: &'static str,
    pub label: String,
    pub level: &'static str,
    pub item: i64,
    pub badge: crate::web::view::Badge,
    pub action: String,
    /// The options: the computed status (an empty value), then the three marks.
    pub choices: Vec<(&'static str, String)>,
    /// What the person chose and wrote (kept when the form is refused).
    pub status: String,
    pub justification: String,
    pub problem: Option<&'static str>,
}

/// Where an item is on the entry page.
fn anchor(level: Level, item: i64) -> String {
    match level {
        Level::Indicator => format!("indicateur-{item}"),
        Level::Action => format!("action-{item}"),
        Level::Objective => format!("objectif-{item}"),
    }
}

/// The page of one item's status, as it stands.
fn status_view(
    ctx: &Context,
    session: &Session,
    (level, item, label): (Level, i64, String),
) -> StatusPage {
    let entry = stored_page(ctx, session);
    let objectives = entry.groups.into_iter().flat_map(|g| g.objectives);
    let mut badge = None;
    for objective in objectives {
        if level == Level::Objective && objective.id.get() == item {
            badge = Some(objective.badge);
            break;
        }
        for action in objective.actions {
            if level == Level::Action && action.id.get() == item {
                badge = Some(action.badge);
                break;
            }
            if let Some(indicator) = action
                .indicators
                .into_iter()
                .find(|i| level == Level::Indicator && i.id.get() == item)
            {
                badge = Some(indicator.badge);
                break;
            }
        }
        if badge.is_some() {
            break;
        }
    }
    let badge = badge.unwrap_or_else(|| crate::web::view::Badge::new(None));
    let (status, justification) = ctx
        .values
        .overrides
        .get(&(level, item))
        .map(|o| (o.status.as_db().to_string(), o.justification.clone()))
        .unwrap_or_default();
    StatusPage {
        layout: entry.layout,
        organisation: entry.organisation,
        organisation_href: entry.organisation_href,
        plan_title: entry.plan_title,
        plan_href: entry.plan_href,
        entry_href: format!("{}/saisie/{}#{}", entry.base, ctx.year, anchor(level, item)),
        year: ctx.year,
        what: match level {
            Level::Indicator => "Indicateur",
            Level::Action => "Action",
            Level::Objective => "Objectif",
        },
        label,
        level: level.as_db(),
        item,
        action: format!("{}/statuts/{}", entry.base, ctx.year),
        choices: std::iter::once(("", format!("Statut calculé ({})", badge.computed)))
            .chain(
                [Status::Achieved, Status::Partial, Status::NotAchieved]
                    .map(|s| (s.as_db(), s.label().to_string())),
            )
            .collect(),
        badge,
        status,
        justification,
        problem: None,
    }
}

/// The page of one item's status (procurement staff only).
pub async fn status_page(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year, level, item)): Path<(String, String, i32, String, i64)>,
) -> Result<StatusPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    if ctx.access.membership.role != Role::Procurement {
        return Err(AppError::Forbidden);
    }
    let level = Level::from_db(&level).ok_or(AppError::NotFound)?;
    let (_, _, _, label) = find_item(&ctx.tree, level, item).ok_or(AppError::NotFound)?;
    Ok(status_view(&ctx, &session, (level, item, label)))
}
