//! The address (slug) of a new plan.

use sqlx::PgConnection;

use crate::domain::ids::OrganisationId;

/// The address of a new plan of this title: its slug, or the first of `slug-2`, `slug-3`…
/// that no plan of the organisation has (titles without Latin letters all slug to `plan`).
/// `None` when the organisation already has a plan of this title.
pub async fn new_plan_slug(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    title: &str,
) -> Result<Option<String>, sqlx::Error> {
    let base = crate::domain::model::slugify(title);
    let rows = sqlx::query!(
        r#"SELECT slug, lower(title) = lower($3) AS "same_title!" FROM plan
            WHERE organisation_id = $1 AND (slug = $2 OR slug LIKE $2 || '-%' OR lower(title) = lower($3))"#,
        organisation_id.get(),
        base,
        title
    )
    .fetch_all(conn)
    .await?;
    if rows.iter().any(|r| r.same_title) {
        return Ok(None);
    }
    Ok((1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|slug| !rows.iter().any(|r| r.slug == *slug)))
}
