//! An indicator's history.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::review::*;
use crate::domain::ids::IndicatorId;
use crate::plans::read::{self};
use crate::plans::values::{self, Level};
use crate::web::AppState;
use crate::web::access::member_of;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

pub struct HistoryLine {
    pub year: i32,
    pub field: String,
    pub before: String,
    pub after: String,
    pub user: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "entry/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub plan_title: String,
    pub plan_href: String,
    pub label: String,
    pub lines: Vec<HistoryLine>,
}

pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, indicator_id)): Path<(String, String, IndicatorId)>,
) -> Result<HistoryPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let tree = read::plan_tree(&mut conn, &organisation, &plan)
        .await?
        .ok_or(AppError::NotFound)?;
    // An indicator of the plan is always found with its action.
    let Some((_, Some(action_id), _, label)) =
        find_item(&tree, Level::Indicator, indicator_id.get())
    else {
        return Err(AppError::NotFound);
    };
    let rows = values::indicator_history(&mut conn, indicator_id, action_id).await?;
    let paris = |at: chrono::DateTime<chrono::Utc>| at.format("%d/%m/%Y à %H:%M UTC").to_string();
    Ok(HistoryPage {
        layout: Layout::of(&session, &tree.organisation),
        organisation: access.organisation.short_name.clone(),
        organisation_href: format!("/organisations/{}", access.organisation.slug),
        plan_title: tree.title.clone(),
        plan_href: format!(
            "/organisations/{}/plans/{}",
            access.organisation.slug, tree.slug
        ),
        label,
        lines: rows
            .into_iter()
            .map(|r| HistoryLine {
                year: r.year,
                field: r.field,
                before: r.before.unwrap_or_else(|| "—".into()),
                after: r.after.unwrap_or_else(|| "—".into()),
                user: r.user,
                at: paris(r.at),
            })
            .collect(),
    })
}
