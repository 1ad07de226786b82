//! An organisation's identity as its administrators set it: names, kind and accent colour.

use sqlx::PgConnection;

use crate::domain::ids::OrganisationId;

/// What the profile form writes, already checked.
pub struct Identity<'a> {
    pub name: &'a str,
    pub short_name: &'a str,
    pub kind: Option<&'a str>,
    /// Six lowercase hex digits, checked for contrast.
    pub accent_color: Option<&'a str>,
    /// « Date limite de saisie »: the reminders by e-mail go a week before it.
    pub entry_deadline: Option<chrono::NaiveDate>,
}

/// The organisation's « date limite de saisie ».
pub async fn entry_deadline(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
) -> Result<Option<chrono::NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT entry_deadline FROM organisation WHERE id = $1",
        organisation_id.get()
    )
    .fetch_one(conn)
    .await
}

/// Writes the organisation's identity; its plans' pages are rendered again (a trigger bumps
/// their revision).
pub async fn update_identity(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    identity: &Identity<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE organisation SET name = $2, short_name = $3, kind = $4, accent_color = $5, entry_deadline = $6
          WHERE id = $1",
        organisation_id.get(),
        identity.name,
        identity.short_name,
        identity.kind,
        identity.accent_color,
        identity.entry_deadline,
    )
    .execute(conn)
    .await?;
    Ok(())
}
