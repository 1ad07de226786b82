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
    pub siren: Option<&'a str>,
    pub yearly_purchases: Option<rust_decimal::Decimal>,
}

/// Writes the organisation's identity; its plans' pages are rendered again (a trigger bumps
/// their revision).
pub async fn update_identity(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    identity: &Identity<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE organisation SET name = $2, short_name = $3, kind = $4, accent_color = $5, entry_deadline = $6,
                siren = $7
          WHERE id = $1",
        organisation_id.get(),
        identity.name,
        identity.short_name,
        identity.kind,
        identity.accent_color,
        identity.entry_deadline,
        identity.siren,
    )
    .execute(&mut *conn)
    .await?;
    // The purchases are the legal profile's (the compliance checklist reads them there too).
    sqlx::query!(
        "INSERT INTO legal_profile (organisation_id, yearly_purchases) VALUES ($1, $2)
         ON CONFLICT (organisation_id) DO UPDATE SET yearly_purchases = EXCLUDED.yearly_purchases",
        organisation_id.get(),
        identity.yearly_purchases,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A new organisation, as the command line creates it.
pub struct NewOrganisation<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub short_name: &'a str,
    pub kind: Option<&'a str>,
    pub siren: Option<&'a str>,
}

/// Creates an organisation; `false` when its slug is taken.
pub async fn create_organisation(
    conn: &mut PgConnection,
    new: &NewOrganisation<'_>,
) -> Result<bool, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "INSERT INTO organisation (slug, name, short_name, kind, siren) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (slug) DO NOTHING RETURNING id",
        new.slug,
        new.name,
        new.short_name,
        new.kind,
        new.siren,
    )
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// An organisation in the instance's list.
pub struct OrganisationLine {
    pub slug: String,
    pub name: String,
    pub kind: Option<String>,
    pub plans: i64,
    pub members: i64,
}

/// Every organisation with its counts of plans and members, in one query.
pub async fn organisation_list(
    conn: &mut PgConnection,
) -> Result<Vec<OrganisationLine>, sqlx::Error> {
    sqlx::query_as!(
        OrganisationLine,
        r#"SELECT o.slug, o.name, o.kind,
                  (SELECT count(*) FROM plan p WHERE p.organisation_id = o.id) AS "plans!",
                  (SELECT count(*) FROM membership m WHERE m.organisation_id = o.id) AS "members!"
             FROM organisation o ORDER BY o.slug"#
    )
    .fetch_all(conn)
    .await
}

/// What the profile shows beyond the names and colour.
#[derive(Debug, Default)]
pub struct Details {
    pub entry_deadline: Option<chrono::NaiveDate>,
    pub siren: Option<String>,
    pub yearly_purchases: Option<rust_decimal::Decimal>,
}

/// The profile's further fields.
pub async fn details(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
) -> Result<Details, sqlx::Error> {
    sqlx::query_as!(
        Details,
        r#"SELECT o.entry_deadline, o.siren, lp.yearly_purchases AS "yearly_purchases?"
             FROM organisation o LEFT JOIN legal_profile lp ON lp.organisation_id = o.id
            WHERE o.id = $1"#,
        organisation_id.get()
    )
    .fetch_one(conn)
    .await
}

/// A logo as stored, to be served.
pub struct StoredLogo {
    pub content: Vec<u8>,
    pub mime: String,
}

/// The organisation's logo, when this hash is the current one's.
pub async fn logo(
    conn: &mut PgConnection,
    organisation_slug: &str,
    hash: &str,
) -> Result<Option<StoredLogo>, sqlx::Error> {
    sqlx::query_as!(
        StoredLogo,
        "SELECT l.content, l.mime FROM organisation_logo l JOIN organisation o ON o.id = l.organisation_id
          WHERE o.slug = $1 AND l.hash = $2",
        organisation_slug,
        hash
    )
    .fetch_optional(conn)
    .await
}

/// Sets the organisation's logo, already checked; its plans' pages are rendered again (a
/// trigger bumps their revision).
pub async fn set_logo(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    logo: &crate::domain::logo::Logo,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO organisation_logo (organisation_id, content, mime, hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (organisation_id) DO UPDATE
            SET content = EXCLUDED.content, mime = EXCLUDED.mime, hash = EXCLUDED.hash, updated_at = now()",
        organisation_id.get(),
        logo.content,
        logo.mime,
        logo.hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the organisation's logo; `false` when it had none.
pub async fn remove_logo(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM organisation_logo WHERE organisation_id = $1",
        organisation_id.get()
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
