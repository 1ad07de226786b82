//! Accounts in the database: users, memberships, sessions, activation links, sign-in failures.
//! Passwords are hashed with argon2id.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sqlx::PgConnection;

use crate::domain::account::Role;

/// A session is forgotten after this long without a request.
pub const IDLE_MINUTES: i32 = 30;
/// Sign-in is refused for an e-mail after this many failures within [`FAILURE_WINDOW_MINUTES`]…
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// …and for a network address after this many.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: i32 = 15;
/// How long an activation link stays valid.
pub const ACTIVATION_DAYS: i32 = 7;

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Checks a password against a stored hash; `None` (no such user, or no password yet) is checked
/// against a fixed hash so that the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not the password of anyone"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

/// 32 random bytes, hex-encoded: session ids, CSRF and activation tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A user's role in one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub organisation_id: i64,
    pub role: Role,
    /// The services a pilot steers.
    pub services: Vec<i64>,
}

/// The signed-in user, with every membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub memberships: Vec<Membership>,
}

impl User {
    pub fn membership(&self, organisation_id: i64) -> Option<&Membership> {
        self.memberships
            .iter()
            .find(|m| m.organisation_id == organisation_id)
    }
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: Option<i64>,
    pub csrf_token: String,
}

pub async fn create_session(
    conn: &mut PgConnection,
    user_id: Option<i64>,
) -> Result<SessionRow, sqlx::Error> {
    let row = SessionRow {
        id: random_token(),
        user_id,
        csrf_token: random_token(),
    };
    sqlx::query!(
        "INSERT INTO user_session (id, user_id, csrf_token) VALUES ($1, $2, $3)",
        row.id,
        row.user_id,
        row.csrf_token
    )
    .execute(conn)
    .await?;
    Ok(row)
}

/// The session with this id, unless it has been idle too long; marks it as seen.
pub async fn touch_session(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        r#"UPDATE user_session SET last_seen_at = now()
            WHERE id = $1 AND last_seen_at > now() - make_interval(mins => $2)
        RETURNING id, user_id, csrf_token"#,
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
    user_id: i64,
    keep: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM user_session WHERE user_id = $1 AND id <> $2",
        user_id,
        keep
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn load_user(conn: &mut PgConnection, id: i64) -> Result<Option<User>, sqlx::Error> {
    let Some(user) = sqlx::query!(
        "SELECT id, email, display_name FROM app_user WHERE id = $1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let memberships = sqlx::query!(
        r#"SELECT m.organisation_id, m.role,
                  coalesce(array_agg(ms.service_id) FILTER (WHERE ms.service_id IS NOT NULL), '{}') AS "services!"
             FROM membership m
             LEFT JOIN membership_service ms
                    ON ms.user_id = m.user_id AND ms.organisation_id = m.organisation_id
            WHERE m.user_id = $1
            GROUP BY m.organisation_id, m.role"#,
        id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .filter_map(|m| {
        Some(Membership { organisation_id: m.organisation_id, role: Role::from_db(&m.role)?, services: m.services })
    })
    .collect();
    Ok(Some(User {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        memberships,
    }))
}

/// The user's id and password hash, by e-mail.
pub async fn credentials(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    Ok(sqlx::query!(
        "SELECT id, password_hash FROM app_user WHERE email = $1",
        email
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.password_hash)))
}

pub async fn password_hash_of(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar!("SELECT password_hash FROM app_user WHERE id = $1", user_id)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

pub async fn set_password(
    conn: &mut PgConnection,
    user_id: i64,
    password: &str,
) -> Result<(), sqlx::Error> {
    let hash = hash_password(password);
    sqlx::query!(
        "UPDATE app_user SET password_hash = $2 WHERE id = $1",
        user_id,
        hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Recent failures for this e-mail and for this address.
pub async fn recent_failures(
    conn: &mut PgConnection,
    email: &str,
    address: &str,
) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE email = $1) AS "by_email!",
                  count(*) FILTER (WHERE address = $2) AS "by_address!"
             FROM sign_in_failure
            WHERE at > now() - make_interval(mins => $3) AND (email = $1 OR address = $2)"#,
        email,
        address,
        FAILURE_WINDOW_MINUTES
    )
    .fetch_one(conn)
    .await?;
    Ok((row.by_email, row.by_address))
}

pub async fn record_failure(
    conn: &mut PgConnection,
    email: &str,
    address: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sign_in_failure (email, address) VALUES ($1, $2)",
        email,
        address
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn clear_failures(conn: &mut PgConnection, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sign_in_failure WHERE email = $1", email)
        .execute(conn)
        .await?;
    Ok(())
}

/// A new account and its membership; the password may be left for the user to choose.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    /// From [`hash_password`].
    pub password_hash: Option<&'a str>,
    pub organisation_id: i64,
    pub role: Role,
    pub services: &'a [i64],
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("un compte existe déjà pour cette adresse e-mail")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates the account, or adds the membership when the e-mail already has an account in no
/// other role of this organisation. Returns the user's id.
pub async fn create_user(
    conn: &mut PgConnection,
    new: &NewUser<'_>,
) -> Result<i64, CreateUserError> {
    let existing = sqlx::query_scalar!("SELECT id FROM app_user WHERE email = $1", new.email)
        .fetch_optional(&mut *conn)
        .await?;
    let user_id = match existing {
        Some(id) => id,
        None => {
            sqlx::query_scalar!(
                "INSERT INTO app_user (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id",
                new.email,
                new.display_name,
                new.password_hash
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    let inserted = sqlx::query!(
        "INSERT INTO membership (user_id, organisation_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        user_id,
        new.organisation_id,
        new.role.as_db()
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(CreateUserError::EmailTaken);
    }
    set_services(conn, user_id, new.organisation_id, new.services).await?;
    Ok(user_id)
}

/// Replaces the services a member pilots.
pub async fn set_services(
    conn: &mut PgConnection,
    user_id: i64,
    organisation_id: i64,
    services: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM membership_service WHERE user_id = $1 AND organisation_id = $2",
        user_id,
        organisation_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO membership_service (user_id, organisation_id, service_id)
           SELECT $1, $2, unnest($3::bigint[])"#,
        user_id,
        organisation_id,
        services
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A one-time link for the user to choose a password.
pub async fn create_activation(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query!(
        "INSERT INTO activation (token, user_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))",
        token,
        user_id,
        ACTIVATION_DAYS
    )
    .execute(conn)
    .await?;
    Ok(token)
}

/// The user an activation link is for, if it is still valid.
pub async fn activation_user(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT u.id, u.email FROM activation a JOIN app_user u ON u.id = a.user_id
            WHERE a.token = $1 AND a.expires_at > now()"#,
        token
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.email)))
}

pub async fn consume_activation(conn: &mut PgConnection, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM activation WHERE token = $1", token)
        .execute(conn)
        .await?;
    Ok(())
}

/// A shared, immutable signed-in user.
pub type SharedUser = Arc<User>;
