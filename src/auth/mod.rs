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
/// Sign-in for one e-mail from one network address is refused after this many attempts that
/// did not succeed within [`FAILURE_WINDOW_MINUTES`]… (per e-mail *and* address, so that an
/// attacker elsewhere cannot lock the owner out)
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// …and for a network address, whatever the e-mail, after this many.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: i32 = 15;
/// How long an activation link stays valid.
pub const ACTIVATION_DAYS: i32 = 7;

/// How many password hashes run at once: each takes about 19 MiB and a core for a while, so
/// parallel sign-ins queue here instead of exhausting memory.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_bound()))
}

/// How many password hashes may run at once: the number of cores.
pub fn hashing_bound() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs a password hash or check off the async runtime, no more of them at once than there are
/// cores.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    use std::sync::atomic::Ordering::SeqCst;
    let _permit = hashing_permits()
        .acquire()
        .await
        .expect("the hashing semaphore is never closed");
    let now = HASHES_UNDER_WAY.fetch_add(1, SeqCst) + 1;
    HASHES_PEAK.fetch_max(now, SeqCst);
    let result = tokio::task::spawn_blocking(work).await;
    HASHES_UNDER_WAY.fetch_sub(1, SeqCst);
    result.expect("password hashing does not panic")
}

static HASHES_UNDER_WAY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HASHES_PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The most password hashes that ever ran at once in this process (at most [`hashing_bound`]).
pub fn hashing_peak() -> usize {
    HASHES_PEAK.load(std::sync::atomic::Ordering::SeqCst)
}

/// [`hash_password`], bounded and off the async runtime.
pub async fn hash_password_async(password: &str) -> String {
    let password = password.to_owned();
    hashing(move || hash_password(&password)).await
}

/// [`verify_password`], bounded and off the async runtime.
pub async fn verify_password_async(password: &str, stored: Option<String>) -> bool {
    let password = password.to_owned();
    hashing(move || verify_password(&password, stored.as_deref())).await
}

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
    let hash = hash_password_async(password).await;
    sqlx::query!(
        "UPDATE app_user SET password_hash = $2 WHERE id = $1",
        user_id,
        hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

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
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    reserve(conn, &format!("compte:{user_id}"), MAX_FAILURES_PER_EMAIL).await
}

pub async fn release_password_check(
    conn: &mut PgConnection,
    user_id: i64,
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
    #[error("cette adresse a une invitation en attente d'activation")]
    AwaitingActivation,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What [`create_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new account, with this membership.
    Account(i64),
    /// The e-mail already had an account (of another organisation, or made from the command
    /// line): only the membership was added. Its password, name and other memberships are left
    /// alone, and no activation link may be made for it.
    Membership(i64),
}

impl Created {
    pub fn user_id(self) -> i64 {
        match self {
            Created::Account(id) | Created::Membership(id) => id,
        }
    }
}

/// Creates the account, or adds the membership when the e-mail already has an account in no
/// other role of this organisation.
///
/// An account that has never had a password is an invitation waiting for its owner: while
/// another organisation holds a membership of it, it is not added to (whoever activates it would
/// get both); when nobody else holds one, this organisation takes the invitation over (its name
/// and role are this invitation's, earlier links are spent, and the caller makes a new one).
pub async fn create_user(
    conn: &mut PgConnection,
    new: &NewUser<'_>,
) -> Result<Created, CreateUserError> {
    // The account is created unless it exists; a concurrent creation of the same e-mail is
    // caught by the unique constraint and read back.
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO app_user (email, display_name, password_hash, invited_by_organisation)
           VALUES ($1, $2, $3, CASE WHEN $3::text IS NULL THEN $4::bigint END)
           ON CONFLICT (email) DO NOTHING RETURNING id"#,
        new.email,
        new.display_name,
        new.password_hash,
        new.organisation_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let created = match inserted {
        Some(id) => Created::Account(id),
        None => {
            let existing = sqlx::query!(
                r#"SELECT u.id, u.password_hash IS NULL AS "pending!",
                          EXISTS (SELECT 1 FROM membership m
                                   WHERE m.user_id = u.id AND m.organisation_id <> $2) AS "elsewhere!"
                     FROM app_user u WHERE u.email = $1 FOR UPDATE"#,
                new.email,
                new.organisation_id
            )
            .fetch_one(&mut *conn)
            .await?;
            match (existing.pending, existing.elsewhere) {
                (false, _) => Created::Membership(existing.id),
                (true, true) => return Err(CreateUserError::AwaitingActivation),
                (true, false) => {
                    sqlx::query!(
                        r#"UPDATE app_user
                              SET display_name = $2, password_hash = $3,
                                  invited_by_organisation = CASE WHEN $3::text IS NULL THEN $4::bigint END
                            WHERE id = $1"#,
                        existing.id,
                        new.display_name,
                        new.password_hash,
                        new.organisation_id
                    )
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query!("DELETE FROM activation WHERE user_id = $1", existing.id)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query!(
                        r#"INSERT INTO membership (user_id, organisation_id, role) VALUES ($1, $2, $3)
                           ON CONFLICT (user_id, organisation_id) DO UPDATE SET role = EXCLUDED.role"#,
                        existing.id,
                        new.organisation_id,
                        new.role.as_db()
                    )
                    .execute(&mut *conn)
                    .await?;
                    set_services(conn, existing.id, new.organisation_id, new.services).await?;
                    return Ok(Created::Account(existing.id));
                }
            }
        }
    };
    let user_id = created.user_id();
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
    Ok(created)
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

/// The user an activation link is for, if it is still valid: an activation link only ever
/// serves an account that has never had a password.
pub async fn activation_user(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT u.id, u.email FROM activation a JOIN app_user u ON u.id = a.user_id
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
) -> Result<Option<i64>, sqlx::Error> {
    let hash = hash_password_async(password).await;
    sqlx::query_scalar!(
        r#"WITH link AS (
               DELETE FROM activation WHERE user_id = (
                   SELECT user_id FROM activation WHERE token = $1 AND expires_at > now())
               RETURNING user_id, token)
           UPDATE app_user u SET password_hash = $2
             FROM link
            WHERE u.id = link.user_id AND link.token = $1 AND u.password_hash IS NULL
        RETURNING u.id"#,
        token,
        hash
    )
    .fetch_optional(conn)
    .await
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

/// A shared, immutable signed-in user.
pub type SharedUser = Arc<User>;
