//! A plan's head (its own fields, its organisation's, the revision its kept pages go by), read by
//! the slugs of its address or by its id, in one query each.

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::read::{OrganisationRow, PlanHead};
use crate::domain::ids::{OrganisationId, PlanId};
use crate::domain::model::ObjectiveTerm;

/// A plan's head as the database function `plan_head_of` gives it (every column may be
/// missing to the compiler's eyes; a head is made only when all that must be there is).
#[derive(Debug, Default)]
pub struct PlanHeadRow {
    pub id: Option<PlanId>,
    pub slug: Option<String>,
    pub title: Option<String>,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub adopted_on: Option<NaiveDate>,
    pub objective_term: Option<String>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revision: Option<i64>,
    pub org_id: Option<OrganisationId>,
    pub org_slug: Option<String>,
    pub org_name: Option<String>,
    pub short_name: Option<String>,
    pub kind: Option<String>,
    pub accent_color: Option<String>,
    pub logo_hash: Option<String>,
}

impl PlanHeadRow {
    pub fn into_head(self) -> Option<PlanHead> {
        Some(PlanHead {
            organisation: OrganisationRow {
                id: self.org_id?,
                slug: self.org_slug?,
                name: self.org_name?,
                short_name: self.short_name?,
                kind: self.kind,
                accent_color: self.accent_color,
                logo_hash: self.logo_hash,
            },
            id: self.id?,
            slug: self.slug?,
            title: self.title?,
            first_year: self.first_year?,
            last_year: self.last_year?,
            adopted_on: self.adopted_on,
            objective_term: ObjectiveTerm::from_db(&self.objective_term?),
            published_at: self.published_at,
            revision: self.revision?,
        })
    }
}

/// A plan's own fields, by its organisation's slug and its own, in one query (which a signed-in
/// request's first statement makes too, for the plan its address names).
pub async fn plan_head(
    conn: &mut PgConnection,
    organisation_slug: &str,
    plan_slug: &str,
) -> Result<Option<PlanHead>, sqlx::Error> {
    Ok(sqlx::query_as!(
        PlanHeadRow,
        r#"SELECT id AS "id: PlanId", slug, title, first_year, last_year, adopted_on, objective_term,
                  published_at, revision, org_id AS "org_id: OrganisationId", org_slug, org_name,
                  short_name, kind, accent_color, logo_hash
             FROM plan_head_of($1, $2)"#,
        organisation_slug,
        plan_slug
    )
    .fetch_optional(conn)
    .await?
    .and_then(PlanHeadRow::into_head))
}

/// A plan's own fields by its id, in one query: what a render reads again once it holds its
/// turn ([`crate::web::PageCache::get_or_render`]).
pub async fn plan_head_by_id(
    conn: &mut PgConnection,
    plan: PlanId,
) -> Result<Option<PlanHead>, sqlx::Error> {
    Ok(sqlx::query_as!(
        PlanHeadRow,
        r#"SELECT id AS "id: PlanId", slug, title, first_year, last_year, adopted_on, objective_term,
                  published_at, revision, org_id AS "org_id: OrganisationId", org_slug, org_name,
                  short_name, kind, accent_color, logo_hash
             FROM plan_head_by_id($1)"#,
        plan.get()
    )
    .fetch_optional(conn)
    .await?
    .and_then(PlanHeadRow::into_head))
}
