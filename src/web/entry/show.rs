//! The entry page and « Mes actions » as they are served: the entry page's content kept per plan
//! revision and role, each person's frame and form token set around it.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{EntryPage, build_page, mine_label, notice, stored_page};
use super::{context, context_at_once, context_of};
use crate::domain::account::Role;
use crate::domain::model::HasPeriod;
use crate::plans::read;
use crate::web::access::member_plan_year;
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::parts::{PageParts, Piece, accepts_gzip};
use crate::web::session::{CurrentUser, Session};
use crate::web::{AppState, PageKind};

#[derive(Deserialize)]
pub struct EntryQuery {
    #[serde(default)]
    enregistre: Option<String>,
    #[serde(default)]
    fait: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

/// The entry page of a year. Its content is the same for every person of a role but pilots
/// (whose rights depend on their services): it is rendered once per plan revision and role and
/// kept, a mark where the form token goes; each request renders the frame and sets its own
/// token in. With the session's statement, which reads the plan's head, a page kept is served
/// without another.
pub async fn entry_page(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Query(query): Query<EntryQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let (head, access) =
        member_plan_year(&state.pool, &session, &user, (&organisation, &plan, year)).await?;
    // The revision was read before this moment.
    let seen = std::time::Instant::now();
    let role = access.membership.role;
    let mut frame = EntryPage::frame(
        &head.organisation,
        &head.slug,
        &head.title,
        head.period().years(),
        year,
        Layout::new(&session),
        None,
    );
    frame.saved = query.enregistre.is_some();
    frame.notice = notice(query.fait.as_deref());
    if role == Role::Pilot {
        // A pilot's rights depend on their services: their page is rendered for them.
        let mut conn = state.pool.acquire().await?;
        let tree = read::plan_content(&mut conn, head).await?;
        let ctx = context_of(&mut conn, access, tree, year).await?;
        let mut page = stored_page(&ctx, &session);
        page.saved = frame.saved;
        page.notice = frame.notice;
        return Ok(page.into_response());
    }
    let key = (head.id, year, head.revision, PageKind::EntryContent(role));
    let (content, marks) = state
        .pages
        .get_or_render(key, seen, || async {
            let head = crate::web::cache::head_again(&state.pool, head.id, year).await?;
            let ctx = context_at_once(&state, access, head, year).await?;
            let page = build_page(
                &ctx,
                Layout::default(),
                None,
                None,
                &HashMap::new(),
                &HashMap::new(),
            );
            // Written into a buffer sized for the plan: no copy as it grows.
            let mut html = String::with_capacity(ENTRY_BYTES * (ctx.tree.indicator_count() + 8));
            page.body(TOKEN_MARK).render_into(&mut html)?;
            Ok::<_, AppError>(marked(html))
        })
        .await?;
    let token = session.ensure_csrf(&state).await?;
    frame.content = TOKEN_MARK.to_string();
    let frame = frame.render()?;
    let (before, after) = frame
        .split_once(TOKEN_MARK)
        .ok_or_else(|| AppError::Internal("le cadre de la saisie n'a pas sa place".into()))?;
    // To a client that accepts gzip: the kept content as compressed once, stretch by stretch,
    // each person's token between them as it is.
    if accepts_gzip(&headers)
        && let Some(segments) = state.pages.deflated(key, &content).await
    {
        let mut pieces = Vec::with_capacity(2 * segments.len() + 1);
        pieces.push(Piece::Fresh(before.as_bytes()));
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                pieces.push(Piece::Stored(token.as_bytes()));
            }
            pieces.push(Piece::Kept(segment));
        }
        pieces.push(Piece::Fresh(after.as_bytes()));
        return Ok(PageParts::gzip(&pieces).gzipped_response());
    }
    // The kept content is not copied: the page goes out as its parts, the token between them.
    let token = Bytes::from(token);
    let mut parts = Vec::with_capacity(2 * marks.len() + 3);
    parts.push(Bytes::copy_from_slice(before.as_bytes()));
    let mut from = 0;
    for &mark in marks.iter() {
        parts.push(content.slice(from..mark));
        parts.push(token.clone());
        from = mark + TOKEN_MARK.len();
    }
    parts.push(content.slice(from..));
    parts.push(Bytes::copy_from_slice(after.as_bytes()));
    Ok(PageParts::new(parts).into_response())
}

/// About what the entry page takes per indicator (its fields and its status form), to size
/// the buffer it is written into.
const ENTRY_BYTES: usize = 4_400;

/// Where a person's form token goes in a kept page: no text from the database, and no page
/// kept, holds a NUL.
const TOKEN_MARK: &str = "\0";

/// A page rendered with marks, and where each mark is.
fn marked(rendered: String) -> (Bytes, Arc<[usize]>) {
    let marks: Vec<usize> = rendered
        .match_indices(TOKEN_MARK)
        .map(|(at, _)| at)
        .collect();
    (Bytes::from(rendered), marks.into())
}

/// « Mes actions »: a pilot's actions (or, with `?service=`, one service's), what is to fill first.
pub async fn my_actions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Query(query): Query<EntryQuery>,
) -> Result<EntryPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    let service = query.service.filter(|s| !s.is_empty());
    let label = mine_label(&ctx, service.as_deref());
    let mut page = build_page(
        &ctx,
        Layout::new(&session),
        Some(label),
        service.as_deref(),
        &HashMap::new(),
        &HashMap::new(),
    );
    page.saved = query.enregistre.is_some();
    page.notice = notice(query.fait.as_deref());
    Ok(page)
}
