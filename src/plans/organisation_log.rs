//! The organisation's own history: what its administrators changed outside any plan (its
//! services, its logo), by whom and when. Append-only: the database refuses any update or delete.

use sqlx::PgConnection;

use crate::domain::ids::{OrganisationId, UserId};

/// A line of the organisation's history.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub what: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub user: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The latest `limit` lines of the organisation's history, the latest first.
pub async fn history(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    limit: i64,
) -> Result<Vec<LogLine>, sqlx::Error> {
    sqlx::query_as!(
        LogLine,
        r#"SELECT l.what, l.before, l.after, u.display_name AS "user", l.at
             FROM organisation_log l JOIN app_user u ON u.id = l.user_id
            WHERE l.organisation_id = $1
            ORDER BY l.at DESC, l.id DESC
            LIMIT $2"#,
        organisation.get(),
        limit
    )
    .fetch_all(conn)
    .await
}

/// Appends a line to the organisation's history.
pub async fn log(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    user: UserId,
    what: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO organisation_log (organisation_id, what, before, after, user_id)
         VALUES ($1, $2, $3, $4, $5)",
        organisation.get(),
        what,
        before,
        after,
        user.get()
    )
    .execute(conn)
    .await?;
    Ok(())
}
