//! The legal indicators of the members of a shared plan, each buyer's own (as the law asks) and
//! their consolidation, recomputed from the contract counts and amounts, never averaged.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::report::Cell;
use crate::decp::Measure;
use crate::domain::ids::OrganisationId;

/// Per organisation, a cell per [`Measure`] (in `Measure::ALL`'s order) over all the year's
/// contracts: one query whatever the number of members and contracts.
pub async fn members_legal(
    conn: &mut PgConnection,
    organisations: &[OrganisationId],
    year: i32,
) -> Result<HashMap<OrganisationId, Vec<Cell>>, sqlx::Error> {
    let ids: Vec<i64> = organisations.iter().map(|o| o.get()).collect();
    let rows = sqlx::query!(
        r#"SELECT c.organisation_id AS "organisation_id!", count(*) AS "total!", coalesce(sum(c.amount), 0) AS "total_amount!",
                  count(*) FILTER (WHERE social_clause OR social_criterion OR reserved) AS "social_any!",
                  coalesce(sum(amount) FILTER (WHERE social_clause OR social_criterion OR reserved), 0) AS "social_any_amount!",
                  count(*) FILTER (WHERE social_clause) AS "social_clause!",
                  coalesce(sum(amount) FILTER (WHERE social_clause), 0) AS "social_clause_amount!",
                  count(*) FILTER (WHERE social_criterion) AS "social_criterion!",
                  coalesce(sum(amount) FILTER (WHERE social_criterion), 0) AS "social_criterion_amount!",
                  count(*) FILTER (WHERE reserved) AS "reserved!",
                  coalesce(sum(amount) FILTER (WHERE reserved), 0) AS "reserved_amount!",
                  count(*) FILTER (WHERE env_clause OR env_criterion) AS "env_any!",
                  coalesce(sum(amount) FILTER (WHERE env_clause OR env_criterion), 0) AS "env_any_amount!",
                  count(*) FILTER (WHERE env_clause) AS "env_clause!",
                  coalesce(sum(amount) FILTER (WHERE env_clause), 0) AS "env_clause_amount!",
                  count(*) FILTER (WHERE env_criterion) AS "env_criterion!",
                  coalesce(sum(amount) FILTER (WHERE env_criterion), 0) AS "env_criterion_amount!"
             FROM contract c
            WHERE c.organisation_id = ANY($1) AND c.notified_on >= make_date($2, 1, 1)
              AND c.notified_on < make_date($2 + 1, 1, 1)
            GROUP BY c.organisation_id"#,
        &ids,
        year
    )
    .fetch_all(conn)
    .await?;
    Ok(organisations
        .iter()
        .map(|o| {
            let row = rows.iter().find(|r| r.organisation_id == o.get());
            let cells = Measure::ALL
                .into_iter()
                .map(|measure| {
                    let Some(r) = row else {
                        return Cell::default();
                    };
                    let (count, amount) = match measure {
                        Measure::SocialAny => (r.social_any, r.social_any_amount),
                        Measure::SocialClause => (r.social_clause, r.social_clause_amount),
                        Measure::SocialCriterion => (r.social_criterion, r.social_criterion_amount),
                        Measure::Reserved => (r.reserved, r.reserved_amount),
                        Measure::EnvironmentalAny => (r.env_any, r.env_any_amount),
                        Measure::EnvironmentalClause => (r.env_clause, r.env_clause_amount),
                        Measure::EnvironmentalCriterion => {
                            (r.env_criterion, r.env_criterion_amount)
                        }
                    };
                    Cell {
                        count,
                        total_count: r.total,
                        amount,
                        total_amount: r.total_amount,
                    }
                })
                .collect();
            (*o, cells)
        })
        .collect())
}

/// The members' cells of one measure added up: counts and amounts summed, so that the shares
/// are those of all the members' contracts together.
pub fn consolidated(cells: impl IntoIterator<Item = Cell>) -> Cell {
    cells.into_iter().fold(Cell::default(), |sum, c| Cell {
        count: sum.count + c.count,
        total_count: sum.total_count + c.total_count,
        amount: sum.amount + c.amount,
        total_amount: sum.total_amount + c.total_amount,
    })
}
