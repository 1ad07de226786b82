//! Activation links: a one-time link for a new account to choose its first password.

use sqlx::PgConnection;

use super::{hash_password_async, random_token};
use crate::domain::ids::UserId;

/// How long an activation link stays valid.
pub const ACTIVATION_DAYS: i32 = 7;

/// A one-time link for the user to choose a password.
pub async fn create_activation(
    conn: &mut PgConnection,
    user_id: UserId,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query!(
        "INSERT INTO activation (token, user_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))",
        token,
        user_id.get(),
        ACTIVATION_DAYS
    )
    .execute(conn)
    .await?;
    Ok(token)
}

/// The user an activation link is for, if it is still valid: an activation link only ever
/// serves an account that has never had a password.
pub async fn activation_user(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<(UserId, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT u.id AS "id: UserId", u.email FROM activation a JOIN app_user u ON u.id = a.user_id
            WHERE a.token = $1 AND a.expires_at > now() AND u.password_hash IS NULL"#,
        token
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.email)))
}

/// Sets the first password of the account the link is for, and spends every link of that
/// account, in one statement: the password is written only if the link is valid and the
/// account still has none. Returns the account, or `None` when the link no longer serves.
pub async fn activate(
    conn: &mut PgConnection,
    token: &str,
    password: &str,
) -> Result<Option<UserId>, sqlx::Error> {
    let hash = hash_password_async(password).await;
    sqlx::query_scalar!(
        r#"WITH link AS (
               DELETE FROM activation WHERE user_id = (
                   SELECT user_id FROM activation WHERE token = $1 AND expires_at > now())
               RETURNING user_id, token)
           UPDATE app_user u SET password_hash = $2
             FROM link
            WHERE u.id = link.user_id AND link.token = $1 AND u.password_hash IS NULL
        RETURNING u.id AS "id: UserId""#,
        token,
        hash
    )
    .fetch_optional(conn)
    .await
}
