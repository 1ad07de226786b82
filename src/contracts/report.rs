//! The SPASER's legal report (L2111-3): for each category, the share of the year's contracts in
//! number and in value, over all contracts and above the thresholds that matter, beside the
//! SPASER's own target and the PNAD's line; and the contracts notified since the 2026 floor that
//! miss what it requires. [`legal_report`] is what a page, an export or the bilan calls.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::law::{self, EuThresholds};
use super::percent;
use crate::decp::Measure;
use crate::domain::ids::OrganisationId;

/// The contracts a share is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    All,
    From40k,
    From90k,
    /// At least the EU threshold of the year (works or supplies and services, by contract).
    Eu,
}

impl Basis {
    pub const ALL: [Basis; 4] = [Basis::All, Basis::From40k, Basis::From90k, Basis::Eu];

    pub fn key(self) -> &'static str {
        match self {
            Basis::All => "tous",
            Basis::From40k => "40000",
            Basis::From90k => "90000",
            Basis::Eu => "seuils_ue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Basis::All => "Tous les contrats",
            Basis::From40k => "40 000 € HT ou plus",
            Basis::From90k => "90 000 € HT ou plus",
            Basis::Eu => "Au-dessus des seuils européens",
        }
    }
}

/// So many contracts (and euros) of a category out of so many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    pub count: i64,
    pub total_count: i64,
    pub amount: Decimal,
    pub total_amount: Decimal,
}

impl Cell {
    pub fn count_percent(&self) -> Option<Decimal> {
        percent(Decimal::from(self.count), Decimal::from(self.total_count))
    }

    pub fn amount_percent(&self) -> Option<Decimal> {
        percent(self.amount, self.total_amount)
    }
}

/// One category: its target, the PNAD's line, and a cell per [`Basis`] (in that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub measure: Measure,
    pub target: Option<Decimal>,
    pub pnad: Option<Decimal>,
    pub cells: Vec<Cell>,
}

/// A contract notified since the floor that misses what the law now requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Short {
    pub decp_id: String,
    pub object: String,
    pub amount: Decimal,
    pub notified_on: NaiveDate,
    pub above_eu: bool,
    pub without_environmental: bool,
    /// Above the EU thresholds and without a social consideration.
    pub without_social: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalReport {
    pub year: i32,
    pub eu: EuThresholds,
    pub lines: Vec<Line>,
    /// The first [`SHORT_LISTED`] contracts short of the floor, and how many there are.
    pub short: Vec<Short>,
    pub short_count: i64,
}

pub const SHORT_LISTED: i64 = 500;

/// The legal report of a year: three queries whatever the number of contracts.
pub async fn legal_report(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    year: i32,
) -> Result<LegalReport, sqlx::Error> {
    let eu = EuThresholds::of(year);
    let rows = sqlx::query!(
        r#"SELECT b.basis AS "basis!", count(*) AS "total!", coalesce(sum(c.amount), 0) AS "total_amount!",
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
            CROSS JOIN LATERAL (VALUES (0, true), (1, c.amount >= 40000), (2, c.amount >= 90000),
                  (3, c.amount >= CASE WHEN c.concession OR c.cpv LIKE '45%' THEN $3::numeric ELSE $4::numeric END)) AS b(basis, inside)
            WHERE c.organisation_id = $1 AND c.notified_on >= make_date($2, 1, 1)
              AND c.notified_on < make_date($2 + 1, 1, 1) AND b.inside
            GROUP BY b.basis ORDER BY b.basis"#,
        organisation_id.get(),
        year,
        eu.works,
        eu.supplies
    )
    .fetch_all(&mut *conn)
    .await?;
    let targets = sqlx::query!(
        "SELECT measure, percent FROM legal_target WHERE organisation_id = $1",
        organisation_id.get()
    )
    .fetch_all(&mut *conn)
    .await?;
    let lines = Measure::ALL
        .into_iter()
        .map(|measure| Line {
            measure,
            target: targets
                .iter()
                .find(|t| t.measure == measure.as_db())
                .map(|t| t.percent.normalize()),
            pnad: law::pnad(measure, year),
            cells: (0..Basis::ALL.len() as i32)
                .map(|basis| {
                    let Some(r) = rows.iter().find(|r| r.basis == basis) else {
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
                .collect(),
        })
        .collect();
    let short = sqlx::query!(
        r#"SELECT decp_id, object, amount, notified_on,
                  amount >= CASE WHEN concession OR cpv LIKE '45%' THEN $4::numeric ELSE $5::numeric END AS "above_eu!",
                  NOT (env_clause OR env_criterion) AS "without_env!",
                  NOT (social_clause OR social_criterion OR reserved) AS "without_social!",
                  count(*) OVER () AS "count!"
             FROM contract
            WHERE organisation_id = $1 AND notified_on >= greatest($3, make_date($2, 1, 1))
              AND notified_on < make_date($2 + 1, 1, 1)
              AND (NOT (env_clause OR env_criterion)
                   OR (amount >= CASE WHEN concession OR cpv LIKE '45%' THEN $4::numeric ELSE $5::numeric END
                       AND NOT (social_clause OR social_criterion OR reserved)))
            ORDER BY notified_on, decp_id LIMIT $6"#,
        organisation_id.get(),
        year,
        law::floor_from(),
        eu.works,
        eu.supplies,
        SHORT_LISTED
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(LegalReport {
        year,
        eu,
        lines,
        short_count: short.first().map_or(0, |s| s.count),
        short: short
            .into_iter()
            .map(|s| Short {
                decp_id: s.decp_id,
                object: s.object,
                amount: s.amount,
                notified_on: s.notified_on,
                above_eu: s.above_eu,
                without_environmental: s.without_env,
                without_social: s.above_eu && s.without_social,
            })
            .collect(),
    })
}

/// Sets (or, with `None`, removes) the SPASER's target for categories, in one statement.
pub async fn set_targets(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    targets: &[(Measure, Option<Decimal>)],
) -> Result<(), sqlx::Error> {
    let measures: Vec<String> = targets.iter().map(|t| t.0.as_db().to_string()).collect();
    let values: Vec<Option<Decimal>> = targets.iter().map(|t| t.1).collect();
    sqlx::query!(
        r#"WITH given AS (SELECT * FROM unnest($2::text[], $3::numeric[]) AS g(measure, percent)),
                gone AS (DELETE FROM legal_target t USING given g
                          WHERE t.organisation_id = $1 AND t.measure = g.measure AND g.percent IS NULL)
           INSERT INTO legal_target (organisation_id, measure, percent)
           SELECT $1, measure, percent FROM given WHERE percent IS NOT NULL
           ON CONFLICT (organisation_id, measure) DO UPDATE SET percent = EXCLUDED.percent"#,
        organisation_id.get(),
        &measures,
        &values as &[Option<Decimal>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn csv_number(value: Option<Decimal>) -> String {
    value
        .map(|v| v.normalize().to_string().replace('.', ","))
        .unwrap_or_default()
}

const HEADERS: [&str; 11] = [
    "Catégorie",
    "Contrats retenus",
    "Contrats de la catégorie",
    "Contrats en tout",
    "Part en nombre (%)",
    "Montant de la catégorie (€ HT)",
    "Montant en tout (€ HT)",
    "Part en valeur (%)",
    "Cible du SPASER (%)",
    "Référence PNAD (%)",
    "Année",
];

/// A row of the CSV and the workbook: category, basis, figures, target, PNAD line.
type ExportRow = (String, &'static str, Cell, Option<Decimal>, Option<Decimal>);

/// One row per category and basis, as the CSV and the workbook write them.
fn rows(report: &LegalReport) -> Vec<ExportRow> {
    let mut out = Vec::new();
    for line in &report.lines {
        for (basis, cell) in Basis::ALL.iter().zip(&line.cells) {
            out.push((
                line.measure.label().to_string(),
                basis.label(),
                *cell,
                line.target,
                line.pnad,
            ));
        }
    }
    out
}

/// The shares as Excel in France opens them (see `domain::csv_file`).
pub fn to_csv(report: &LegalReport) -> Vec<u8> {
    use crate::domain::csv_file::{self, Cell as C};
    let header = HEADERS.iter().map(|h| C::Text(h.to_string())).collect();
    let body = rows(report)
        .into_iter()
        .map(|(label, basis, c, target, pnad)| {
            vec![
                C::Text(label),
                C::Text(basis.to_string()),
                C::Number(c.count.to_string()),
                C::Number(c.total_count.to_string()),
                C::Number(csv_number(c.count_percent())),
                C::Number(csv_number(Some(c.amount))),
                C::Number(csv_number(Some(c.total_amount))),
                C::Number(csv_number(c.amount_percent())),
                C::Number(csv_number(target)),
                C::Number(csv_number(pnad)),
                C::Number(report.year.to_string()),
            ]
        });
    csv_file::write(std::iter::once(header).chain(body))
}

/// Two sheets: the shares, and the contracts short of the 2026 floor.
pub fn to_xlsx(report: &LegalReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap();
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("Indicateurs {}", report.year))?;
    for (col, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    let f = |d: Option<Decimal>| d.and_then(|d| d.to_f64());
    for (i, (label, basis, c, target, pnad)) in rows(report).into_iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, &label)?;
        sheet.write_string(r, 1, basis)?;
        sheet.write_number(r, 2, c.count as f64)?;
        sheet.write_number(r, 3, c.total_count as f64)?;
        for (col, value, format) in [
            (4, f(c.count_percent()), None),
            (5, f(Some(c.amount)), Some(&money)),
            (6, f(Some(c.total_amount)), Some(&money)),
            (7, f(c.amount_percent()), None),
            (8, f(target), None),
            (9, f(pnad), None),
        ] {
            match (value, format) {
                (Some(v), Some(format)) => {
                    sheet.write_number_with_format(r, col, v, format)?;
                }
                (Some(v), None) => {
                    sheet.write_number(r, col, v)?;
                }
                _ => {}
            }
        }
        sheet.write_number(r, 10, f64::from(report.year))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(1, 30)?;
    let floor = workbook.add_worksheet();
    floor.set_name("Depuis le 22 août 2026")?;
    for (col, h) in [
        "Id",
        "Objet",
        "Montant (€ HT)",
        "Notifié le",
        "Sans considération environnementale",
        "Au-dessus des seuils UE sans considération sociale",
    ]
    .iter()
    .enumerate()
    {
        floor.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    for (i, s) in report.short.iter().enumerate() {
        let r = i as u32 + 1;
        floor.write_string(r, 0, &s.decp_id)?;
        floor.write_string(r, 1, &s.object)?;
        floor.write_number_with_format(r, 2, s.amount.to_f64().unwrap_or_default(), &money)?;
        floor.write_string(r, 3, s.notified_on.format("%d/%m/%Y").to_string())?;
        floor.write_string(
            r,
            4,
            if s.without_environmental {
                "oui"
            } else {
                "non"
            },
        )?;
        floor.write_string(r, 5, if s.without_social { "oui" } else { "non" })?;
    }
    floor.set_freeze_panes(1, 0)?;
    floor.set_column_width(1, 40)?;
    workbook.save_to_buffer()
}

/// Open data: numbers as numbers, shares in % with one decimal, `null` when nothing to count.
pub fn to_json(report: &LegalReport) -> Value {
    let n = |d: Option<Decimal>| d.map_or(Value::Null, |d| json!(d.normalize()));
    json!({
        "annee": report.year,
        "seuils_ue": {
            "periode": report.eu.label(),
            "fournitures_services": report.eu.supplies,
            "travaux_concessions": report.eu.works,
        },
        "categories": report.lines.iter().map(|l| json!({
            "categorie": l.measure.as_db(),
            "libelle": l.measure.label(),
            "cible_spaser": n(l.target),
            "reference_pnad": n(l.pnad),
            "parts": Basis::ALL.iter().zip(&l.cells).map(|(b, c)| json!({
                "contrats_retenus": b.key(),
                "nombre": c.count,
                "nombre_total": c.total_count,
                "part_nombre": n(c.count_percent()),
                "montant": c.amount,
                "montant_total": c.total_amount,
                "part_valeur": n(c.amount_percent()),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "depuis_le_22_aout_2026": {
            "nombre": report.short_count,
            "contrats": report.short.iter().map(|s| json!({
                "id": s.decp_id,
                "objet": s.object,
                "montant": s.amount,
                "date_notification": s.notified_on,
                "sans_consideration_environnementale": s.without_environmental,
                "au_dessus_seuils_ue_sans_consideration_sociale": s.without_social,
            })).collect::<Vec<_>>(),
        },
    })
}
