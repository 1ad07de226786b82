//! The review workflow (submit, validate, return) and locks; where an item of the plan is.

use serde::Deserialize;

use crate::web::form::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::Acquire;

use super::page::*;
use super::*;
use crate::auth;
use crate::domain::account::Role;
use crate::domain::ids::{ActionId, IndicatorId, ObjectiveId, PlanId, UserId};
use crate::mail;
use crate::plans::read::PlanTree;
use crate::plans::values::{self, Level, LogLine, ReviewState};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::session::{CurrentUser, Session};

pub(super) fn review_line(
    plan_id: PlanId,
    year: i32,
    action_id: ActionId,
    before: Option<ReviewState>,
    after: ReviewState,
    comment: Option<&str>,
    user_id: UserId,
) -> LogLine<'static> {
    LogLine {
        plan_id,
        year,
        indicator_id: None,
        action_id: Some(action_id),
        objective_id: None,
        field: "Circuit de validation",
        before: before.map(|s| s.label().to_string()),
        after: Some(match comment {
            Some(c) => format!("{} : {c}", after.label()),
            None => after.label().to_string(),
        }),
        user_id,
    }
}

/// A step of the review, as the buttons send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Transition {
    #[serde(rename = "soumettre")]
    Submit,
    #[serde(rename = "valider")]
    Validate,
    #[serde(rename = "renvoyer")]
    Return,
}

#[derive(Deserialize)]
pub struct WorkflowForm {
    transition: Transition,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LockAction {
    #[serde(rename = "verrouiller")]
    Lock,
    #[serde(rename = "deverrouiller")]
    Unlock,
}

#[derive(Deserialize)]
pub struct LockForm {
    verrou: LockAction,
    /// Locking asks first, listing what is still empty or not validated.
    #[serde(default)]
    confirmer: Option<String>,
}

/// Submit, validate or return an action's values.
pub async fn workflow(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year, action_id)): Path<(String, String, i32, ActionId)>,
    Form(form): Form<WorkflowForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    let action = ctx
        .tree
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .flat_map(|o| o.actions.iter())
        .find(|a| a.id == action_id)
        .ok_or(AppError::NotFound)?;
    let transition = form.transition;
    let comment = form
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let rights = Rights {
        role: ctx.access.membership.role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };
    let current = ctx.values.reviews.get(&action_id).map(|r| r.state);
    if let Some(c) = comment
        && c.chars().count() > 2000
    {
        let mut page = stored_page(&ctx, &session);
        page.problem = Some("Le motif du renvoi est trop long (2 000 caractères au plus).".into());
        return Err(AppError::invalid(page));
    }
    // A step the page no longer offers (validated already, returned meanwhile): say so.
    let overtaken = match transition {
        Transition::Validate => current == Some(ReviewState::Validated),
        Transition::Return => current == Some(ReviewState::Returned),
        Transition::Submit => current == Some(ReviewState::Submitted),
    };
    if overtaken
        && (rights.can_review(Some(ReviewState::Entered))
            || (transition == Transition::Submit
                && rights.can_submit(action, Some(ReviewState::Entered))))
    {
        let mut page = stored_page(&ctx, &session);
        page.problem = Some(format!(
            "Cette action est déjà {} : rien n'a changé.",
            match current {
                Some(ReviewState::Validated) => "validée",
                Some(ReviewState::Returned) => "renvoyée au pilote",
                _ => "soumise",
            }
        ));
        return Err(AppError::conflict(page));
    }
    let next = match transition {
        Transition::Submit if rights.can_submit(action, current) => ReviewState::Submitted,
        Transition::Validate if rights.can_review(current) => ReviewState::Validated,
        Transition::Return if rights.can_review(current) => {
            if comment.is_none() {
                let mut page = stored_page(&ctx, &session);
                page.problem = Some(
                    "Pour renvoyer des valeurs, écrivez au pilote ce qu'il faut reprendre.".into(),
                );
                return Err(AppError::invalid(page));
            }
            ReviewState::Returned
        }
        Transition::Submit | Transition::Validate | Transition::Return => {
            return Err(AppError::Forbidden);
        }
    };
    let mut tx = conn.begin().await?;
    values::lock_plan(&mut tx, ctx.tree.id).await?;
    let before = values::review_for_update(&mut tx, action_id, year).await?;
    if before != current {
        tx.rollback().await?;
        let mut page = stored_page(&ctx, &session);
        page.problem = Some(
            "Quelqu'un a changé l'état de cette action entre-temps : vérifiez-le et recommencez."
                .into(),
        );
        return Err(AppError::conflict(page));
    }
    let comment = if next == ReviewState::Returned {
        comment
    } else {
        None
    };
    values::write_review(&mut tx, action_id, year, next, comment, user.id).await?;
    values::log(
        &mut tx,
        &review_line(ctx.tree.id, year, action_id, before, next, comment, user.id),
    )
    .await?;
    tx.commit().await?;
    notify(
        &state,
        &mut conn,
        &ctx,
        action,
        next,
        comment,
        &user.display_name,
    )
    .await?;
    let done = match next {
        ReviewState::Submitted => "soumis",
        ReviewState::Validated => "valide",
        _ => "renvoye",
    };
    // A pilot goes back to « Mes actions », procurement staff to the whole plan.
    let view = if ctx.access.membership.role == Role::Pilot {
        "mes-actions"
    } else {
        "saisie"
    };
    Ok(Redirect::to(&format!(
        "{}/{view}/{year}?fait={done}#action-{action_id}",
        plan_base(&ctx)
    ))
    .into_response())
}

/// Tells the people concerned by e-mail, after the answer: procurement staff of a submission,
/// the action's pilots of a return. Only this organisation's members, about this action.
async fn notify(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    ctx: &Context,
    action: &crate::plans::read::ActionNode,
    next: ReviewState,
    comment: Option<&str>,
    by: &str,
) -> Result<(), AppError> {
    if !state.mailer.is_enabled() || next == ReviewState::Validated {
        return Ok(());
    }
    let heading = match &action.code {
        Some(code) => format!("Action {code} — {}", action.label),
        None => action.label.clone(),
    };
    let view = if next == ReviewState::Submitted {
        "saisie"
    } else {
        "mes-actions"
    };
    let link = format!(
        "{}{}/{view}/{}#action-{}",
        state.public_url,
        plan_base(ctx),
        ctx.year,
        action.id
    );
    let notice = mail::ReviewNotice {
        organisation: &ctx.access.organisation.short_name,
        plan: &ctx.tree.title,
        year: ctx.year,
        action: &heading,
        by,
        link: &link,
    };
    let organisation = ctx.access.organisation.id;
    let mails = if next == ReviewState::Submitted {
        auth::recipients(conn, organisation, &[Role::Procurement])
            .await?
            .iter()
            .map(|r| mail::submitted(&notice, &r.email))
            .collect()
    } else {
        let services: Vec<&String> = action
            .pilots
            .iter()
            .chain(action.indicators.iter().flat_map(|i| i.pilots.iter()))
            .collect();
        auth::recipients(conn, organisation, &[Role::Pilot])
            .await?
            .iter()
            .filter(|r| r.services.iter().any(|s| services.contains(&s)))
            .map(|r| mail::returned(&notice, comment.unwrap_or_default(), &r.email))
            .collect()
    };
    state.mailer.send_in_background(mails);
    Ok(())
}

/// Lock or unlock a year. Locking is confirmed first, on a page listing what is still empty
/// or not validated.
pub async fn lock(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Form(form): Form<LockForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    if ctx.access.membership.role != Role::Procurement {
        return Err(AppError::Forbidden);
    }
    let lock = form.verrou == LockAction::Lock;
    if lock && ctx.values.lock.is_none() && form.confirmer.as_deref() != Some("oui") {
        let mut page = stored_page(&ctx, &session);
        page.lock_check = Some(lock_check(&ctx));
        return Ok(page.into_response());
    }
    let mut tx = conn.begin().await?;
    values::lock_plan(&mut tx, ctx.tree.id).await?;
    let locked = values::is_locked(&mut tx, ctx.tree.id, year).await?;
    if locked != lock {
        if lock {
            sqlx::query!(
                "INSERT INTO plan_year_lock (plan_id, year, locked_by) VALUES ($1, $2, $3)",
                ctx.tree.id.get(),
                year,
                user.id.get()
            )
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query!(
                "DELETE FROM plan_year_lock WHERE plan_id = $1 AND year = $2",
                ctx.tree.id.get(),
                year
            )
            .execute(&mut *tx)
            .await?;
        }
        let (before, after) = if lock {
            ("Ouverte", "Verrouillée")
        } else {
            ("Verrouillée", "Ouverte")
        };
        values::log(
            &mut tx,
            &LogLine {
                plan_id: ctx.tree.id,
                year,
                indicator_id: None,
                action_id: None,
                objective_id: None,
                field: "Verrouillage de l'année",
                before: Some(before.into()),
                after: Some(after.into()),
                user_id: user.id,
            },
        )
        .await?;
    }
    tx.commit().await?;
    let done = if lock { "verrouille" } else { "deverrouille" };
    Ok(Redirect::to(&format!("{}/saisie/{year}?fait={done}", plan_base(&ctx))).into_response())
}

/// What a lock would freeze unfinished: indicators without a value, actions with values not
/// validated.
fn lock_check(ctx: &Context) -> LockCheck {
    let mut check = LockCheck {
        empty: Vec::new(),
        unvalidated: Vec::new(),
    };
    for action in ctx
        .tree
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .flat_map(|o| o.actions.iter())
    {
        let heading = match &action.code {
            Some(code) => format!("Action {code} — {}", action.label),
            None => action.label.clone(),
        };
        let mut any_value = false;
        for indicator in &action.indicators {
            if ctx.values.actuals.contains_key(&indicator.id) {
                any_value = true;
            } else {
                check.empty.push(format!("{} ({heading})", indicator.label));
            }
        }
        let validated = ctx
            .values
            .reviews
            .get(&action.id)
            .is_some_and(|r| r.state == ReviewState::Validated);
        if any_value && !validated {
            check.unvalidated.push(heading);
        }
    }
    check
}

pub(super) type ItemIds = (
    Option<IndicatorId>,
    Option<ActionId>,
    Option<ObjectiveId>,
    String,
);

pub(super) fn find_item(tree: &PlanTree, level: Level, item: i64) -> Option<ItemIds> {
    for objective in tree.groups.iter().flat_map(|g| g.objectives.iter()) {
        if level == Level::Objective && objective.id.get() == item {
            return Some((None, None, Some(objective.id), objective.label.clone()));
        }
        for action in &objective.actions {
            if level == Level::Action && action.id.get() == item {
                return Some((None, Some(action.id), None, action.label.clone()));
            }
            for indicator in &action.indicators {
                if level == Level::Indicator && indicator.id.get() == item {
                    return Some((
                        Some(indicator.id),
                        Some(action.id),
                        None,
                        indicator.label.clone(),
                    ));
                }
            }
        }
    }
    None
}
