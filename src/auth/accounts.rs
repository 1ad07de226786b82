//! Accounts: users, their memberships and services, passwords set or changed.

use std::sync::Arc;

use sqlx::PgConnection;

use super::hash_password_async;
use crate::domain::account::Role;
use crate::domain::ids::{self, OrganisationId, ServiceId, UserId};

/// A user's role in one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub organisation_id: OrganisationId,
    pub role: Role,
    /// The services a pilot steers.
    pub services: Vec<ServiceId>,
    /// Actions awaiting this person's decision in an open year: submitted ones for procurement
    /// staff, returned ones for the pilot of their service (the count beside « À faire »).
    pub awaiting: i64,
}

/// The signed-in user, with every membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub memberships: Vec<Membership>,
}

impl User {
    pub fn membership(&self, organisation_id: OrganisationId) -> Option<&Membership> {
        self.memberships
            .iter()
            .find(|m| m.organisation_id == organisation_id)
    }
}

/// One membership as the database gives it (`memberships_of`), before it is checked.
pub(super) struct MembershipRow {
    pub organisation_id: Option<OrganisationId>,
    pub role: Option<String>,
    pub services: Option<Vec<ServiceId>>,
    pub awaiting: Option<i64>,
}

impl MembershipRow {
    fn membership(self) -> Option<Membership> {
        Some(Membership {
            organisation_id: self.organisation_id?,
            role: Role::from_db(self.role.as_deref()?)?,
            services: self.services.unwrap_or_default(),
            awaiting: self.awaiting.unwrap_or_default(),
        })
    }
}

/// The user from its rows, one per membership (a user of no organisation has one row without).
pub(super) fn user_of(
    id: UserId,
    email: String,
    display_name: String,
    rows: impl IntoIterator<Item = MembershipRow>,
) -> User {
    User {
        id,
        email,
        display_name,
        memberships: rows
            .into_iter()
            .filter_map(MembershipRow::membership)
            .collect(),
    }
}

/// The user and every membership, in one statement (the session's own statement reads them
/// too: [`super::sessions::session_and_user`]).
pub async fn load_user(conn: &mut PgConnection, id: UserId) -> Result<Option<User>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT u.id AS "id: UserId", u.email, u.display_name,
                  m.organisation_id AS "organisation_id?: OrganisationId", m.role AS "role?",
                  m.services AS "services?: Vec<ServiceId>", m.awaiting AS "awaiting?"
             FROM app_user u
             LEFT JOIN LATERAL memberships_of(u.id) m ON true
            WHERE u.id = $1"#,
        id.get()
    )
    .fetch_all(conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (id, email, display_name) = (first.id, first.email.clone(), first.display_name.clone());
    Ok(Some(user_of(
        id,
        email,
        display_name,
        rows.into_iter().map(|m| MembershipRow {
            organisation_id: m.organisation_id,
            role: m.role,
            services: m.services,
            awaiting: m.awaiting,
        }),
    )))
}

/// The user's id and password hash, by e-mail.
pub async fn credentials(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<(UserId, Option<String>)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id: UserId", password_hash FROM app_user WHERE email = $1"#,
        email
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.password_hash)))
}

pub async fn password_hash_of(
    conn: &mut PgConnection,
    user_id: UserId,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT password_hash FROM app_user WHERE id = $1",
        user_id.get()
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

pub async fn set_password(
    conn: &mut PgConnection,
    user_id: UserId,
    password: &str,
) -> Result<(), sqlx::Error> {
    let hash = hash_password_async(password).await;
    sqlx::query!(
        "UPDATE app_user SET password_hash = $2 WHERE id = $1",
        user_id.get(),
        hash
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
    pub organisation_id: OrganisationId,
    pub role: Role,
    pub services: &'a [ServiceId],
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
    Account(UserId),
    /// The e-mail already had an account (of another organisation, or made from the command
    /// line): only the membership was added. Its password, name and other memberships are left
    /// alone, and no activation link may be made for it.
    Membership(UserId),
}

impl Created {
    pub fn user_id(self) -> UserId {
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
           ON CONFLICT (email) DO NOTHING RETURNING id AS "id: UserId""#,
        new.email,
        new.display_name,
        new.password_hash,
        new.organisation_id.get()
    )
    .fetch_optional(&mut *conn)
    .await?;
    let created = match inserted {
        Some(id) => Created::Account(id),
        None => {
            let existing = sqlx::query!(
                r#"SELECT u.id AS "id: UserId", u.password_hash IS NULL AS "pending!",
                          EXISTS (SELECT 1 FROM membership m
                                   WHERE m.user_id = u.id AND m.organisation_id <> $2) AS "elsewhere!"
                     FROM app_user u WHERE u.email = $1 FOR UPDATE"#,
                new.email,
                new.organisation_id.get()
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
                        existing.id.get(),
                        new.display_name,
                        new.password_hash,
                        new.organisation_id.get()
                    )
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query!(
                        "DELETE FROM activation WHERE user_id = $1",
                        existing.id.get()
                    )
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query!(
                        r#"INSERT INTO membership (user_id, organisation_id, role) VALUES ($1, $2, $3)
                           ON CONFLICT (user_id, organisation_id) DO UPDATE SET role = EXCLUDED.role"#,
                        existing.id.get(),
                        new.organisation_id.get(),
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
        user_id.get(),
        new.organisation_id.get(),
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
    user_id: UserId,
    organisation_id: OrganisationId,
    services: &[ServiceId],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM membership_service WHERE user_id = $1 AND organisation_id = $2",
        user_id.get(),
        organisation_id.get()
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO membership_service (user_id, organisation_id, service_id)
           SELECT $1, $2, unnest($3::bigint[])"#,
        user_id.get(),
        organisation_id.get(),
        &ids::numbers(services)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A shared, immutable signed-in user.
pub type SharedUser = Arc<User>;

/// A member to write to: an account that has a password (an invitation not yet taken up
/// receives nothing), with the names of the services it pilots.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub services: Vec<String>,
}

/// The members of an organisation with one of these roles, in one query.
pub async fn recipients(
    conn: &mut PgConnection,
    organisation: OrganisationId,
    roles: &[Role],
) -> Result<Vec<Recipient>, sqlx::Error> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_db()).collect();
    let rows = sqlx::query!(
        r#"SELECT u.email, u.display_name, m.role,
                  COALESCE(array_agg(s.name ORDER BY s.name) FILTER (WHERE s.name IS NOT NULL), '{}') AS "services!"
             FROM membership m
             JOIN app_user u ON u.id = m.user_id
             LEFT JOIN membership_service ms ON ms.user_id = m.user_id AND ms.organisation_id = m.organisation_id
             LEFT JOIN service s ON s.id = ms.service_id
            WHERE m.organisation_id = $1 AND m.role = ANY($2) AND u.password_hash IS NOT NULL
            GROUP BY u.id, u.email, u.display_name, m.role
            ORDER BY u.email"#,
        organisation.get(),
        &roles as &[&str]
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Recipient {
                role: Role::from_db(&r.role).ok_or_else(|| {
                    sqlx::Error::Decode(format!("rôle inconnu « {} »", r.role).into())
                })?,
                email: r.email,
                name: r.display_name,
                services: r.services,
            })
        })
        .collect()
}
