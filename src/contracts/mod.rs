//! Contracts in the database: saving a DECP reading, the register, the legal indicators, and the
//! plan indicators whose actual is computed from them.

pub mod compliance;
pub mod joint;
pub mod law;
pub mod report;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::decp::{Contract, Measure};
use crate::domain::ids::{ActionId, IndicatorId, OrganisationId, PlanId, UserId};
use crate::plans::values::{self, LogLine};

/// What saving a reading did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    pub saved: usize,
    /// Records of a buyer that is not this organisation (SIRET not registered).
    pub other_buyer: usize,
}

pub async fn sirets(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT siret FROM organisation_siret WHERE organisation_id = $1 ORDER BY siret",
        organisation_id.get()
    )
    .fetch_all(conn)
    .await
}

/// Saves the organisation's contracts (by their uid: a new file updates, never duplicates);
/// records of other buyers are set aside and counted.
pub async fn save(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    contracts: &[Contract],
) -> Result<Saved, sqlx::Error> {
    let ours = sirets(conn, organisation_id).await?;
    let mine: Vec<Contract> = contracts
        .iter()
        .filter(|c| ours.contains(&c.buyer))
        .cloned()
        .collect();
    let mut saved = 0;
    for chunk in mine.chunks(BATCH) {
        saved += write_batch(conn, organisation_id, chunk).await?;
    }
    Ok(Saved {
        saved,
        other_buyer: contracts.len() - mine.len(),
    })
}

/// Contracts written in one statement.
pub const BATCH: usize = 5_000;

/// Writes contracts of the organisation (one per uid in the batch), in one statement: a contract
/// already saved is replaced unless the saved version is the later one (more modifications, or
/// a later modification date). The procedures met are kept for the filters. Returns how many
/// were written.
pub async fn write_batch(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    chunk: &[Contract],
) -> Result<usize, sqlx::Error> {
    macro_rules! col {
        ($f:expr) => {
            chunk.iter().map($f).collect::<Vec<_>>()
        };
    }
    let written = sqlx::query!(
        r#"INSERT INTO contract (organisation_id, decp_id, buyer_siret, concession, object, amount, notified_on,
                                 procedure, nature, cpv, holders, social_clause, social_criterion, reserved,
                                 env_clause, env_criterion, modifications, revised_on)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bool[], $5::text[], $6::numeric[], $7::date[],
                                    $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[], $13::bool[],
                                    $14::bool[], $15::bool[], $16::bool[], $17::int[], $18::date[])
           ON CONFLICT (organisation_id, buyer_siret, decp_id) DO UPDATE SET
               concession = EXCLUDED.concession, object = EXCLUDED.object, amount = EXCLUDED.amount,
               notified_on = EXCLUDED.notified_on, procedure = EXCLUDED.procedure, nature = EXCLUDED.nature,
               cpv = EXCLUDED.cpv, holders = EXCLUDED.holders, social_clause = EXCLUDED.social_clause,
               social_criterion = EXCLUDED.social_criterion, reserved = EXCLUDED.reserved,
               env_clause = EXCLUDED.env_clause, env_criterion = EXCLUDED.env_criterion,
               modifications = EXCLUDED.modifications, revised_on = EXCLUDED.revised_on, updated_at = now()
           WHERE (EXCLUDED.modifications, coalesce(EXCLUDED.revised_on, '-infinity'::date))
              >= (contract.modifications, coalesce(contract.revised_on, '-infinity'::date))"#,
        organisation_id.get(),
        &col!(|c| c.id.clone()),
        &col!(|c| c.buyer.clone()),
        &col!(|c| c.concession),
        &col!(|c| c.object.clone()),
        &col!(|c| c.amount),
        &col!(|c| c.notified_on),
        &col!(|c| c.procedure.clone()),
        &col!(|c| c.nature.clone()),
        &col!(|c| c.cpv.clone()) as &[Option<String>],
        &col!(|c| c.holders.join(", ")),
        &col!(|c| c.social_clause),
        &col!(|c| c.social_criterion),
        &col!(|c| c.reserved),
        &col!(|c| c.env_clause),
        &col!(|c| c.env_criterion),
        &col!(|c| i32::try_from(c.modifications).unwrap_or(i32::MAX)),
        &col!(|c| c.revised_on) as &[Option<NaiveDate>],
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let mut procedures: Vec<String> = col!(|c| c.procedure.clone());
    procedures.retain(|p| !p.is_empty());
    procedures.sort();
    procedures.dedup();
    sqlx::query!(
        "INSERT INTO contract_procedure (organisation_id, procedure) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
        organisation_id.get(),
        &procedures
    )
    .execute(&mut *conn)
    .await?;
    Ok(usize::try_from(written).unwrap_or(usize::MAX))
}

/// The years that have contracts, latest first: each probed on the year index, so that a
/// register of a million contracts is not read to list them.
pub async fn years(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
) -> Result<Vec<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT y AS "year!" FROM (SELECT extract(year FROM min(notified_on))::int AS first,
                                           extract(year FROM max(notified_on))::int AS last
                                      FROM contract WHERE organisation_id = $1) b
             CROSS JOIN LATERAL generate_series(b.first, b.last) AS y
            WHERE EXISTS (SELECT 1 FROM contract c WHERE c.organisation_id = $1
                             AND c.notified_on >= make_date(y, 1, 1) AND c.notified_on < make_date(y + 1, 1, 1))
            ORDER BY y DESC"#,
        organisation_id.get()
    )
    .fetch_all(conn)
    .await
}

/// The years a register or the legal indicators may be asked for: those a DECP notification date
/// may have.
pub const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// After a large import, outside any transaction: fresh statistics and visibility map, so that
/// the legal indicators are read from the year index alone.
pub async fn tidy(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM (ANALYZE) contract")
        .execute(conn)
        .await?;
    Ok(())
}

/// The procedures the organisation's contracts were passed by, for the filters.
pub async fn procedures(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT procedure FROM contract_procedure WHERE organisation_id = $1 ORDER BY 1",
        organisation_id.get()
    )
    .fetch_all(conn)
    .await
}

/// A share: so many contracts (or euros) out of so many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub measure: Measure,
    pub count: i64,
    pub total_count: i64,
    pub amount: Decimal,
    pub total_amount: Decimal,
}

impl Share {
    /// The percentage, one decimal, when there is anything to count.
    pub fn count_percent(&self) -> Option<Decimal> {
        percent(Decimal::from(self.count), Decimal::from(self.total_count))
    }

    pub fn amount_percent(&self) -> Option<Decimal> {
        percent(self.amount, self.total_amount)
    }
}

pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (whole > Decimal::ZERO).then(|| (part * Decimal::ONE_HUNDRED / whole).round_dp(1))
}

/// The legal indicators of a year, contracts of at least `min_amount` € HT: one query.
pub async fn shares(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    year: i32,
    min_amount: Decimal,
    procedure: Option<&str>,
) -> Result<Vec<Share>, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "total!", coalesce(sum(amount), 0) AS "total_amount!",
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
             FROM contract
            WHERE organisation_id = $1 AND notified_on >= make_date($2, 1, 1) AND notified_on < make_date($2 + 1, 1, 1)
              AND amount >= $3 AND ($4::text IS NULL OR procedure = $4)"#,
        organisation_id.get(),
        year,
        min_amount,
        procedure
    )
    .fetch_one(conn)
    .await?;
    let share = |measure, count, amount| Share {
        measure,
        count,
        total_count: r.total,
        amount,
        total_amount: r.total_amount,
    };
    Ok(vec![
        share(Measure::SocialAny, r.social_any, r.social_any_amount),
        share(
            Measure::SocialClause,
            r.social_clause,
            r.social_clause_amount,
        ),
        share(
            Measure::SocialCriterion,
            r.social_criterion,
            r.social_criterion_amount,
        ),
        share(Measure::Reserved, r.reserved, r.reserved_amount),
        share(Measure::EnvironmentalAny, r.env_any, r.env_any_amount),
        share(
            Measure::EnvironmentalClause,
            r.env_clause,
            r.env_clause_amount,
        ),
        share(
            Measure::EnvironmentalCriterion,
            r.env_criterion,
            r.env_criterion_amount,
        ),
    ])
}

#[derive(Debug, Clone)]
pub struct RegisterRow {
    pub decp_id: String,
    pub object: String,
    pub amount: Decimal,
    pub notified_on: NaiveDate,
    pub procedure: String,
    pub nature: String,
    pub holders: String,
    pub social_clause: bool,
    pub social_criterion: bool,
    pub reserved: bool,
    pub env_clause: bool,
    pub env_criterion: bool,
    pub concession: bool,
}

/// The register of a year, filtered; at most `limit` rows, with the totals of all that match.
pub async fn register(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    year: i32,
    measure: Option<Measure>,
    min_amount: Decimal,
    procedure: Option<&str>,
    limit: i64,
) -> Result<(Vec<RegisterRow>, i64, Decimal), sqlx::Error> {
    let measure = measure.map(Measure::as_db);
    let rows = sqlx::query_as!(
        RegisterRow,
        r#"SELECT decp_id, object, amount, notified_on, procedure, nature, holders, social_clause, social_criterion,
                  reserved, env_clause, env_criterion, concession
             FROM contract
            WHERE organisation_id = $1 AND notified_on >= make_date($2, 1, 1) AND notified_on < make_date($2 + 1, 1, 1)
              AND amount >= $3
              AND CASE $4::text
                    WHEN 'social_any' THEN social_clause OR social_criterion OR reserved
                    WHEN 'social_clause' THEN social_clause WHEN 'social_criterion' THEN social_criterion
                    WHEN 'reserved' THEN reserved WHEN 'env_any' THEN env_clause OR env_criterion
                    WHEN 'env_clause' THEN env_clause WHEN 'env_criterion' THEN env_criterion
                    ELSE true END
              AND ($6::text IS NULL OR procedure = $6)
            ORDER BY notified_on DESC, decp_id
            LIMIT $5"#,
        organisation_id.get(),
        year,
        min_amount,
        measure,
        limit,
        procedure
    )
    .fetch_all(&mut *conn)
    .await?;
    let totals = sqlx::query!(
        r#"SELECT count(*) AS "count!", coalesce(sum(amount), 0) AS "amount!"
             FROM contract
            WHERE organisation_id = $1 AND notified_on >= make_date($2, 1, 1) AND notified_on < make_date($2 + 1, 1, 1)
              AND amount >= $3
              AND CASE $4::text
                    WHEN 'social_any' THEN social_clause OR social_criterion OR reserved
                    WHEN 'social_clause' THEN social_clause WHEN 'social_criterion' THEN social_criterion
                    WHEN 'reserved' THEN reserved WHEN 'env_any' THEN env_clause OR env_criterion
                    WHEN 'env_clause' THEN env_clause WHEN 'env_criterion' THEN env_criterion
                    ELSE true END
              AND ($5::text IS NULL OR procedure = $5)"#,
        organisation_id.get(),
        year,
        min_amount,
        measure,
        procedure
    )
    .fetch_one(conn)
    .await?;
    Ok((rows, totals.count, totals.amount))
}

/// Writes the computed actual of every linked indicator of the organisation, for every year of
/// its plan that is not locked; each change goes to the history under `user_id`. A fixed number
/// of statements whatever the number of links and years: the organisation's plans locked (as a
/// save locks its plan before its values, so that the two are serialised), one aggregate for
/// every link and year, one write of every value, one history insert.
pub async fn refresh_linked(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    user_id: UserId,
) -> Result<usize, sqlx::Error> {
    sqlx::query!(
        "SELECT id FROM plan WHERE organisation_id = $1 ORDER BY id FOR UPDATE",
        organisation_id.get()
    )
    .fetch_all(&mut *conn)
    .await?;
    // Each link and open year of its plan, with the year's contracts of at least its threshold
    // counted once per (year, threshold, measure), and the value stored now.
    let rows = sqlx::query!(
        r#"WITH wanted AS (
               SELECT l.indicator_id, l.measure, l.by_amount, l.min_amount, i.action_id, p.id AS plan_id, y.year
                 FROM indicator_link l
                 JOIN indicator i ON i.id = l.indicator_id
                 JOIN plan p ON p.id = i.plan_id
                CROSS JOIN LATERAL generate_series(p.first_year, p.last_year) AS y(year)
                WHERE p.organisation_id = $1
                  AND NOT EXISTS (SELECT 1 FROM plan_year_lock k WHERE k.plan_id = p.id AND k.year = y.year)
           ), counted AS (
               SELECT w.year, w.min_amount, w.measure,
                      count(c.id) AS total, coalesce(sum(c.amount), 0) AS total_amount,
                      count(c.id) FILTER (WHERE m.holds) AS part,
                      coalesce(sum(c.amount) FILTER (WHERE m.holds), 0) AS part_amount
                 FROM (SELECT DISTINCT year, min_amount, measure FROM wanted) w
                 LEFT JOIN contract c
                   ON c.organisation_id = $1 AND c.notified_on >= make_date(w.year, 1, 1)
                  AND c.notified_on < make_date(w.year + 1, 1, 1) AND c.amount >= w.min_amount
                 CROSS JOIN LATERAL (SELECT CASE w.measure
                        WHEN 'social_any' THEN c.social_clause OR c.social_criterion OR c.reserved
                        WHEN 'social_clause' THEN c.social_clause
                        WHEN 'social_criterion' THEN c.social_criterion
                        WHEN 'reserved' THEN c.reserved
                        WHEN 'env_any' THEN c.env_clause OR c.env_criterion
                        WHEN 'env_clause' THEN c.env_clause
                        WHEN 'env_criterion' THEN c.env_criterion
                        ELSE false END AS holds) m
                GROUP BY w.year, w.min_amount, w.measure
           )
           SELECT w.indicator_id AS "indicator_id!: IndicatorId", w.action_id AS "action_id!: ActionId",
                  w.plan_id AS "plan_id!: PlanId",
                  w.year AS "year!", w.by_amount AS "by_amount!",
                  k.total AS "total!", k.total_amount AS "total_amount!", k.part AS "part!",
                  k.part_amount AS "part_amount!",
                  v.value AS "current_value?", v.numerator AS "current_numerator?",
                  v.denominator AS "current_denominator?"
             FROM wanted w
             JOIN counted k ON k.year = w.year AND k.min_amount = w.min_amount AND k.measure = w.measure
             LEFT JOIN indicator_actual v ON v.indicator_id = w.indicator_id AND v.year = w.year
            ORDER BY w.indicator_id, w.year"#,
        organisation_id.get()
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut written = Vec::new();
    let mut history = Vec::new();
    for row in rows {
        let (part, whole) = if row.by_amount {
            (row.part_amount, row.total_amount)
        } else {
            (Decimal::from(row.part), Decimal::from(row.total))
        };
        let Some(value) = percent(part, whole) else {
            continue;
        };
        if row.current_value == Some(value)
            && row.current_numerator == Some(part)
            && row.current_denominator == Some(whole)
        {
            continue;
        }
        let unit = if row.by_amount { "€ HT" } else { "contrats" };
        let comment = format!(
            "Calculé depuis les données DECP : {} {unit} sur {}",
            crate::domain::format::number_fr(part).replace('\u{202F}', " "),
            crate::domain::format::number_fr(whole).replace('\u{202F}', " ")
        );
        history.push(LogLine {
            plan_id: row.plan_id,
            year: row.year,
            indicator_id: Some(row.indicator_id),
            action_id: Some(row.action_id),
            objective_id: None,
            field: "Valeur réalisée (calculée)",
            before: row
                .current_value
                .map(|v| format!("{} %", crate::domain::format::number_fr(v))),
            after: Some(format!("{} %", crate::domain::format::number_fr(value))),
            user_id,
        });
        written.push((row.indicator_id, row.year, value, comment, part, whole));
    }
    if !written.is_empty() {
        macro_rules! col {
            ($f:expr) => {
                written.iter().map($f).collect::<Vec<_>>()
            };
        }
        sqlx::query!(
            r#"INSERT INTO indicator_actual (indicator_id, year, value, comment, numerator, denominator, updated_by, computed)
               SELECT u.indicator_id, u.year, u.value, u.comment, u.numerator, u.denominator, $1, true
                 FROM unnest($2::bigint[], $3::int[], $4::numeric[], $5::text[], $6::numeric[], $7::numeric[])
                      AS u(indicator_id, year, value, comment, numerator, denominator)
               ON CONFLICT (indicator_id, year) DO UPDATE SET value = EXCLUDED.value, comment = EXCLUDED.comment,
                   numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator, text = NULL,
                   updated_by = EXCLUDED.updated_by, updated_at = now(), computed = true,
                   version = indicator_actual.version + 1"#,
            user_id.get(),
            &col!(|w| w.0.get()),
            &col!(|w| w.1),
            &col!(|w| w.2),
            &col!(|w| w.3.clone()),
            &col!(|w| w.4),
            &col!(|w| w.5),
        )
        .execute(&mut *conn)
        .await?;
    }
    values::log_all(conn, &history).await?;
    Ok(written.len())
}
