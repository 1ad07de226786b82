//! Who may see what: every organisation-scoped page goes through here, so that ids in URLs are
//! always checked against the signed-in user's memberships.

use sqlx::PgConnection;

use super::error::AppError;
use crate::auth::{Membership, User};
use crate::plans::read::{self, OrganisationRow};

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
