//! Entering a year's values: the entry page (« Saisie »), the pilot's view (« Mes actions »),
//! saving with conflict detection, the review workflow, locks, statuses set by hand, history,
//! and the rules page.
//!
//! - [`page`]: the page's view and how it is built from the plan, the year's values and the rights;
//! - [`show`]: the entry page and « Mes actions » as served (the entry page kept per revision and role);
//! - [`save`]: the whole-page save (parsing, rights, conflicts, history);
//! - [`review`]: submit, validate, return; lock and unlock a year; statuses set by hand;
//! - [`history`]: an indicator's history; [`rules`]: the status rules.

pub mod form;
mod history;
mod page;
mod review;
mod rules;
mod save;
mod show;
mod status;
mod worklist;

pub use history::history;
pub use review::{lock, workflow};
pub use rules::rules;
pub use save::save;
pub use show::{entry_page, my_actions};
pub use status::{override_status, status_page};
pub use worklist::worklist;

use crate::domain::model::HasPeriod;
use crate::web::RouteDef;

/// The routes of this feature.
pub fn routes() -> Vec<RouteDef> {
    use crate::web::{get_route, post_route};
    vec![
        get_route(
            "/organisations/{organisation}/plans/{plan}/saisie/{year}",
            entry_page,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/saisie/{year}",
            save,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/mes-actions/{year}",
            my_actions,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/saisie/{year}/actions/{action}/circuit",
            workflow,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/saisie/{year}/verrou",
            lock,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/statuts/{year}",
            override_status,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/statuts/{year}/{level}/{item}",
            status_page,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/indicateurs/{indicator}/historique",
            history,
        ),
        get_route("/regles", rules),
        get_route("/a-faire", worklist),
    ]
}

use sqlx::PgConnection;

use crate::auth::User;
use crate::domain::account::Role;
use crate::plans::kept::KeptStructures;
use crate::plans::read::{self, ActionNode, IndicatorNode, PlanTree};
use crate::plans::values::{self, ReviewState, YearValues};
use crate::web::AppState;
use crate::web::access::{OrgAccess, member_of};
use crate::web::error::AppError;

/// Who may do what in this organisation's plan, for one year.
pub(super) struct Rights<'a> {
    role: Role,
    services: &'a [String],
    locked: bool,
}

impl Rights<'_> {
    fn mine(&self, names: &[String]) -> bool {
        names.iter().any(|n| self.services.contains(n))
    }

    /// The action, or one of its indicators, is piloted by one of the user's services.
    fn pilots(&self, action: &ActionNode) -> bool {
        self.mine(&action.pilots) || action.indicators.iter().any(|i| self.mine(&i.pilots))
    }

    /// An indicator with pilots of its own is theirs alone; one without is its action's.
    fn pilots_indicator(&self, action: &ActionNode, indicator: &IndicatorNode) -> bool {
        if indicator.pilots.is_empty() {
            self.mine(&action.pilots)
        } else {
            self.mine(&indicator.pilots)
        }
    }

    fn may_write(&self, pilots: bool, review: Option<ReviewState>) -> bool {
        if self.locked {
            return false;
        }
        match self.role {
            Role::Procurement => true,
            Role::Pilot => {
                pilots
                    && !matches!(
                        review,
                        Some(ReviewState::Submitted | ReviewState::Validated)
                    )
            }
            Role::Admin | Role::Committee => false,
        }
    }

    /// The action's own fields (what was done).
    fn can_edit(&self, action: &ActionNode, review: Option<ReviewState>) -> bool {
        self.may_write(self.pilots(action), review)
    }

    /// One indicator's value.
    fn can_edit_indicator(
        &self,
        action: &ActionNode,
        indicator: &IndicatorNode,
        review: Option<ReviewState>,
    ) -> bool {
        self.may_write(self.pilots_indicator(action, indicator), review)
    }

    /// Pilots submit; procurement staff validate directly what they enter or receive.
    fn can_submit(&self, action: &ActionNode, review: Option<ReviewState>) -> bool {
        !self.locked
            && self.role == Role::Pilot
            && self.pilots(action)
            && matches!(review, Some(ReviewState::Entered | ReviewState::Returned))
    }

    fn can_review(&self, review: Option<ReviewState>) -> bool {
        !self.locked
            && self.role == Role::Procurement
            && matches!(
                review,
                Some(ReviewState::Submitted | ReviewState::Validated | ReviewState::Entered)
            )
    }
}

/// Everything a handler of the entry pages starts from.
pub(super) struct Context {
    access: OrgAccess,
    tree: PlanTree,
    values: YearValues,
    services: Vec<String>,
    year: i32,
}

pub(super) async fn context(
    conn: &mut PgConnection,
    user: &User,
    organisation: &str,
    plan: &str,
    year: i32,
) -> Result<Context, AppError> {
    let access = member_of(conn, user, organisation).await?;
    let tree = read::plan_tree(conn, organisation, plan)
        .await?
        .ok_or(AppError::NotFound)?;
    context_of(conn, access, tree, year).await
}

/// What a save starts from: the plan's structure (no values; kept until it changes), the year's
/// reviews and lock, and the user's services, for a member's plan year already checked
/// ([`crate::web::access::member_plan_year`], which takes the plan's head read with the session).
/// A page shown again (on an error or a conflict) is built from [`context`].
pub(super) async fn save_context(
    conn: &mut PgConnection,
    structures: &KeptStructures,
    (head, access): (read::PlanHead, OrgAccess),
    year: i32,
) -> Result<Context, AppError> {
    // The structure revision first: the structure read or kept is then that revision's or later.
    let (values, structure_revision) = values::year_reviews(conn, head.id, year).await?;
    let tree = structures.structure(conn, head, structure_revision).await?;
    let services = services_of(conn, &access).await?;
    Ok(Context {
        access,
        tree,
        values,
        services,
        year,
    })
}

/// The names of the services a pilot steers (their rights and « Mes actions » go by them); none
/// for other roles.
async fn services_of(conn: &mut PgConnection, access: &OrgAccess) -> Result<Vec<String>, AppError> {
    Ok(if access.membership.role == Role::Pilot {
        read::service_names(conn, &access.membership.services).await?
    } else {
        Vec::new()
    })
}

/// The context of a plan whose head was read, for a member already checked (not a pilot: their
/// services are not read), its queries sent at once on connections of the pool and its
/// structure the one kept, unless it changed.
pub(super) async fn context_at_once(
    state: &AppState,
    access: OrgAccess,
    head: read::PlanHead,
    year: i32,
) -> Result<Context, AppError> {
    if !head.period().contains(year) {
        return Err(AppError::NotFound);
    }
    let plan_id = head.id;
    let pool = &state.pool;
    let (tree, values) = tokio::try_join!(state.structures.content(pool, head), async {
        values::year_values(&mut *pool.acquire().await?, plan_id, year).await
    })?;
    Ok(Context {
        access,
        tree,
        values,
        services: Vec::new(),
        year,
    })
}

/// The context of a plan already read, for a member already checked.
pub(super) async fn context_of(
    conn: &mut PgConnection,
    access: OrgAccess,
    tree: PlanTree,
    year: i32,
) -> Result<Context, AppError> {
    if !tree.period().contains(year) {
        return Err(AppError::NotFound);
    }
    let values = values::year_values(conn, tree.id, year).await?;
    let services = services_of(conn, &access).await?;
    Ok(Context {
        access,
        tree,
        values,
        services,
        year,
    })
}

pub(super) fn plan_base(ctx: &Context) -> String {
    format!(
        "/organisations/{}/plans/{}",
        ctx.access.organisation.slug, ctx.tree.slug
    )
}
