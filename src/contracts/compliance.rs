//! The SPASER obligation at a glance (L2111-3, D2111-3) and the buyer's line of the national
//! registry (achats-durables.gouv.fr).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::domain::ids::OrganisationId;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compliance {
    pub yearly_purchases: Option<Decimal>,
    pub spaser_url: Option<String>,
    pub shared: bool,
    /// The plan in force this year (adopted, its period covering the year): slug, title, period,
    /// adoption date, whether it is published here.
    pub in_force: Option<InForce>,
    /// The latest year, among this one and the two before, with contracts to compute the legal
    /// indicators from.
    pub indicators_year: Option<i32>,
    /// Categories (of seven) with a target of the SPASER.
    pub targets: i64,
    /// The SIRENs of the organisation (its SIRETs' first nine digits).
    pub sirens: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    pub slug: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
    pub adopted_on: NaiveDate,
    pub published: bool,
}

impl Compliance {
    /// Whether the SPASER is compulsory, when the yearly purchases are known.
    pub fn compulsory(&self) -> Option<bool> {
        self.yearly_purchases
            .map(crate::domain::organisation::spaser_compulsory)
    }
}

/// One query whatever the number of plans and contracts.
pub async fn compliance(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    year: i32,
) -> Result<Compliance, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT lp.yearly_purchases, lp.spaser_url, coalesce(lp.shared, false) AS "shared!",
                  p.slug AS "slug?", p.title AS "title?", p.first_year AS "first_year?", p.last_year AS "last_year?",
                  p.adopted_on AS "adopted_on?", p.published_at IS NOT NULL AS "published?",
                  (SELECT extract(year FROM max(notified_on))::int FROM contract c
                    WHERE c.organisation_id = o.id AND c.notified_on >= make_date($2 - 2, 1, 1)
                      AND c.notified_on < make_date($2 + 1, 1, 1)) AS "indicators_year",
                  (SELECT count(*) FROM legal_target t WHERE t.organisation_id = o.id) AS "targets!",
                  (SELECT coalesce(array_agg(DISTINCT left(siret, 9) ORDER BY left(siret, 9)), '{}')
                     FROM organisation_siret s WHERE s.organisation_id = o.id) AS "sirens!"
             FROM organisation o
             LEFT JOIN legal_profile lp ON lp.organisation_id = o.id
             LEFT JOIN LATERAL (SELECT slug, title, first_year, last_year, adopted_on, published_at FROM plan
                                 WHERE organisation_id = o.id AND adopted_on IS NOT NULL
                                   AND first_year <= $2 AND last_year >= $2
                                 ORDER BY published_at IS NULL, adopted_on DESC LIMIT 1) p ON true
            WHERE o.id = $1"#,
        organisation_id.get(),
        year
    )
    .fetch_one(conn)
    .await?;
    let in_force = match (r.slug, r.title, r.first_year, r.last_year, r.adopted_on) {
        (Some(slug), Some(title), Some(first_year), Some(last_year), Some(adopted_on)) => {
            Some(InForce {
                slug,
                title,
                first_year,
                last_year,
                adopted_on,
                published: r.published.unwrap_or(false),
            })
        }
        _ => None,
    };
    Ok(Compliance {
        yearly_purchases: r.yearly_purchases,
        spaser_url: r.spaser_url,
        shared: r.shared,
        in_force,
        indicators_year: r.indicators_year,
        targets: r.targets,
        sirens: r.sirens,
    })
}

/// Sets what the registry and the obligation need to know of the buyer.
pub async fn set_profile(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    yearly_purchases: Option<Decimal>,
    spaser_url: Option<&str>,
    shared: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO legal_profile (organisation_id, yearly_purchases, spaser_url, shared) VALUES ($1, $2, $3, $4)
           ON CONFLICT (organisation_id) DO UPDATE SET yearly_purchases = EXCLUDED.yearly_purchases,
               spaser_url = EXCLUDED.spaser_url, shared = EXCLUDED.shared"#,
        organisation_id.get(),
        yearly_purchases,
        spaser_url,
        shared
    )
    .execute(conn)
    .await?;
    Ok(())
}
