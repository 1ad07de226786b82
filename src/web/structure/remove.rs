//! Moving an item among its siblings, and removing it: the confirmation page names everything
//! that would go with it; an item holding anything of a locked year cannot be removed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Context, author, kind_of};
use crate::domain::structure::ItemKind;
use crate::plans::structure::{EditError, write};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    sens: String,
}

pub async fn move_item(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan, kind, item)): Path<(String, String, String, i64)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let mut tx = state.pool.begin().await?;
    let ctx = Context::load_for_change(&mut tx, &user, &organisation, &plan).await?;
    let up = match form.sens.as_str() {
        "haut" => true,
        "bas" => false,
        _ => return Err(AppError::BadRequest),
    };
    match write::move_item(&mut tx, &ctx.structure, kind, item, up, author(&user)).await {
        Ok(()) => {
            ctx.commit(tx).await?;
            Ok(ctx.done("deplace", Some((kind, item))).into_response())
        }
        Err(EditError::NotFound) => Err(AppError::NotFound),
        Err(EditError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(Box::new(e))),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/remove.html")]
pub struct RemovePage {
    pub layout: Layout,
    pub organisation_href: String,
    pub organisation: String,
    pub plan_href: String,
    pub plan_title: String,
    pub structure_href: String,
    pub action: String,
    pub item_href: String,
    pub heading: String,
    pub item: String,
    /// What would go with it, one line each.
    pub goes: Vec<String>,
    /// Why it cannot go, when it cannot.
    pub refused: Option<String>,
}

fn page(
    ctx: &Context,
    session: &Session,
    kind: ItemKind,
    item: i64,
) -> Result<RemovePage, AppError> {
    let s = &ctx.structure;
    let term = s.plan.objective_term;
    let label = s.item_label(kind, item).ok_or(AppError::NotFound)?;
    let weight = s.weight(kind, item);
    let (objectives, actions, indicators) = s.descendants(kind, item);
    let mut goes = Vec::new();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if objectives > 0 {
        goes.push(plural(
            objectives,
            &term.label().to_lowercase(),
            &term.label_plural().to_lowercase(),
        ));
    }
    if actions > 0 {
        goes.push(plural(actions, "action", "actions"));
    }
    if indicators > 0 {
        goes.push(plural(indicators, "indicateur", "indicateurs"));
    }
    if weight.values > 0 {
        goes.push(format!(
            "{} (valeurs réalisées et « mis en œuvre » de toutes les années, leurs cibles et leur circuit de validation)",
            plural(weight.values as usize, "valeur saisie", "valeurs saisies")
        ));
    }
    if weight.members > 0 {
        goes.push(format!(
            "{} par les membres du plan partagé sur leur copie (celles de leurs années verrouillées restent)",
            plural(weight.members as usize, "valeur saisie", "valeurs saisies")
        ));
    }
    let item_href = ctx.item_href(kind, item);
    Ok(RemovePage {
        layout: Layout::of(session, &ctx.access.organisation),
        organisation_href: ctx.organisation_href(),
        organisation: ctx.access.organisation.short_name.clone(),
        plan_href: ctx.plan_href(),
        plan_title: s.plan.title.clone(),
        structure_href: ctx.structure_href(),
        action: format!("{item_href}/supprimer"),
        item_href,
        heading: format!("Supprimer {}", kind.the(term)),
        item: label,
        goes,
        refused: (weight.locked > 0).then(|| write::locked_message(s, kind)),
    })
}

pub async fn confirm(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, kind, item)): Path<(String, String, String, i64)>,
) -> Result<RemovePage, AppError> {
    let kind = kind_of(&kind)?;
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
    page(&ctx, &session, kind, item)
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    confirmer: Option<String>,
}

pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, kind, item)): Path<(String, String, String, i64)>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let mut tx = state.pool.begin().await?;
    let ctx = Context::load_for_change(&mut tx, &user, &organisation, &plan).await?;
    if form.confirmer.as_deref() != Some("oui") {
        // Nothing goes without the confirmation that names what goes.
        return Ok(page(&ctx, &session, kind, item)?.into_response());
    }
    match write::remove_item(&mut tx, &ctx.structure, kind, item, author(&user)).await {
        Ok(()) => {
            ctx.commit(tx).await?;
            Ok(ctx.done("supprime", None).into_response())
        }
        Err(EditError::Locked(_)) => {
            drop(tx);
            Err(AppError::conflict(page(&ctx, &session, kind, item)?))
        }
        Err(EditError::NotFound) => Err(AppError::NotFound),
        Err(EditError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(Box::new(e))),
    }
}
