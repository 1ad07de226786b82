//! The first-run address: on a fresh instance without the demo, the server prints a one-time
//! address (`/installation/{token}`) through which the first person creates the organisation and
//! its administrator. The token is kept hashed, with an expiry, in the database: it works on
//! every server, and a restart replaces it.

use sqlx::PgConnection;

use super::random_token;

/// How long a setup address stays valid.
pub const SETUP_HOURS: i32 = 24;

/// The hash under which a token is kept: the token is 256 random bits, so a fast hash is enough.
fn token_hash(token: &str) -> String {
    use blake2::Digest;
    blake2::Blake2b::<blake2::digest::consts::U32>::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether nobody has set the instance up: no organisation, no account.
pub async fn instance_is_fresh(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM organisation) AND NOT EXISTS (SELECT 1 FROM app_user) AS "fresh!""#
    )
    .fetch_one(conn)
    .await
}

/// A new setup token when the instance is fresh (the former one no longer serves), else `None`.
pub async fn create_setup_token(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    if !instance_is_fresh(&mut *conn).await? {
        // Set up: whatever address was printed before is dead.
        sqlx::query!("DELETE FROM setup_token")
            .execute(conn)
            .await?;
        return Ok(None);
    }
    let token = random_token();
    sqlx::query!(
        "INSERT INTO setup_token (token_hash, expires_at) VALUES ($1, now() + make_interval(hours => $2))
         ON CONFLICT (only_one) DO UPDATE SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at",
        token_hash(&token),
        SETUP_HOURS
    )
    .execute(conn)
    .await?;
    Ok(Some(token))
}

/// Whether this token opens the setup page: the current one, not expired, on a fresh instance.
pub async fn setup_token_valid(conn: &mut PgConnection, token: &str) -> Result<bool, sqlx::Error> {
    if token.len() != 64 {
        return Ok(false);
    }
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM setup_token WHERE token_hash = $1 AND expires_at > now())
              AND NOT EXISTS (SELECT 1 FROM organisation) AND NOT EXISTS (SELECT 1 FROM app_user)
              AS "valid!""#,
        token_hash(token)
    )
    .fetch_one(conn)
    .await
}

/// Spends the token, inside the caller's transaction: `true` once, for the current token on a
/// fresh instance. The row is deleted (and so locked): a second setup racing this one finds
/// nothing to spend.
pub async fn spend_setup_token(conn: &mut PgConnection, token: &str) -> Result<bool, sqlx::Error> {
    if token.len() != 64 {
        return Ok(false);
    }
    let spent = sqlx::query_scalar!(
        r#"DELETE FROM setup_token WHERE token_hash = $1 AND expires_at > now() RETURNING true AS "spent!""#,
        token_hash(token)
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    Ok(spent && instance_is_fresh(conn).await?)
}
