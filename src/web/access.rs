//! Who may see what: every organisation-scoped page goes through here, so that ids in URLs are
//! always checked against the signed-in user's memberships.

use sqlx::PgConnection;

use super::error::AppError;
use super::session::Session;
use crate::auth::{Membership, User};
use crate::domain::model::HasPeriod;
use crate::plans::read::{self, OrganisationRow, PlanHead};

/// An organisation the user belongs to, with the user's role there.
pub struct OrgAccess {
    pub organisation: OrganisationRow,
    pub membership: Membership,
}

/// The organisation, if the user is a member; otherwise « not found », so that other
/// organisations' existence does not show.
pub async fn member_of(
    conn: &mut PgConnection,
    user: &User,
    slug: &str,
) -> Result<OrgAccess, AppError> {
    let organisation = read::organisation(conn, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let membership = user
        .membership(organisation.id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok(OrgAccess {
        organisation,
        membership,
    })
}

/// The organisation, if the user administers it: members of other roles are refused.
pub async fn admin_of(
    conn: &mut PgConnection,
    user: &User,
    slug: &str,
) -> Result<OrgAccess, AppError> {
    let access = member_of(conn, user, slug).await?;
    if access.membership.role.administers() {
        Ok(access)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A year of a plan, for a member of its organisation: the plan's head (the one read with the
/// session when the address names the plan) and the member's access, checked from the session's
/// memberships; « not found » to anyone else, and for a year outside the plan's period.
pub async fn member_plan_year(
    pool: &sqlx::PgPool,
    session: &Session,
    user: &User,
    (organisation, plan, year): (&str, &str, i32),
) -> Result<(PlanHead, OrgAccess), AppError> {
    let head = session
        .plan_head(pool, organisation, plan)
        .await?
        .filter(|h| h.period().contains(year))
        .ok_or(AppError::NotFound)?;
    let membership = user
        .membership(head.organisation.id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let access = OrgAccess {
        organisation: head.organisation.clone(),
        membership,
    };
    Ok((head, access))
}
