//! Accounts in the database: users, memberships, sessions, activation links, sign-in failures.
//! Passwords are hashed with argon2id.

mod accounts;
mod activation;
mod passwords;
mod sessions;
mod setup;
mod throttle;

use sqlx::PgConnection;

pub use accounts::*;
pub use activation::*;
pub use passwords::*;
pub use sessions::*;
pub use setup::*;
pub use throttle::*;

/// What a purge removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub throttles: u64,
    pub activations: u64,
    pub drafts: u64,
}

/// An import's preview is kept this long for its commit.
pub const DRAFT_HOURS: i32 = 24;

/// Removes what has expired: idle sessions, sign-in counts whose window has passed, activation
/// links past their date, import previews never committed. Run on a schedule by the server.
pub async fn purge_expired(conn: &mut PgConnection) -> Result<Purged, sqlx::Error> {
    let sessions = sqlx::query!(
        "DELETE FROM user_session WHERE last_seen_at <= now() - make_interval(mins => $1)",
        IDLE_MINUTES
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let throttles = sqlx::query!(
        "DELETE FROM sign_in_throttle WHERE window_start <= now() - make_interval(mins => $1)",
        FAILURE_WINDOW_MINUTES
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let activations = sqlx::query!("DELETE FROM activation WHERE expires_at <= now()")
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let drafts = sqlx::query!(
        "DELETE FROM import_draft WHERE created_at <= now() - make_interval(hours => $1)",
        DRAFT_HOURS
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(Purged {
        sessions,
        throttles,
        activations,
        drafts,
    })
}
