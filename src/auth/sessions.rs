//! Sessions of signed-in people, and the key that signs CSRF tokens.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sqlx::PgConnection;

use super::random_token;
use crate::domain::ids::UserId;

/// A session is forgotten after this long without a request.
pub const IDLE_MINUTES: i32 = 30;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: Option<UserId>,
    pub csrf_token: String,
}

pub async fn create_session(
    conn: &mut PgConnection,
    user_id: Option<UserId>,
) -> Result<SessionRow, sqlx::Error> {
    let row = SessionRow {
        id: random_token(),
        user_id,
        csrf_token: random_token(),
    };
    sqlx::query!(
        "INSERT INTO user_session (id, user_id, csrf_token) VALUES ($1, $2, $3)",
        row.id,
        row.user_id.map(UserId::get),
        row.csrf_token
    )
    .execute(conn)
    .await?;
    Ok(row)
}

/// The session with this id, unless it has been idle too long; marks it as seen. The mark is
/// written at most once a minute: a person reading pages does not write on every request (and
/// many requests of one session do not queue on its row); the idle limit stays exact to the
/// minute.
pub async fn touch_session(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        r#"WITH s AS (
               SELECT id, user_id, csrf_token, last_seen_at FROM user_session
                WHERE id = $1 AND last_seen_at > now() - make_interval(mins => $2)),
             seen AS (
               UPDATE user_session u SET last_seen_at = now() FROM s
                WHERE u.id = s.id AND s.last_seen_at < now() - interval '1 minute')
           SELECT id AS "id!", user_id AS "user_id: UserId", csrf_token AS "csrf_token!" FROM s"#,
        id,
        IDLE_MINUTES
    )
    .fetch_optional(conn)
    .await
}

pub async fn delete_session(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM user_session WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops every session of a user but one (after a password change).
pub async fn delete_other_sessions(
    conn: &mut PgConnection,
    user_id: UserId,
    keep: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM user_session WHERE user_id = $1 AND id <> $2",
        user_id.get(),
        keep
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The key that signs visitors' CSRF tokens, made the first time it is needed and shared by
/// every application server through the database.
pub async fn instance_key(conn: &mut PgConnection) -> Result<[u8; 32], sqlx::Error> {
    let mut fresh = [0u8; 32];
    OsRng.fill_bytes(&mut fresh);
    sqlx::query!(
        "INSERT INTO instance_secret (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        &fresh[..]
    )
    .execute(&mut *conn)
    .await?;
    let key = sqlx::query_scalar!("SELECT key FROM instance_secret WHERE id = 1")
        .fetch_one(conn)
        .await?;
    let mut out = [0u8; 32];
    out.copy_from_slice(&key);
    Ok(out)
}
