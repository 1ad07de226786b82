//! The plan's structure, built and kept up in the browser by the organisation's administrators:
//! a new plan (from scratch or as the next period of another), its settings, and its axes,
//! objectives, actions and indicators — added, changed, moved, reordered, removed — each change
//! checked against concurrent edits and written in the structure's history.

mod item_form;
mod items;
mod overview;
mod plan;
mod remove;

use axum::response::Redirect;
use sqlx::PgConnection;

use super::access::{OrgAccess, admin_of};
use super::error::AppError;
use super::{RouteDef, get_route, post_route};
use crate::auth::User;
use crate::domain::structure::ItemKind;
use crate::plans::structure::{self, Author, Structure};

pub fn routes() -> Vec<RouteDef> {
    vec![
        get_route("/organisations/{organisation}/nouveau-plan", plan::new_form),
        post_route("/organisations/{organisation}/nouveau-plan", plan::create),
        get_route(
            "/organisations/{organisation}/plans/{plan}/structure",
            overview::show,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/structure/historique",
            overview::history,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/structure/plan",
            plan::settings_form,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/structure/plan",
            plan::save_settings,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/nouveau",
            items::new_form,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/nouveau",
            items::create,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}",
            items::edit_form,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}",
            items::save,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}/deplacer",
            remove::move_item,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}/supprimer",
            remove::confirm,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}/supprimer",
            remove::remove,
        ),
    ]
}

/// What every page of the editor starts from: the administrator's organisation and the plan's
/// structure.
struct Context {
    access: OrgAccess,
    structure: Structure,
}

impl Context {
    async fn load(
        conn: &mut PgConnection,
        user: &User,
        organisation: &str,
        plan: &str,
    ) -> Result<Self, AppError> {
        let access = admin_of(conn, user, organisation).await?;
        let structure = structure::structure(conn, access.organisation.id, plan)
            .await?
            .ok_or(AppError::NotFound)?;
        // A member of a shared plan follows the carrier's structure: only the carrier edits it.
        if structure.plan.follows.is_some() {
            return Err(AppError::Forbidden);
        }
        Ok(Self { access, structure })
    }

    /// The same, for a change: the plan is locked for the transaction (two administrators adding
    /// or moving at once wait for each other instead of colliding on a rank), then read again.
    async fn load_for_change(
        conn: &mut PgConnection,
        user: &User,
        organisation: &str,
        plan: &str,
    ) -> Result<Self, AppError> {
        let first = Self::load(conn, user, organisation, plan).await?;
        crate::plans::values::lock_plan(conn, first.structure.plan.id).await?;
        Self::load(conn, user, organisation, plan).await
    }

    /// Ends a change: the members of a shared plan follow its new structure, in the same
    /// transaction, then it is committed.
    async fn commit(&self, mut tx: sqlx::Transaction<'_, sqlx::Postgres>) -> Result<(), AppError> {
        crate::plans::shared::sync_members(&mut tx, self.structure.plan.id).await?;
        tx.commit().await?;
        Ok(())
    }

    fn organisation_href(&self) -> String {
        format!("/organisations/{}", self.access.organisation.slug)
    }

    fn plan_href(&self) -> String {
        format!(
            "{}/plans/{}",
            self.organisation_href(),
            self.structure.plan.slug
        )
    }

    fn structure_href(&self) -> String {
        format!("{}/structure", self.plan_href())
    }

    fn item_href(&self, kind: ItemKind, id: i64) -> String {
        format!("{}/{}/{id}", self.structure_href(), kind.segment())
    }

    /// Back to the structure, at the item, with a notice.
    fn done(&self, notice: &str, anchor: Option<(ItemKind, i64)>) -> Redirect {
        let anchor = anchor
            .map(|(k, id)| format!("#{}-{id}", k.segment()))
            .unwrap_or_default();
        Redirect::to(&format!("{}?fait={notice}{anchor}", self.structure_href()))
    }
}

fn author(user: &User) -> Author<'_> {
    Author {
        id: user.id,
        name: &user.display_name,
    }
}

/// The kind of item an address names.
fn kind_of(segment: &str) -> Result<ItemKind, AppError> {
    ItemKind::from_segment(segment).ok_or(AppError::NotFound)
}

/// A choice of a select or of a group of boxes.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What the history's date looks like.
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%d/%m/%Y à %H:%M UTC").to_string()
}
