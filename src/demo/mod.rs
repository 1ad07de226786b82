//! The demo data: the two real documents of `shared/seeds`, shipped with the application.
//!
//! - The housing office's plan 2025–2027 is read from its spreadsheet export (a byte-for-byte
//!   copy of the seed) by the same reader a user's import goes through.
//! - Grand-Orly Seine Bièvre's plan and its 2024 bilan are a faithful transcription of the
//!   bilan's tables into `gosb-bilan-2024.toml`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::{Acquire, PgConnection};

use crate::auth;
use crate::domain::account::Role;
use crate::domain::ids::{OrganisationId, ServiceId};
use crate::domain::model::{
    ActionDraft, Direction, IndicatorDraft, IndicatorKind, ObjectiveDraft, ObjectiveTerm,
    PlanDraft, PlanHeader, YearValue,
};
use crate::domain::sheet::{self, SheetError};
use crate::plans::store;

mod joint;
pub use joint::{JOINT_ORGANISATIONS, JOINT_PLAN, joint_plan, load_joint};

/// The office's plan, as exported from its spreadsheet.
pub const OFFICE_TSV: &str = include_str!("office-spaser-action-plan-2025-2027.tsv");
/// GOSB's plan and 2024 bilan, transcribed.
pub const GOSB_TOML: &str = include_str!("gosb-bilan-2024.toml");

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("lecture du plan de l'office : {0}")]
    Sheet(#[from] SheetError),
    #[error("lecture du bilan GOSB : {0}")]
    Toml(#[from] toml::de::Error),
    #[error("base de données : {0}")]
    Db(#[from] sqlx::Error),
    #[error("plan partagé : {0}")]
    Shared(#[from] crate::plans::shared::MemberError),
}

/// One demo organisation with its plan.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub organisation_slug: &'static str,
    pub organisation_name: String,
    pub organisation_short_name: String,
    pub organisation_kind: &'static str,
    /// A fictitious accent colour (six hex digits), to show an organisation's identity.
    pub organisation_accent: &'static str,
    pub header: PlanHeader,
    pub draft: PlanDraft,
    /// The values are those of a bilan already published: validated, so the public reads them
    /// once the plan is published.
    pub validated: bool,
}

pub fn office_plan() -> Result<DemoPlan, DemoError> {
    let (first_year, last_year) = (2025, 2027);
    let reading = sheet::read_plan(&sheet::split_tsv(OFFICE_TSV), first_year, last_year)?;
    Ok(DemoPlan {
        organisation_slug: "office-habitat",
        // The export does not name the office; it calls itself « l'Office ».
        organisation_name: "Office public de l'habitat".into(),
        organisation_short_name: "Office public de l'habitat".into(),
        organisation_kind: "Office public de l'habitat",
        organisation_accent: "2b5d34",
        header: PlanHeader {
            slug: "spaser-2025-2027".into(),
            title: "SPASER 2025-2027 : plan d'actions".into(),
            first_year,
            last_year,
            adopted_on: NaiveDate::from_ymd_opt(2025, 9, 16),
            objective_term: ObjectiveTerm::Objectif,
        },
        draft: reading.draft,
        validated: false,
    })
}

#[derive(Debug, Deserialize)]
struct GosbFile {
    organisation: GosbOrganisation,
    plan: GosbPlan,
    fiches: Vec<GosbFiche>,
}

#[derive(Debug, Deserialize)]
struct GosbOrganisation {
    name: String,
    short_name: String,
}

#[derive(Debug, Deserialize)]
struct GosbPlan {
    title: String,
    first_year: i32,
    last_year: i32,
    /// The year of the bilan that the narratives belong to.
    bilan_year: i32,
}

#[derive(Debug, Deserialize)]
struct GosbFiche {
    code: String,
    label: String,
    actions: Vec<GosbAction>,
}

#[derive(Debug, Deserialize)]
struct GosbAction {
    label: String,
    #[serde(default)]
    narrative: Option<String>,
    #[serde(default)]
    indicators: Vec<GosbIndicator>,
}

#[derive(Debug, Deserialize)]
struct GosbIndicator {
    label: String,
    #[serde(default)]
    kind: Option<IndicatorKind>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    direction: Direction,
    #[serde(default)]
    targets: Vec<GosbValue>,
    #[serde(default)]
    actuals: Vec<GosbValue>,
}

#[derive(Debug, Deserialize)]
struct GosbValue {
    year: i32,
    #[serde(default)]
    value: Option<Decimal>,
    #[serde(default)]
    text: Option<String>,
}

impl From<GosbValue> for YearValue {
    fn from(v: GosbValue) -> Self {
        YearValue {
            year: v.year,
            value: v.value,
            text: v.text.map(|t| t.trim().to_string()),
        }
    }
}

pub fn gosb_plan() -> Result<DemoPlan, DemoError> {
    let file: GosbFile = toml::from_str(GOSB_TOML)?;
    let bilan_year = file.plan.bilan_year;
    let objectives = file
        .fiches
        .into_iter()
        .map(|fiche| ObjectiveDraft {
            axis: None,
            code: fiche.code,
            label: fiche.label,
            actions: fiche
                .actions
                .into_iter()
                .map(|action| ActionDraft {
                    code: None,
                    label: action.label.trim().to_string(),
                    pilots: Vec::new(),
                    narratives: action
                        .narrative
                        .map(|n| vec![(bilan_year, n.trim().to_string())])
                        .unwrap_or_default(),
                    indicators: action
                        .indicators
                        .into_iter()
                        .map(|i| IndicatorDraft {
                            label: i.label,
                            kind: i.kind,
                            unit: i.unit,
                            direction: i.direction,
                            targets: i.targets.into_iter().map(YearValue::from).collect(),
                            actuals: i.actuals.into_iter().map(YearValue::from).collect(),
                            ..IndicatorDraft::default()
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(DemoPlan {
        organisation_slug: "grand-orly-seine-bievre",
        organisation_name: file.organisation.name,
        organisation_short_name: file.organisation.short_name,
        organisation_kind: "Établissement public territorial",
        organisation_accent: "5a2d82",
        header: PlanHeader {
            slug: format!("spaser-{}-{}", file.plan.first_year, file.plan.last_year),
            title: file.plan.title,
            first_year: file.plan.first_year,
            last_year: file.plan.last_year,
            adopted_on: None,
            objective_term: ObjectiveTerm::FicheAction,
        },
        draft: PlanDraft {
            axes: Vec::new(),
            objectives,
        },
        validated: true,
    })
}

/// The password of every demo account (documented in the README; demo data only).
pub const DEMO_PASSWORD: &str = "demo-spaser-2025";

/// One account per role for each demo organisation: (e-mail local part, name, role, services).
const DEMO_USERS: [(&str, &str, Role, &[&str]); 4] = [
    ("admin", "Administrateur (démo)", Role::Admin, &[]),
    (
        "commande-publique",
        "Commande publique (démo)",
        Role::Procurement,
        &[],
    ),
    ("pilote", "Pilote (démo)", Role::Pilot, &["DSI"]),
    ("comite", "Comité de suivi (démo)", Role::Committee, &[]),
];

/// The e-mail of a demo account: `admin@office-habitat.demo`.
pub fn demo_email(local: &str, organisation_slug: &str) -> String {
    format!("{local}@{organisation_slug}.demo")
}

/// Creates the demo accounts of an organisation that are missing. The pilot pilots the
/// services named in [`DEMO_USERS`] that the organisation has (GOSB's bilan names no services).
async fn ensure_demo_users(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    organisation_slug: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    for (local, name, role, service_names) in DEMO_USERS {
        let email = demo_email(local, organisation_slug);
        let names: Vec<String> = service_names.iter().map(|s| s.to_string()).collect();
        let services: Vec<ServiceId> = sqlx::query_scalar!(
            r#"SELECT id AS "id: ServiceId" FROM service WHERE organisation_id = $1 AND name = ANY($2)"#,
            organisation_id.get(),
            &names
        )
        .fetch_all(&mut *conn)
        .await?;
        let new = auth::NewUser {
            email: &email,
            display_name: name,
            password_hash: Some(password_hash),
            organisation_id,
            role,
            services: &services,
        };
        match auth::create_user(conn, &new).await {
            Ok(_)
            | Err(auth::CreateUserError::EmailTaken | auth::CreateUserError::AwaitingActivation) => {
            }
            Err(auth::CreateUserError::Db(e)) => return Err(e),
        }
    }
    Ok(())
}

/// What loading the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub loaded: Vec<String>,
    pub already_there: Vec<String>,
}

/// Loads both demo plans, each in one transaction. Plans already present are left as they are,
/// so loading twice changes nothing.
pub async fn load(conn: &mut PgConnection) -> Result<DemoReport, DemoError> {
    let mut report = DemoReport {
        loaded: Vec::new(),
        already_there: Vec::new(),
    };
    // One hash for all demo accounts: they share their password anyway.
    let password_hash = auth::hash_password(DEMO_PASSWORD);
    for demo in [office_plan()?, gosb_plan()?] {
        let mut tx = conn.begin().await?;
        let organisation_id = sqlx::query_scalar!(
            r#"INSERT INTO organisation (slug, name, short_name, kind, accent_color)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
               RETURNING id AS "id: OrganisationId""#,
            demo.organisation_slug,
            demo.organisation_name,
            demo.organisation_short_name,
            demo.organisation_kind,
            demo.organisation_accent,
        )
        .fetch_one(&mut *tx)
        .await?;
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM plan WHERE organisation_id = $1 AND slug = $2) AS "exists!""#,
            organisation_id.get(),
            demo.header.slug,
        )
        .fetch_one(&mut *tx)
        .await?;
        let name = format!("{} — {}", demo.organisation_short_name, demo.header.title);
        if exists {
            report.already_there.push(name);
        } else {
            let plan_id =
                store::insert_plan(&mut tx, organisation_id, &demo.header, &demo.draft).await?;
            if demo.validated {
                // Every action's year with values, as the published bilan gave them.
                sqlx::query!(
                    r#"INSERT INTO action_review (action_id, year, state)
                       SELECT i.action_id, v.year, 'validated' FROM indicator_actual v
                         JOIN indicator i ON i.id = v.indicator_id WHERE v.plan_id = $1
                       UNION
                       SELECT n.action_id, n.year, 'validated' FROM action_narrative n WHERE n.plan_id = $1"#,
                    plan_id.get()
                )
                .execute(&mut *tx)
                .await?;
            }
            report.loaded.push(name);
        }
        ensure_demo_users(
            &mut tx,
            organisation_id,
            demo.organisation_slug,
            &password_hash,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Whether the database holds no organisation yet (a first run).
pub async fn is_empty(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let any = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM organisation) AS "any!""#)
        .fetch_one(conn)
        .await?;
    Ok(!any)
}
