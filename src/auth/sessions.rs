//! Sessions of signed-in people, and the key that signs CSRF tokens.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sqlx::PgConnection;

use super::accounts::{MembershipRow, User, user_of};
use super::random_token;
use crate::domain::ids::{OrganisationId, PlanId, ServiceId, UserId};
use crate::plans::read::{PlanHead, PlanHeadRow};

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

/// What a signed-in request starts from, read in one statement.
pub struct SessionStart {
    pub session: SessionRow,
    pub user: Option<User>,
    /// The head of the plan the request's address names, when it names one that exists.
    pub plan: Option<PlanHead>,
}

/// The session with this id, unless it has been idle too long, with its user and the user's
/// memberships, in one statement: what every signed-in request starts from. The session is
/// marked as seen at most once a minute (a second statement then): a person reading pages does
/// not write on every request (and many requests of one session do not queue on its row); the
/// idle limit stays exact to the minute.
///
/// `plan` names a plan by its organisation's slug and its own (the plan the request's address
/// names): its head is read in that same statement, for the handler to take.
pub async fn session_and_user(
    conn: &mut PgConnection,
    id: &str,
    plan: Option<(&str, &str)>,
) -> Result<Option<SessionStart>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT s.id AS "session_id!", s.csrf_token AS "csrf_token!",
                  s.last_seen_at < now() - interval '1 minute' AS "stale!",
                  u.id AS "user_id?: UserId", u.email AS "email?", u.display_name AS "display_name?",
                  m.organisation_id AS "organisation_id?: OrganisationId", m.role AS "role?",
                  m.services AS "services?: Vec<ServiceId>", m.awaiting AS "awaiting?",
                  h.id AS "plan_id?: PlanId", h.slug AS "plan_slug?", h.title AS "title?",
                  h.first_year AS "first_year?", h.last_year AS "last_year?",
                  h.adopted_on AS "adopted_on?", h.objective_term AS "objective_term?",
                  h.published_at AS "published_at?", h.revision AS "revision?",
                  h.org_id AS "org_id?: OrganisationId", h.org_slug AS "org_slug?",
                  h.org_name AS "org_name?", h.short_name AS "short_name?", h.kind AS "kind?",
                  h.accent_color AS "accent_color?", h.logo_hash AS "logo_hash?"
             FROM user_session s
             LEFT JOIN app_user u ON u.id = s.user_id
             LEFT JOIN LATERAL plan_head_of($3, $4) h ON true
             LEFT JOIN LATERAL memberships_of(u.id) m ON true
            WHERE s.id = $1 AND s.last_seen_at > now() - make_interval(mins => $2)"#,
        id,
        IDLE_MINUTES,
        plan.map(|p| p.0),
        plan.map(|p| p.1)
    )
    .fetch_all(&mut *conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    if first.stale {
        // Seen again: written at most once a minute, not on every request.
        sqlx::query!(
            "UPDATE user_session SET last_seen_at = now() WHERE id = $1",
            first.session_id
        )
        .execute(&mut *conn)
        .await?;
    }
    let session = SessionRow {
        id: first.session_id.clone(),
        user_id: first.user_id,
        csrf_token: first.csrf_token.clone(),
    };
    let plan = PlanHeadRow {
        id: first.plan_id,
        slug: first.plan_slug.clone(),
        title: first.title.clone(),
        first_year: first.first_year,
        last_year: first.last_year,
        adopted_on: first.adopted_on,
        objective_term: first.objective_term.clone(),
        published_at: first.published_at,
        revision: first.revision,
        org_id: first.org_id,
        org_slug: first.org_slug.clone(),
        org_name: first.org_name.clone(),
        short_name: first.short_name.clone(),
        kind: first.kind.clone(),
        accent_color: first.accent_color.clone(),
        logo_hash: first.logo_hash.clone(),
    }
    .into_head();
    let person = first
        .user_id
        .zip(first.email.clone())
        .zip(first.display_name.clone());
    let user = person.map(|((id, email), display_name)| {
        user_of(
            id,
            email,
            display_name,
            rows.into_iter().map(|m| MembershipRow {
                organisation_id: m.organisation_id,
                role: m.role,
                services: m.services,
                awaiting: m.awaiting,
            }),
        )
    });
    Ok(Some(SessionStart {
        session,
        user,
        plan,
    }))
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
