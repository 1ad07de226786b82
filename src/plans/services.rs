//! An organisation's services in the database: listed with what uses them, added, renamed,
//! merged, removed; each change written in the organisation's history ([`super::organisation_log`]).
//! The callers run each change in one transaction with its history line.

use sqlx::PgConnection;

use super::organisation_log::log;
use crate::domain::ids::{OrganisationId, ServiceId, UserId};

/// A service and what still uses it.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: ServiceId,
    pub name: String,
    /// Actions and indicators it pilots, across the organisation's plans.
    pub actions: i64,
    pub indicators: i64,
    /// People whose membership is bound to it.
    pub people: i64,
}

impl ServiceRow {
    pub fn unused(&self) -> bool {
        self.actions == 0 && self.indicators == 0 && self.people == 0
    }
}

/// Why a change was refused.
#[derive(Debug)]
pub enum Refused {
    /// Another service of the organisation has this name (case-insensitively).
    NameTaken,
    /// No such service in this organisation.
    Unknown,
    /// Merging a service into itself.
    Same,
    /// Still used: the service as it stands, with its counts.
    Used(ServiceRow),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Refused::Db(e)
    }
}

fn name_taken(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.constraint())
        .is_some_and(|c| c == "service_name_unique")
}

/// The organisation's services by name, each with its counts: one query.
pub async fn list(
    conn: &mut PgConnection,
    organisation: OrganisationId,
) -> Result<Vec<ServiceRow>, sqlx::Error> {
    sqlx::query_as!(
        ServiceRow,
        r#"SELECT s.id AS "id: ServiceId", s.name,
                  (SELECT count(*) FROM action_pilot ap WHERE ap.service_id = s.id) AS "actions!",
                  (SELECT count(*) FROM indicator_pilot ip WHERE ip.service_id = s.id) AS "indicators!",
                  (SELECT count(*) FROM membership_service ms WHERE ms.service_id = s.id) AS "people!"
             FROM service s
            WHERE s.organisation_id = $1
            ORDER BY lower(s.name), s.id"#,
        organisation.get()
    )
    .fetch_all(conn)
    .await
}

/// A new service, its name already checked.
pub async fn add(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    user: UserId,
    name: &str,
) -> Result<ServiceId, Refused> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO service (organisation_id, name) VALUES ($1, $2)
           ON CONFLICT (organisation_id, lower(name)) DO NOTHING
           RETURNING id AS "id: ServiceId""#,
        organisation.get(),
        name
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Refused::NameTaken)?;
    log(conn, organisation, user, "Service ajouté", None, Some(name)).await?;
    Ok(id)
}

/// The service of this organisation, locked until the transaction ends.
async fn locked(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    id: ServiceId,
) -> Result<String, Refused> {
    sqlx::query_scalar!(
        "SELECT name FROM service WHERE id = $1 AND organisation_id = $2 FOR UPDATE",
        id.get(),
        organisation.get()
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Refused::Unknown)
}

/// Renames a service; its plans' pages are rendered again (a trigger bumps their revision).
/// Returns the former name.
pub async fn rename(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    user: UserId,
    id: ServiceId,
    name: &str,
) -> Result<String, Refused> {
    let before = locked(conn, organisation, id).await?;
    if before == name {
        return Ok(before);
    }
    sqlx::query!("UPDATE service SET name = $2 WHERE id = $1", id.get(), name)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if name_taken(&e) {
                Refused::NameTaken
            } else {
                Refused::Db(e)
            }
        })?;
    log(
        conn,
        organisation,
        user,
        "Service renommé",
        Some(&before),
        Some(name),
    )
    .await?;
    Ok(before)
}

/// Merges `from` into `into`: every action and indicator that `from` pilots and every
/// membership bound to it goes to `into` (once: a link `into` already has is not doubled), then
/// `from` is removed. The plans whose pilots changed get a new revision from the pilot tables'
/// triggers. Returns both names.
pub async fn merge(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    user: UserId,
    from: ServiceId,
    into: ServiceId,
) -> Result<(String, String), Refused> {
    if from == into {
        return Err(Refused::Same);
    }
    // Both locked, in id order so that two opposite merges cannot deadlock.
    let (first, second) = if from.get() < into.get() {
        (from, into)
    } else {
        (into, from)
    };
    let first_name = locked(conn, organisation, first).await?;
    let second_name = locked(conn, organisation, second).await?;
    let (from_name, into_name) = if first == from {
        (first_name, second_name)
    } else {
        (second_name, first_name)
    };
    sqlx::query!(
        "INSERT INTO action_pilot (action_id, service_id)
         SELECT action_id, $2 FROM action_pilot WHERE service_id = $1
         ON CONFLICT DO NOTHING",
        from.get(),
        into.get()
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO indicator_pilot (indicator_id, service_id)
         SELECT indicator_id, $2 FROM indicator_pilot WHERE service_id = $1
         ON CONFLICT DO NOTHING",
        from.get(),
        into.get()
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO membership_service (user_id, organisation_id, service_id)
         SELECT user_id, organisation_id, $2 FROM membership_service WHERE service_id = $1
         ON CONFLICT DO NOTHING",
        from.get(),
        into.get()
    )
    .execute(&mut *conn)
    .await?;
    // The links of `from` go with it (ON DELETE CASCADE), each counted in its plan's revision.
    sqlx::query!("DELETE FROM service WHERE id = $1", from.get())
        .execute(&mut *conn)
        .await?;
    log(
        conn,
        organisation,
        user,
        "Services fusionnés",
        Some(&from_name),
        Some(&into_name),
    )
    .await?;
    Ok((from_name, into_name))
}

/// Removes a service that pilots nothing and binds nobody; otherwise says what still uses it.
/// Returns its name.
pub async fn remove(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    user: UserId,
    id: ServiceId,
) -> Result<String, Refused> {
    let name = locked(conn, organisation, id).await?;
    let row = sqlx::query_as!(
        ServiceRow,
        r#"SELECT s.id AS "id: ServiceId", s.name,
                  (SELECT count(*) FROM action_pilot ap WHERE ap.service_id = s.id) AS "actions!",
                  (SELECT count(*) FROM indicator_pilot ip WHERE ip.service_id = s.id) AS "indicators!",
                  (SELECT count(*) FROM membership_service ms WHERE ms.service_id = s.id) AS "people!"
             FROM service s WHERE s.id = $1"#,
        id.get()
    )
    .fetch_one(&mut *conn)
    .await?;
    if !row.unused() {
        return Err(Refused::Used(row));
    }
    sqlx::query!("DELETE FROM service WHERE id = $1", id.get())
        .execute(&mut *conn)
        .await?;
    log(
        conn,
        organisation,
        user,
        "Service retiré",
        Some(&name),
        None,
    )
    .await?;
    Ok(name)
}
