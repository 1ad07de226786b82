//! A small, clearly fictitious joint SPASER (`spaser demo --joint`): a commune, its CCAS and its
//! housing office share a three-objective plan carried by the commune, each keeping its own
//! values. None of the real seeds is joint; this one is made up, its names say so.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{Acquire, PgConnection};

use super::{DemoError, DemoReport, ensure_demo_users};
use crate::auth;
use crate::domain::ids::{OrganisationId, PlanId};
use crate::domain::model::{
    ActionDraft, Direction, IndicatorDraft, IndicatorKind, ObjectiveDraft, ObjectiveTerm,
    PlanDraft, PlanHeader, YearValue,
};
use crate::plans::{shared, store};

/// The carrier first: (slug, name, short name, kind, accent).
pub const JOINT_ORGANISATIONS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "fictiville",
        "Commune de Fictiville (démo fictive)",
        "Fictiville",
        "commune",
        "1f4e79",
    ),
    (
        "ccas-fictiville",
        "CCAS de Fictiville (démo fictive)",
        "CCAS Fictiville",
        "autre",
        "7a2e59",
    ),
    (
        "habitat-fictiville",
        "Fictiville Habitat, office de l'habitat (démo fictive)",
        "Fictiville Habitat",
        "bailleur",
        "2b5d34",
    ),
];

/// The shared plan's address, in each member's organisation.
pub const JOINT_PLAN: &str = "spaser-partage-2025-2027";

/// The service that pilots every action, in each member.
const SERVICE: &str = "Commande publique";

fn target(year: i32, value: i64) -> YearValue {
    YearValue {
        year,
        value: Some(Decimal::from(value)),
        text: None,
    }
}

fn indicator(label: &str, unit: &str, targets: [i64; 3]) -> IndicatorDraft {
    IndicatorDraft {
        label: label.into(),
        kind: Some(IndicatorKind::Quantitative),
        unit: Some(unit.into()),
        direction: Direction::Up,
        targets: (2025..=2027)
            .zip(targets)
            .map(|(y, v)| target(y, v))
            .collect(),
        pilots: vec![SERVICE.into()],
        ..Default::default()
    }
}

fn objective(code: &str, label: &str, action: &str, indicator: IndicatorDraft) -> ObjectiveDraft {
    ObjectiveDraft {
        axis: None,
        code: code.into(),
        label: label.into(),
        actions: vec![ActionDraft {
            code: Some(code.into()),
            label: action.into(),
            pilots: vec![SERVICE.into()],
            indicators: vec![indicator],
            narratives: Vec::new(),
        }],
    }
}

/// The shared plan: three objectives, one indicator each (hours, a share, a count).
pub fn joint_plan() -> (PlanHeader, PlanDraft) {
    (
        PlanHeader {
            slug: JOINT_PLAN.into(),
            title: "SPASER partagé de Fictiville 2025-2027 (démo fictive)".into(),
            first_year: 2025,
            last_year: 2027,
            adopted_on: NaiveDate::from_ymd_opt(2025, 3, 20),
            objective_term: ObjectiveTerm::Objectif,
        },
        PlanDraft {
            axes: Vec::new(),
            objectives: vec![
                objective(
                    "1",
                    "Développer l'insertion par l'activité économique",
                    "Inscrire des clauses d'insertion dans les marchés de travaux et de services",
                    indicator("Heures d'insertion réalisées", "h", [1500, 2000, 2500]),
                ),
                objective(
                    "2",
                    "Verdir les achats",
                    "Intégrer une considération environnementale dans les marchés",
                    indicator(
                        "Part des marchés notifiés avec une considération environnementale",
                        "%",
                        [60, 80, 100],
                    ),
                ),
                objective(
                    "3",
                    "Ouvrir la commande publique aux petites entreprises",
                    "Rencontrer les entreprises du territoire",
                    indicator(
                        "Rencontres d'entreprises organisées",
                        "rencontres",
                        [2, 3, 3],
                    ),
                ),
            ],
        },
    )
}

/// 2025 per member, in the order of [`JOINT_ORGANISATIONS`]: hours, (numerator, denominator),
/// meetings. Validated, as a bilan already reviewed.
const VALUES_2025: [(i64, (i64, i64), i64); 3] =
    [(1200, (18, 20), 2), (300, (3, 5), 1), (2100, (12, 25), 0)];

/// Loads the joint demo (idempotent): the three organisations and their demo accounts, the
/// carrier's plan, the members' linked plans and their 2025 values.
pub async fn load_joint(conn: &mut PgConnection) -> Result<DemoReport, DemoError> {
    let mut report = DemoReport {
        loaded: Vec::new(),
        already_there: Vec::new(),
    };
    let password_hash = auth::hash_password(super::DEMO_PASSWORD);
    let mut tx = conn.begin().await?;
    let mut organisations: Vec<OrganisationId> = Vec::new();
    for (slug, name, short_name, kind, accent) in JOINT_ORGANISATIONS {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO organisation (slug, name, short_name, kind, accent_color)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
               RETURNING id AS "id: OrganisationId""#,
            slug,
            name,
            short_name,
            kind,
            accent,
        )
        .fetch_one(&mut *tx)
        .await?;
        organisations.push(id);
    }
    let (header, draft) = joint_plan();
    let name = format!("{} — {}", JOINT_ORGANISATIONS[0].2, header.title);
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan WHERE organisation_id = $1 AND slug = $2) AS "exists!""#,
        organisations[0].get(),
        header.slug,
    )
    .fetch_one(&mut *tx)
    .await?;
    if exists {
        report.already_there.push(name);
    } else {
        let carrier = store::insert_plan(&mut tx, organisations[0], &header, &draft).await?;
        let mut plans: Vec<PlanId> = vec![carrier];
        for member in &organisations[1..] {
            let plan = shared::add_member(&mut tx, carrier, *member).await?;
            plans.push(plan);
        }
        for (plan, (hours, (numerator, denominator), meetings)) in plans.iter().zip(VALUES_2025) {
            let share = crate::domain::consolidate::share(
                Decimal::from(numerator),
                Decimal::from(denominator),
            );
            sqlx::query!(
                r#"INSERT INTO indicator_actual (indicator_id, year, value, numerator, denominator)
                   SELECT i.id, 2025, v.value, v.numerator, v.denominator
                     FROM indicator i JOIN (VALUES ('h', $2::numeric, NULL::numeric, NULL::numeric),
                                                   ('%', $3, $4, $5), ('rencontres', $6, NULL, NULL))
                          AS v(unit, value, numerator, denominator) ON v.unit = i.unit
                    WHERE i.plan_id = $1"#,
                plan.get(),
                Decimal::from(hours),
                share,
                Decimal::from(numerator),
                Decimal::from(denominator),
                Decimal::from(meetings),
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                r#"INSERT INTO action_review (action_id, year, state)
                   SELECT id, 2025, 'validated' FROM action WHERE plan_id = $1"#,
                plan.get()
            )
            .execute(&mut *tx)
            .await?;
        }
        report.loaded.push(name);
    }
    for (id, (slug, ..)) in organisations.iter().zip(JOINT_ORGANISATIONS) {
        ensure_demo_users(&mut tx, *id, slug, &password_hash).await?;
        // The demo pilot pilots the service named in the plan.
        sqlx::query!(
            r#"INSERT INTO membership_service (user_id, organisation_id, service_id)
               SELECT m.user_id, m.organisation_id, s.id
                 FROM membership m JOIN app_user u ON u.id = m.user_id
                 JOIN service s ON s.organisation_id = m.organisation_id AND s.name = $3
                WHERE m.organisation_id = $1 AND u.email = $2
               ON CONFLICT DO NOTHING"#,
            id.get(),
            super::demo_email("pilote", slug),
            SERVICE
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}
