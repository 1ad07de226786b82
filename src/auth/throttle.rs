//! Sign-in throttling: attempts counted per e-mail and address, and per address.

use sqlx::PgConnection;

use crate::domain::ids::UserId;

/// Sign-in for one e-mail from one network address is refused after this many attempts that
/// did not succeed within [`FAILURE_WINDOW_MINUTES`]… (per e-mail *and* address, so that an
/// attacker elsewhere cannot lock the owner out)
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// …and for a network address, whatever the e-mail, after this many.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: i32 = 15;

/// The keys a sign-in attempt is counted under, with the limit of each.
fn throttle_keys(email: &str, address: &str) -> [(String, i64); 2] {
    [
        (format!("adresse:{address}"), MAX_FAILURES_PER_ADDRESS),
        (
            format!("e-mail+adresse:{email}|{address}"),
            MAX_FAILURES_PER_EMAIL,
        ),
    ]
}

/// Takes a place for one sign-in attempt under each of its keys, before the password is
/// checked. Each key's row is locked by the statement that counts it, so parallel attempts are
/// counted one after another and never more than the limit get through. `false`: over a limit
/// (the place is taken all the same, as an attempt).
pub async fn reserve_sign_in_attempt(
    conn: &mut PgConnection,
    email: &str,
    address: &str,
) -> Result<bool, sqlx::Error> {
    let mut allowed = true;
    for (key, limit) in throttle_keys(email, address) {
        allowed &= reserve(conn, &key, limit).await?;
    }
    Ok(allowed)
}

/// Takes a place for one check of a signed-in person's current password (changing it): a stolen
/// session cannot try passwords faster than sign-in allows. Given back on success.
pub async fn reserve_password_check(
    conn: &mut PgConnection,
    user_id: UserId,
) -> Result<bool, sqlx::Error> {
    reserve(conn, &format!("compte:{user_id}"), MAX_FAILURES_PER_EMAIL).await
}

pub async fn release_password_check(
    conn: &mut PgConnection,
    user_id: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM sign_in_throttle WHERE key = $1",
        format!("compte:{user_id}")
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One attempt under `key`, counted in one statement that locks the key's row; `false` when
/// that makes more than `limit` in the window.
async fn reserve(conn: &mut PgConnection, key: &str, limit: i64) -> Result<bool, sqlx::Error> {
    let attempts = sqlx::query_scalar!(
        r#"INSERT INTO sign_in_throttle AS t (key, window_start, attempts) VALUES ($1, now(), 1)
           ON CONFLICT (key) DO UPDATE
              SET attempts = CASE WHEN t.window_start <= now() - make_interval(mins => $2)
                                  THEN 1 ELSE t.attempts + 1 END,
                  window_start = CASE WHEN t.window_start <= now() - make_interval(mins => $2)
                                      THEN now() ELSE t.window_start END
           RETURNING attempts"#,
        key,
        FAILURE_WINDOW_MINUTES
    )
    .fetch_one(conn)
    .await?;
    Ok(i64::from(attempts) <= limit)
}

/// After a successful sign-in: this e-mail from this address starts afresh, and the attempt is
/// given back to the address.
pub async fn release_sign_in_attempt(
    conn: &mut PgConnection,
    email: &str,
    address: &str,
) -> Result<(), sqlx::Error> {
    let [(by_address, _), (by_email, _)] = throttle_keys(email, address);
    sqlx::query!("DELETE FROM sign_in_throttle WHERE key = $1", by_email)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE sign_in_throttle SET attempts = greatest(attempts - 1, 0) WHERE key = $1",
        by_address
    )
    .execute(conn)
    .await?;
    Ok(())
}
