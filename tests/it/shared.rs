//! A SPASER shared by several buyers (issue 20): a commune, its CCAS and its housing office share
//! one plan carried by the commune; each fills its own values; the consolidated bilan adds them up
//! where it makes sense and marks each objective per member and overall; no member reads or writes
//! another's values, and one member's lock locks only its own plan.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::support::{Client, Page, app, field_value, fresh_pool, normalise};
use spaser::demo::{JOINT_ORGANISATIONS, JOINT_PLAN};
use spaser::domain::format::quantity_fr;
use spaser::domain::ids::{OrganisationId, PlanId};

const CARRIER: &str = "fictiville";
const CCAS: &str = "ccas-fictiville";
const HABITAT: &str = "habitat-fictiville";

async fn joint_pool() -> PgPool {
    let pool = fresh_pool().await;
    let mut conn = pool.acquire().await.unwrap();
    let report = spaser::demo::load_joint(&mut conn).await.unwrap();
    assert_eq!(report.loaded.len(), 1, "{report:?}");
    // Loading again changes nothing.
    let again = spaser::demo::load_joint(&mut conn).await.unwrap();
    assert!(again.loaded.is_empty(), "{again:?}");
    drop(conn);
    pool
}

fn plan(organisation: &str) -> String {
    format!("/organisations/{organisation}/plans/{JOINT_PLAN}")
}

/// A member's indicator in its own plan, by unit.
async fn indicator_of(pool: &PgPool, organisation: &str, unit: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN plan p ON p.id = i.plan_id JOIN organisation o ON o.id = p.organisation_id
          WHERE o.slug = $1 AND p.slug = $2 AND i.unit = $3",
    )
    .bind(organisation)
    .bind(JOINT_PLAN)
    .bind(unit)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn stored(pool: &PgPool, indicator: i64, year: i32) -> Option<Decimal> {
    sqlx::query_scalar::<_, Option<Decimal>>(
        "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = $2",
    )
    .bind(indicator)
    .bind(year)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
    .map(|d| d.normalize())
}

/// The member's pilot fills its 2026 values on its own entry page: hours, a share given by its
/// counts, meetings (none when `None`).
async fn fill(
    app: &axum::Router,
    pool: &PgPool,
    organisation: &str,
    hours: &str,
    share: (&str, &str),
    meetings: Option<&str>,
) {
    let mut pilot = Client::signed_in(app, &format!("pilote@{organisation}.demo")).await;
    let entry = format!("{}/saisie/2026", plan(organisation));
    let page = pilot.get(&entry).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let h = indicator_of(pool, organisation, "h").await;
    let p = indicator_of(pool, organisation, "%").await;
    let m = indicator_of(pool, organisation, "rencontres").await;
    let version = |id: i64| field_value(&page, &format!("ver-{id}")).unwrap_or_else(|| "0".into());
    let mut fields: Vec<(String, String)> = vec![
        (format!("ver-{h}"), version(h)),
        (format!("v-{h}"), hours.into()),
        (format!("ver-{p}"), version(p)),
        (format!("n-{p}"), share.0.into()),
        (format!("d-{p}"), share.1.into()),
    ];
    if let Some(meetings) = meetings {
        fields.push((format!("ver-{m}"), version(m)));
        fields.push((format!("v-{m}"), meetings.into()));
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = pilot.post(&entry, &fields).await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{organisation}: {}",
        saved.body
    );
}

/// The consolidated table's row of an indicator: its cells' texts, normalised.
fn row(page: &Page, label_start: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(&page.body);
    let rows = scraper::Selector::parse("tr.spaser-consolidated-row").unwrap();
    let cells = scraper::Selector::parse("th, td").unwrap();
    document
        .select(&rows)
        .find(|r| {
            r.select(&cells).next().is_some_and(|th| {
                normalise(&th.text().collect::<String>()).starts_with(label_start)
            })
        })
        .unwrap_or_else(|| panic!("no row « {label_start} »"))
        .select(&cells)
        .map(|c| normalise(&c.text().collect::<String>()))
        .collect()
}

fn marks(page: &Page) -> Vec<Vec<String>> {
    let document = scraper::Html::parse_document(&page.body);
    let rows = scraper::Selector::parse("tr.spaser-objective-marks").unwrap();
    let badges = scraper::Selector::parse("td .spaser-status").unwrap();
    document
        .select(&rows)
        .map(|r| {
            r.select(&badges)
                .map(|b| normalise(&b.text().collect::<String>()))
                .collect()
        })
        .collect()
}

fn french(value: i64, unit: &str) -> String {
    normalise(&quantity_fr(Decimal::from(value), Some(unit)))
}

#[tokio::test]
async fn three_members_fill_their_values_and_the_carrier_reads_them_consolidated() {
    let pool = joint_pool().await;
    let app = app(&pool);
    // Targets 2026: 2 000 h, 80 %, 3 meetings, the same for every member.
    fill(&app, &pool, CARRIER, "2 100", ("9", "10"), Some("3")).await;
    fill(&app, &pool, CCAS, "1 700", ("17", "20"), Some("1")).await;
    fill(&app, &pool, HABITAT, "200", ("72", "80"), None).await;

    let mut committee = Client::signed_in(&app, &format!("comite@{CARRIER}.demo")).await;
    let page = committee
        .get(&format!("{}/consolide/2026", plan(CARRIER)))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let headers = page.texts("table.spaser-consolidated-indicators thead th");
    assert_eq!(
        headers[2..6],
        [
            "Fictiville",
            "CCAS Fictiville",
            "Fictiville Habitat",
            "Consolidé"
        ],
        "the members side by side, the carrier first"
    );

    // Hours add up.
    let hours = row(&page, "Heures d'insertion");
    assert!(hours[2].starts_with(&french(2100, "h")), "{hours:?}");
    assert!(hours[3].starts_with(&french(1700, "h")), "{hours:?}");
    assert!(hours[4].starts_with(&french(200, "h")), "{hours:?}");
    assert!(hours[5].starts_with(&french(4000, "h")), "{hours:?}");

    // A share is recomputed from the numerators and denominators: 98 out of 110 = 89,1 %, not
    // the average of 90 %, 85 % and 90 % (88,3 %).
    let share = row(&page, "Part des marchés");
    let expected = format!(
        "{} (98 sur 110)",
        normalise(&quantity_fr(Decimal::new(891, 1), Some("%")))
    );
    assert!(share[5].starts_with(&expected), "{share:?} vs {expected}");
    assert!(
        share[3].contains("17 / 20"),
        "each member's counts: {share:?}"
    );

    // Counts add up over those who gave them, and say so.
    let meetings = row(&page, "Rencontres");
    assert!(
        meetings[5].starts_with(&format!("{} (2 membres sur 3)", french(4, "rencontres"))),
        "{meetings:?}"
    );

    // Each objective marked per member and overall.
    assert_eq!(
        marks(&page),
        [
            vec![
                "Atteint",
                "Partiellement atteint",
                "Non atteint",
                "Partiellement atteint"
            ],
            vec!["Atteint", "Atteint", "Atteint", "Atteint"],
            vec![
                "Atteint",
                "Non atteint",
                "Non renseigné",
                "Partiellement atteint"
            ],
        ]
    );
    // The export names the member on each line, and the consolidated line.
    let (status, csv, _) = committee
        .get_bytes(&format!("{}/consolide/2026/consolide.csv", plan(CARRIER)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    let hours: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains("Heures d'insertion"))
        .collect();
    assert_eq!(hours.len(), 4, "{hours:?}");
    assert!(
        hours[1].starts_with("CCAS de Fictiville (démo fictive);") && hours[1].contains(";1700;"),
        "{hours:?}"
    );
    assert!(
        hours[3].starts_with("Ensemble (consolidé);") && hours[3].contains(";4000;"),
        "{hours:?}"
    );
    // The legal indicators, per member and for all of them.
    let legal = page.texts("table.spaser-consolidated-legal tbody th");
    assert_eq!(legal.len(), 7, "{legal:?}");

    // Each member's own bilan is a single buyer's: its own values only.
    let mut ccas_staff = Client::signed_in(&app, &format!("commande-publique@{CCAS}.demo")).await;
    let own = ccas_staff.get(&format!("{}/bilan/2026", plan(CCAS))).await;
    assert_eq!(own.status, StatusCode::OK);
    let body = normalise(&own.body);
    assert!(body.contains(&french(1700, "h")), "the CCAS's hours");
    assert!(!body.contains(&french(2100, "h")), "not the commune's");
}

#[tokio::test]
async fn a_members_people_never_read_or_write_another_members_values() {
    let pool = joint_pool().await;
    let app = app(&pool);
    let carrier_hours = indicator_of(&pool, CARRIER, "h").await;
    let before = stored(&pool, carrier_hours, 2025).await;
    assert_eq!(before, Some(Decimal::from(1200)));
    let mut ccas_pilot = Client::signed_in(&app, &format!("pilote@{CCAS}.demo")).await;

    // The commune's pages do not exist for the CCAS's people.
    for path in [
        plan(CARRIER),
        format!("{}/saisie/2025", plan(CARRIER)),
        format!("{}/bilan/2025", plan(CARRIER)),
        format!("{}/consolide/2025", plan(CARRIER)),
    ] {
        assert_eq!(
            ccas_pilot.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Writing the commune's value through the commune's form, or slipped into its own form.
    let written = ccas_pilot
        .post(
            &format!("{}/saisie/2026", plan(CARRIER)),
            &[
                (&format!("ver-{carrier_hours}"), "0"),
                (&format!("v-{carrier_hours}"), "1"),
            ],
        )
        .await;
    assert_eq!(written.status, StatusCode::NOT_FOUND);
    ccas_pilot.get(&format!("{}/saisie/2026", plan(CCAS))).await;
    ccas_pilot
        .post(
            &format!("{}/saisie/2026", plan(CCAS)),
            &[
                (&format!("ver-{carrier_hours}"), "0"),
                (&format!("v-{carrier_hours}"), "1"),
            ],
        )
        .await;
    assert_eq!(
        stored(&pool, carrier_hours, 2026).await,
        None,
        "nothing written"
    );
    assert_eq!(stored(&pool, carrier_hours, 2025).await, before);

    // Even the CCAS's administrator does not read the consolidated bilan (unpublished values of
    // the others); the commune's pilot neither; its committee does.
    let mut ccas_admin = Client::signed_in(&app, &format!("admin@{CCAS}.demo")).await;
    let path = format!("{}/consolide/2025", plan(CARRIER));
    assert_eq!(ccas_admin.get(&path).await.status, StatusCode::NOT_FOUND);
    let mut carrier_pilot = Client::signed_in(&app, &format!("pilote@{CARRIER}.demo")).await;
    assert_eq!(carrier_pilot.get(&path).await.status, StatusCode::FORBIDDEN);
    // The carrier opens it, for this plan only, to a person of the CCAS: she reads the
    // consolidated bilan and its export, nothing else of the carrier; closed again, it is gone.
    let mut carrier_admin = Client::signed_in(&app, &format!("admin@{CARRIER}.demo")).await;
    let members = format!("{}/membres", plan(CARRIER));
    carrier_admin.get(&members).await;
    let unknown = carrier_admin
        .post(
            &format!("{members}/lecteurs"),
            &[("email", "personne@ailleurs.fr")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.texts("#email-error")[0].contains("« personne@ailleurs.fr »"));
    assert_eq!(
        field_value(&unknown, "email").as_deref(),
        Some("personne@ailleurs.fr")
    );
    let opened = carrier_admin
        .post(
            &format!("{members}/lecteurs"),
            &[("email", &format!("admin@{CCAS}.demo"))],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let page = carrier_admin.get(&members).await;
    assert_eq!(page.texts(".spaser-readers li").len(), 1);
    assert_eq!(ccas_admin.get(&path).await.status, StatusCode::OK);
    assert_eq!(
        ccas_admin
            .get(&format!("{path}/consolide.csv"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        ccas_admin.get(&plan(CARRIER)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ccas_admin
            .get(&format!("/organisations/{CARRIER}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let revoke = page.attrs(".spaser-readers form", "action")[0].clone();
    assert_eq!(
        carrier_admin.post(&revoke, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(ccas_admin.get(&path).await.status, StatusCode::NOT_FOUND);

    // Granted the carrier's committee role, the CCAS's administrator reads it.
    let ccas_admin_id: i64 = sqlx::query_scalar(&format!(
        "SELECT id FROM app_user WHERE email = 'admin@{CCAS}.demo'"
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO membership (user_id, organisation_id, role)
         SELECT $1, id, 'committee' FROM organisation WHERE slug = $2",
    )
    .bind(ccas_admin_id)
    .bind(CARRIER)
    .execute(&pool)
    .await
    .unwrap();
    let mut granted = Client::signed_in(&app, &format!("admin@{CCAS}.demo")).await;
    assert_eq!(granted.get(&path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn one_members_lock_does_not_lock_the_others() {
    let pool = joint_pool().await;
    let app = app(&pool);
    fill(&app, &pool, CCAS, "1 700", ("17", "20"), Some("1")).await;
    let mut ccas_staff = Client::signed_in(&app, &format!("commande-publique@{CCAS}.demo")).await;
    let entry = format!("{}/saisie/2026", plan(CCAS));
    ccas_staff.get(&entry).await;
    let locked = ccas_staff
        .post(
            &format!("{entry}/verrou"),
            &[("verrou", "verrouiller"), ("confirmer", "oui")],
        )
        .await;
    assert_eq!(locked.status, StatusCode::SEE_OTHER, "{}", locked.body);

    // The CCAS's 2026 refuses changes; the commune and the office still fill theirs.
    let ccas_hours = indicator_of(&pool, CCAS, "h").await;
    let refused = sqlx::query(
        "UPDATE indicator_actual SET value = 1 WHERE indicator_id = $1 AND year = 2026",
    )
    .bind(ccas_hours)
    .execute(&pool)
    .await;
    assert!(refused.is_err(), "the CCAS's 2026 is locked");
    fill(&app, &pool, CARRIER, "2 100", ("9", "10"), Some("3")).await;
    fill(&app, &pool, HABITAT, "200", ("72", "80"), None).await;
    let carrier_hours = indicator_of(&pool, CARRIER, "h").await;
    assert_eq!(
        stored(&pool, carrier_hours, 2026).await,
        Some(Decimal::from(2100))
    );
    let locks: Vec<String> = sqlx::query_scalar(
        "SELECT o.slug FROM plan_year_lock l JOIN plan p ON p.id = l.plan_id
           JOIN organisation o ON o.id = p.organisation_id WHERE l.year = 2026",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(locks, [CCAS]);

    // The consolidated bilan says whose 2026 is validated.
    let mut committee = Client::signed_in(&app, &format!("comite@{CARRIER}.demo")).await;
    let page = committee
        .get(&format!("{}/consolide/2026", plan(CARRIER)))
        .await;
    let states: Vec<String> = page
        .texts(
            "table.spaser-consolidated-summary tbody tr.spaser-member-row td:first-of-type .badge",
        )
        .iter()
        .map(|s| normalise(s))
        .collect();
    assert_eq!(states.len(), 3, "{states:?}");
    assert_eq!(states[0], "Provisoire");
    assert!(states[1].starts_with("Validé le"), "{states:?}");
    assert_eq!(states[2], "Provisoire");
}

async fn ids(pool: &PgPool, organisation: &str) -> (OrganisationId, PlanId) {
    let (org, plan): (i64, i64) = sqlx::query_as(
        "SELECT o.id, p.id FROM plan p JOIN organisation o ON o.id = p.organisation_id
          WHERE o.slug = $1 AND p.slug = $2",
    )
    .bind(organisation)
    .bind(JOINT_PLAN)
    .fetch_one(pool)
    .await
    .unwrap();
    (OrganisationId(org), PlanId(plan))
}

async fn labels(pool: &PgPool, organisation: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT i.label FROM indicator i JOIN plan p ON p.id = i.plan_id JOIN organisation o ON o.id = p.organisation_id
          WHERE o.slug = $1 AND p.slug = $2 ORDER BY i.id",
    )
    .bind(organisation)
    .bind(JOINT_PLAN)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn members_follow_the_carriers_structure_and_cannot_change_it() {
    let pool = joint_pool().await;
    let (carrier_org, carrier) = ids(&pool, CARRIER).await;
    let (ccas_org, ccas) = ids(&pool, CCAS).await;
    // The CCAS locks 2025, which holds its values.
    sqlx::query(
        "INSERT INTO plan_year_lock (plan_id, year, locked_by)
         SELECT $1, 2025, id FROM app_user WHERE email = 'commande-publique@ccas-fictiville.demo'",
    )
    .bind(ccas.get())
    .execute(&pool)
    .await
    .unwrap();

    // The carrier re-imports its plan: the hours renamed, the meetings gone, a new indicator.
    let (_, mut draft) = spaser::demo::joint_plan();
    draft.objectives[0].actions[0].indicators[0].label = "Heures d'insertion (tous marchés)".into();
    draft.objectives[2].actions[0].indicators.clear();
    draft.objectives[1].actions[0]
        .indicators
        .push(spaser::domain::model::IndicatorDraft {
            label: "Véhicules propres achetés".into(),
            unit: Some("véhicules".into()),
            ..Default::default()
        });
    let mut tx = pool.begin().await.unwrap();
    spaser::plans::store::sync_plan(&mut tx, carrier_org, carrier, &draft, true)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let expected = [
        "Heures d'insertion (tous marchés)",
        "Part des marchés notifiés avec une considération environnementale",
        "Véhicules propres achetés",
    ];
    for organisation in [CARRIER, HABITAT] {
        let mut got = labels(&pool, organisation).await;
        got.sort();
        assert_eq!(got, expected, "{organisation} follows the carrier");
    }
    // The CCAS's meetings hold a value of its locked 2025: kept, marked as removed.
    let mut got = labels(&pool, CCAS).await;
    got.sort();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.contains(&"Rencontres d'entreprises organisées".to_string()));
    let (source, value): (Option<i64>, Option<Decimal>) = sqlx::query_as(
        "SELECT i.source_indicator_id, v.value FROM indicator i
           LEFT JOIN indicator_actual v ON v.indicator_id = i.id AND v.year = 2025
          WHERE i.plan_id = $1 AND i.unit = 'rencontres'",
    )
    .bind(ccas.get())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (source, value),
        (None, Some(Decimal::from(1))),
        "kept, no longer the carrier's"
    );
    // Values stay with their indicators.
    let ccas_hours = indicator_of(&pool, CCAS, "h").await;
    assert_eq!(
        stored(&pool, ccas_hours, 2025).await,
        Some(Decimal::from(300))
    );
    // The new indicator's pilots are the member's own service of the same name.
    let pilots: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_pilot ap JOIN action a ON a.id = ap.action_id
           JOIN service s ON s.id = ap.service_id
          WHERE a.plan_id = $1 AND s.organisation_id = $2",
    )
    .bind(ccas.get())
    .bind(ccas_org.get())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(pilots >= 2, "{pilots}");

    // A member re-importing its plan is refused, in French, nothing written.
    let mut tx = pool.begin().await.unwrap();
    let refused = spaser::plans::store::sync_plan(&mut tx, ccas_org, ccas, &draft, true).await;
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("plan partagé porté par une autre organisation"),
        "{message}"
    );
}

#[tokio::test]
async fn the_carriers_administrator_associates_an_organisation_and_the_public_reads_the_published_bilans()
 {
    let pool = joint_pool().await;
    sqlx::query(
        "INSERT INTO organisation (slug, name, short_name) VALUES ('sivu-fictif', 'SIVU fictif (démo)', 'SIVU fictif')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, &format!("admin@{CARRIER}.demo")).await;
    let members = format!("{}/membres", plan(CARRIER));
    let page = admin.get(&members).await;
    assert_eq!(page.status, StatusCode::OK);
    let listed: Vec<String> = page.texts("tr.spaser-member-row th");
    assert_eq!(
        listed,
        JOINT_ORGANISATIONS
            .iter()
            .map(|o| o.1.to_string())
            .collect::<Vec<_>>()
    );

    // An unknown address: said beside the field, the input kept.
    let refused = admin.post(&members, &[("organisation", "inconnue")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.texts("#organisation-error")[0].contains("« inconnue »"));
    assert_eq!(
        field_value(&refused, "organisation").as_deref(),
        Some("inconnue")
    );
    let again = admin.post(&members, &[("organisation", CCAS)]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.texts("#organisation-error")[0].contains("déjà membre"));

    let added = admin
        .post(&members, &[("organisation", "sivu-fictif")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let created: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM indicator i JOIN plan p ON p.id = i.plan_id JOIN organisation o ON o.id = p.organisation_id
          WHERE o.slug = 'sivu-fictif' AND p.shared_from_plan_id IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(created, 3, "the new member's plan follows the shared plan");

    // A member's administrator sees whom its plan follows, and may add no one.
    let mut ccas_admin = Client::signed_in(&app, &format!("admin@{CCAS}.demo")).await;
    let follows = ccas_admin.get(&format!("{}/membres", plan(CCAS))).await;
    let said = normalise(&follows.texts(".alert-info p").join(" "));
    assert!(said.contains("porté par Commune de Fictiville"), "{said}");
    assert!(follows.texts("#organisation").is_empty());

    // Unpublished: not found. Published: the consolidated bilan shows the validated 2025 values
    // and links the members' published bilans.
    let public = format!("/public/{CARRIER}/{JOINT_PLAN}/consolide/2025");
    let mut visitor = Client::new(&app);
    assert_eq!(visitor.get(&public).await.status, StatusCode::NOT_FOUND);
    sqlx::query("UPDATE plan SET published_at = now() WHERE slug = $1")
        .bind(JOINT_PLAN)
        .execute(&pool)
        .await
        .unwrap();
    let page = visitor.get(&public).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let hours = row(&page, "Heures d'insertion");
    let total = hours.last().unwrap();
    assert!(
        total.starts_with(&format!("{} (3 membres sur 4)", french(3600, "h"))),
        "{hours:?}"
    );
    let links = page.attrs("table.spaser-consolidated-summary a", "href");
    assert!(
        links.contains(&format!("/public/{CCAS}/{JOINT_PLAN}/bilan/2025")),
        "{links:?}"
    );
}

#[tokio::test]
async fn the_plan_pages_name_the_members_and_link_the_consolidated_bilan() {
    let pool = joint_pool().await;
    let app = app(&pool);
    let mut committee = Client::signed_in(&app, &format!("comite@{CARRIER}.demo")).await;
    let page = committee
        .get(&format!("{}?annee=2025", plan(CARRIER)))
        .await;
    assert_eq!(
        page.texts(".spaser-sharing-members li")
            .iter()
            .map(|t| normalise(t))
            .collect::<Vec<_>>(),
        JOINT_ORGANISATIONS
            .iter()
            .map(|o| o.1.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        page.attrs(".spaser-sharing a", "href"),
        [format!("{}/consolide/2025", plan(CARRIER))]
    );
    // The public reads the published plan's members and their published bilans.
    sqlx::query("UPDATE plan SET published_at = now() WHERE slug = $1")
        .bind(JOINT_PLAN)
        .execute(&pool)
        .await
        .unwrap();
    let mut visitor = Client::new(&app);
    let public = visitor
        .get(&format!("/public/{CARRIER}/{JOINT_PLAN}?annee=2025"))
        .await;
    let links = public.attrs(".spaser-sharing a", "href");
    assert!(
        links.contains(&format!("/public/{HABITAT}/{JOINT_PLAN}/bilan/2025")),
        "{links:?}"
    );
    assert!(
        links.contains(&format!("/public/{CARRIER}/{JOINT_PLAN}/consolide/2025")),
        "{links:?}"
    );
    // A member's plan says whom it follows.
    let mut ccas = Client::signed_in(&app, &format!("pilote@{CCAS}.demo")).await;
    let page = ccas.get(&plan(CCAS)).await;
    let said = normalise(&page.texts(".spaser-sharing p").join(" "));
    assert!(said.contains("porté par Commune de Fictiville"), "{said}");
    assert!(
        page.attrs(".spaser-sharing a", "href")
            .iter()
            .all(|h| !h.contains("consolide"))
    );
}

/// The structure editor on a shared plan: the carrier's changes reach every member in the same
/// transaction; a member's administrator cannot edit the structure it follows.
#[tokio::test]
async fn the_carriers_editor_changes_reach_the_members() {
    let pool = joint_pool().await;
    let app = crate::support::app(&pool);
    let mut carrier = Client::signed_in(&app, &format!("admin@{CARRIER}.demo")).await;
    let structure = format!("{}/structure", plan(CARRIER));
    let action: i64 = sqlx::query_scalar(
        "SELECT a.id FROM action a JOIN plan p ON p.id = a.plan_id JOIN organisation o ON o.id = p.organisation_id
          WHERE o.slug = $1 AND p.slug = $2 ORDER BY a.id LIMIT 1",
    )
    .bind(CARRIER)
    .bind(JOINT_PLAN)
    .fetch_one(&pool)
    .await
    .unwrap();
    let added = carrier
        .post(
            &format!("{structure}/indicateurs/nouveau"),
            &[
                ("parent", &action.to_string()),
                ("label", "Repas issus de circuits courts"),
                ("kind", "quantitative"),
                ("unit", "repas"),
                ("direction", "up"),
                ("threshold", "80"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    for member in [CARRIER, CCAS, HABITAT] {
        assert!(
            labels(&pool, member)
                .await
                .contains(&"Repas issus de circuits courts".to_string()),
            "{member} follows the carrier"
        );
    }
    let mut member = Client::signed_in(&app, &format!("admin@{CCAS}.demo")).await;
    let refused = member.get(&format!("{}/structure", plan(CCAS))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = member.get(&plan(CCAS)).await;
    assert!(page.texts("a").iter().all(|a| a != "Modifier la structure"));
}
