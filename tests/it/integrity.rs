//! Data integrity and rights, as an attacker probes them: a locked year and the history survive
//! every path that deletes, CSV exports carry no formula, a pilot writes only the indicators
//! they pilot, numbers too large or badly grouped are refused, years and links are validated,
//! and the public sees only validated values through a cache no visitor can bypass.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sqlx::PgPool;
use tower::ServiceExt;

use crate::import::upload;
use crate::support::{
    Client, Page, action_id, actual, app, demo_pool, field_value, indicator, normalise,
    publish_office,
};

const PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";
const PUBLIC: &str = "/public/office-habitat/spaser-2025-2027";

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// What a plan holds, to compare before and after a refused change.
async fn snapshot(pool: &PgPool) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT count(*) FROM objective",
        "SELECT count(*) FROM action",
        "SELECT count(*) FROM indicator",
        "SELECT count(*) FROM indicator_target",
        "SELECT count(*) FROM indicator_actual",
        "SELECT count(*) FROM action_narrative",
        "SELECT count(*) FROM action_review",
        "SELECT count(*) FROM change_log",
        "SELECT count(*) FROM plan_year_lock",
    ] {
        out.push(scalar(pool, sql).await);
    }
    out
}

// Item 5: a locked year is never destroyed, whatever the path; history outlives what it describes.
#[tokio::test]
async fn a_locked_year_survives_a_re_import_and_every_delete() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    let reserved = indicator(&pool, "6").await;
    let action15 = action_id(&pool, "15").await;

    // 2025 entered, then locked.
    staff.get(ENTRY).await;
    let saved = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), "0"),
                (&format!("v-{hours}"), "10 500"),
                (&format!("ver-{reserved}"), "0"),
                (&format!("v-{reserved}"), "5"),
                (&format!("rver-{action15}"), "0"),
                (
                    &format!("r-{action15}"),
                    "Doctrine achat présentée au comité.",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    staff.get(ENTRY).await;
    assert_eq!(
        staff
            .post(
                &format!("{ENTRY}/verrou"),
                &[("verrou", "verrouiller"), ("confirmer", "oui")],
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let before = snapshot(&pool).await;

    // A one-row file re-imported into the plan, removals confirmed: refused, naming what is
    // locked, and nothing written.
    let one_row = "N° AXE;AXE;N° Objectif;OBJECTIFS;N° ACTION;ACTIONS;Indicateurs;Type d'indicateur;Valeurs cibles;Qui pilote cet indicateur ?\n\
                   1;ECONOMIQUE;1;Informer les entreprises;1;Organiser une réunion;Nombre de réunions;Quanti (chiffre);2025: 1 2026: 1 2027: 1;Service Commande Publique\n";
    admin.get("/organisations/office-habitat/import").await;
    let sent = upload(
        &mut admin,
        "office-habitat",
        one_row.as_bytes(),
        "plan.csv",
        &[("plan", "spaser-2025-2027")],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let path = sent.location().unwrap().to_string();
    let preview = admin.get(&path).await;
    assert!(!preview.texts(".spaser-import-removed li").is_empty());
    let refused = admin.post(&path, &[("confirmer_retraits", "oui")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused.texts(".alert-error p").join(" ");
    assert!(message.contains("2025"), "{message}");
    assert!(message.contains("verrouillée"), "{message}");
    assert!(
        message.contains("Action 5"),
        "names the locked item: {message}"
    );
    assert!(
        message.contains("Action 6"),
        "names every locked item: {message}"
    );
    assert!(message.contains("Action 15"), "a narrative too: {message}");
    assert!(message.contains("Rien n'a été enregistré"), "{message}");
    assert_eq!(snapshot(&pool).await, before, "nothing written");

    // Every other path that deletes is refused by the database itself.
    for sql in [
        "DELETE FROM indicator WHERE id = (SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '5')",
        "DELETE FROM action WHERE code = '15'",
        "DELETE FROM objective WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')",
        "DELETE FROM axis WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')",
        "DELETE FROM plan WHERE slug = 'spaser-2025-2027'",
        "DELETE FROM organisation WHERE slug = 'office-habitat'",
        "UPDATE indicator_actual SET year = 2026 WHERE year = 2025",
        "DELETE FROM indicator_target WHERE year = 2025 AND indicator_id = (SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '6')",
        "DELETE FROM change_log",
        "UPDATE change_log SET after = 'effacé'",
    ] {
        let result = sqlx::query(sql).execute(&pool).await;
        assert!(result.is_err(), "refused: {sql}");
    }
    assert_eq!(snapshot(&pool).await, before, "nothing lost");

    // Unlocked, the same removal goes through; the history stays, with its labels.
    staff.get(ENTRY).await;
    assert_eq!(
        staff
            .post(&format!("{ENTRY}/verrou"), &[("verrou", "deverrouiller")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let history = scalar(&pool, "SELECT count(*) FROM change_log").await;
    let preview = admin.get(&path).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert_eq!(
        admin
            .post(&path, &[("confirmer_retraits", "oui")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM indicator WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')").await,
        1,
        "unlocked, the removal goes through"
    );
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM change_log").await,
        history,
        "no history line lost with the items"
    );
    let labels: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT field, indicator_label, action_label FROM change_log WHERE field = 'Valeur réalisée' OR field = 'Mis en œuvre' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        labels.iter().any(|(f, i, _)| f == "Valeur réalisée"
            && i.as_deref()
                .is_some_and(|l| l.starts_with("Nombre d'heures d'insertion"))),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|(f, _, a)| f == "Mis en œuvre"
            && a.as_deref().is_some_and(|l| l.starts_with("Action 15 — "))),
        "{labels:?}"
    );
    // Even the whole plan, once no year of it is locked: its history stays.
    sqlx::query("DELETE FROM plan WHERE slug = 'spaser-2025-2027'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM change_log").await,
        history
    );
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM change_log WHERE plan_title = 'SPASER 2025-2027 : plan d''actions'").await,
        history
    );
}

fn csv_cells(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes)
        .unwrap()
        .trim_start_matches('\u{FEFF}');
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// No cell begins with what a spreadsheet reads as a formula.
fn assert_no_formula(name: &str, rows: &[Vec<String>]) {
    for row in rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{name}: a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
}

// Item 6: formulas typed by users or carried by an imported file are neutralised in every CSV.
#[tokio::test]
async fn csv_exports_carry_no_formula() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    // A plan whose file carries formulas in its labels and pilots.
    let hostile = "N° AXE;AXE;N° Objectif;OBJECTIFS;N° ACTION;ACTIONS;Indicateurs;Type d'indicateur;Valeurs cibles;Qui pilote cet indicateur ?\n\
                   1;=HYPERLINK(\"http://pirate.example/\",\"Cliquez\");1;+SUM(1,2);1;@SUM(A1:A9);-2+3+cmd|' /C calc'!A0;Quanti (chiffre);2025: 5 2026: 6;=1+1\n";
    admin.get("/organisations/office-habitat/import").await;
    let sent = upload(
        &mut admin,
        "office-habitat",
        hostile.as_bytes(),
        "piege.csv",
        &[
            ("titre", "Plan piégé"),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2026"),
        ],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let committed = admin.post(sent.location().unwrap(), &[]).await;
    assert_eq!(
        committed.status,
        StatusCode::SEE_OTHER,
        "{}",
        committed.body
    );
    let plan = "/organisations/office-habitat/plans/plan-piege";
    let id = sqlx::query_scalar::<_, i64>(
        "SELECT i.id FROM indicator i JOIN plan p ON p.id = i.plan_id WHERE p.slug = 'plan-piege'",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
    .to_string();
    let action = sqlx::query_scalar::<_, i64>(
        "SELECT a.id FROM action a JOIN plan p ON p.id = a.plan_id WHERE p.slug = 'plan-piege'",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
    .to_string();
    // Texts typed in the entry form, validated, the plan published.
    let entry = format!("{plan}/saisie/2025");
    staff.get(&entry).await;
    let saved = staff
        .post(
            &entry,
            &[
                (&format!("ver-{id}"), "0"),
                (&format!("v-{id}"), "5"),
                (
                    &format!("t-{id}"),
                    "=IMPORTXML(\"http://pirate.example/\";\"//a\")",
                ),
                (&format!("c-{id}"), "+33 1 23 45 67 89"),
                (&format!("rver-{action}"), "0"),
                (&format!("r-{action}"), "@cmd"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    staff.get(&entry).await;
    assert_eq!(
        staff
            .post(
                &format!("{entry}/actions/{action}/circuit"),
                &[("transition", "valider")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    admin.get(plan).await;
    assert_eq!(
        admin
            .post(
                &format!("{plan}/publication"),
                &[("publication", "publier")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    let mut visitor = Client::new(&app);
    for (name, client, path) in [
        (
            "bilan.csv (membres)",
            &mut staff,
            format!("{plan}/bilan/2025/bilan.csv"),
        ),
        (
            "bilan.csv (public)",
            &mut visitor,
            "/public/office-habitat/plan-piege/bilan/2025/bilan.csv".to_string(),
        ),
        ("plan.csv", &mut admin, format!("{plan}/export/plan.csv")),
    ] {
        let (status, bytes, _) = client.get_bytes(&path).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let rows = csv_cells(&bytes);
        assert_no_formula(name, &rows);
        let all: Vec<&String> = rows.iter().flatten().collect();
        assert!(
            all.iter().any(|c| c.as_str() == "'-2+3+cmd|' /C calc'!A0"),
            "{name}: the text is kept, quoted: {all:?}"
        );
        assert!(all.iter().any(|c| c.as_str() == "'@SUM(A1:A9)"), "{name}");
        if name.starts_with("bilan") {
            assert!(
                all.iter()
                    .any(|c| c.as_str() == "'=IMPORTXML(\"http://pirate.example/\";\"//a\")"),
                "{name}: {all:?}"
            );
            assert!(all.iter().any(|c| c.as_str() == "'@cmd"), "{name}");
        }
    }
    // The plan's CSV still reads back as the same plan.
    let (_, bytes, _) = admin.get_bytes(&format!("{plan}/export/plan.csv")).await;
    let rows = spaser::import::read_table(&bytes, "plan.csv").unwrap();
    let draft = spaser::domain::sheet::read_plan(&rows, 2025, 2026)
        .unwrap()
        .draft;
    let action = &draft.objectives[0].actions[0];
    assert_eq!(draft.objectives[0].label, "+SUM(1,2)");
    assert_eq!(action.label, "@SUM(A1:A9)");
    assert_eq!(action.indicators[0].label, "-2+3+cmd|' /C calc'!A0");
}

// Item 9: an indicator with pilots of its own is written only by them (and procurement staff).
#[tokio::test]
async fn a_pilot_cannot_write_another_services_indicator_of_their_action() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let dsi = indicator(&pool, "10").await;
    let action10 = action_id(&pool, "10").await;
    // Action 10 gets a second indicator, piloted by the DRH alone.
    let drh: i64 = sqlx::query_scalar(
        r#"WITH s AS (SELECT id FROM service WHERE name = 'DRH'),
                i AS (INSERT INTO indicator (plan_id, action_id, position, label, unit)
                      SELECT plan_id, id, 2, 'Agents formés au réemploi', 'agents' FROM action WHERE id = $1::bigint
                      RETURNING id)
           INSERT INTO indicator_pilot (indicator_id, service_id) SELECT i.id, s.id FROM i, s RETURNING indicator_id"#,
    )
    .bind(&action10)
    .fetch_one(&pool)
    .await
    .unwrap();
    let drh = drh.to_string();
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let page = pilot.get(ENTRY).await;
    assert!(field_value(&page, &format!("v-{dsi}")).is_some());
    assert!(
        field_value(&page, &format!("v-{drh}")).is_none(),
        "no field for the DRH's indicator"
    );
    let forged = pilot
        .post(
            ENTRY,
            &[
                (&format!("ver-{dsi}"), "0"),
                (&format!("v-{dsi}"), "96"),
                (&format!("ver-{drh}"), "0"),
                (&format!("v-{drh}"), "12"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(actual(&pool, &drh).await, None);
    assert_eq!(actual(&pool, &dsi).await, None, "all or nothing");
    // Their own indicator, alone, is saved.
    let own = pilot
        .post(
            ENTRY,
            &[(&format!("ver-{dsi}"), "0"), (&format!("v-{dsi}"), "96")],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &dsi).await.as_deref(), Some("96"));
    // Procurement staff write it.
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff.get(ENTRY).await;
    let saved = staff
        .post(
            ENTRY,
            &[(&format!("ver-{drh}"), "0"), (&format!("v-{drh}"), "12")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &drh).await.as_deref(), Some("12"));
}

// Item 10: a numerator and denominator at the largest number are refused, not a panic.
#[tokio::test]
async fn numbers_too_large_are_refused_with_a_message() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let share = indicator(&pool, "4").await;
    let hours = indicator(&pool, "5").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff.get(ENTRY).await;
    let max = "79228162514264337593543950335";
    let page = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{share}"), "0"),
                (&format!("n-{share}"), max),
                (&format!("d-{share}"), max),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let errors = page.texts(&format!("#d-{share}-erreur"));
    assert_eq!(errors.len(), 1, "{}", page.body);
    assert!(errors[0].contains("trop grand"), "{errors:?}");
    assert_eq!(
        field_value(&page, &format!("n-{share}")).as_deref(),
        Some(max)
    );
    assert_eq!(actual(&pool, &share).await, None);
    let page = staff
        .post(
            ENTRY,
            &[(&format!("ver-{hours}"), "0"), (&format!("v-{hours}"), max)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.texts(&format!("#v-{hours}-erreur"))[0].contains("trop grand"));
    assert_eq!(actual(&pool, &hours).await, None);
}

// Item 11: years out of range are refused with a message, not a 500.
#[tokio::test]
async fn contract_pages_validate_the_year() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    for page in ["contrats", "indicateurs-legaux"] {
        for year in [
            "0",
            "2147483647",
            "-2147483648",
            "1989",
            "2101",
            "deux-mille",
        ] {
            let path = format!("/organisations/office-habitat/{page}?annee={year}");
            let answer = committee.get(&path).await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {}",
                answer.body
            );
            let problem = answer.texts(".alert-error p").join(" ");
            assert!(problem.contains("entre 1990 et 2100"), "{path}: {problem}");
        }
        let path = format!("/organisations/office-habitat/{page}?annee=2025");
        assert_eq!(committee.get(&path).await.status, StatusCode::OK, "{path}");
    }
}

// Item 13: only an indicator in % can be computed from the contracts, as the form offers.
#[tokio::test]
async fn only_an_indicator_in_percent_can_be_linked() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let hours = indicator(&pool, "5").await;
    let share = indicator(&pool, "4").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let links = "/organisations/office-habitat/indicateurs-legaux/liens";
    let form = staff
        .get("/organisations/office-habitat/indicateurs-legaux")
        .await;
    let offered = form.texts("select[name='indicateur'] option");
    assert!(!offered.iter().any(|o| o.contains("Nombre d'heures")));
    let refused = staff
        .post(
            links,
            &[("indicateur", hours.as_str()), ("mesure", "social_any")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = refused.texts(".alert-error p").join(" ");
    assert!(problem.contains("%"), "{problem}");
    assert!(problem.contains("Nombre d'heures"), "names it: {problem}");
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM indicator_link").await,
        0
    );
    // Nor a basis or a threshold the form does not offer.
    for (field, value) in [("base", "tout"), ("seuil", "beaucoup"), ("seuil", "-5")] {
        let refused = staff
            .post(
                links,
                &[
                    ("indicateur", share.as_str()),
                    ("mesure", "social_any"),
                    (field, value),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        assert!(
            !refused.texts(".alert-error p").is_empty(),
            "{field}={value}"
        );
    }
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM indicator_link").await,
        0
    );
    // Nor behind the form's back.
    let direct = sqlx::query(
        "INSERT INTO indicator_link (indicator_id, measure) VALUES ($1::bigint, 'social_any')",
    )
    .bind(&hours)
    .execute(&pool)
    .await;
    assert!(direct.is_err());
    // An indicator in % is linked.
    let linked = staff
        .post(
            links,
            &[("indicateur", share.as_str()), ("mesure", "social_any")],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM indicator_link").await,
        1
    );
}

// Item 16 (part): a space separates thousands only between groups of three digits.
#[tokio::test]
async fn spaces_inside_a_number_are_thousands_separators_only() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let hours = indicator(&pool, "5").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff.get(ENTRY).await;
    for typed in [" 1 2 3 ", "12 00", "1 2345", "1 234 56,5"] {
        let page = staff
            .post(
                ENTRY,
                &[
                    (&format!("ver-{hours}"), "0"),
                    (&format!("v-{hours}"), typed),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let error = page.texts(&format!("#v-{hours}-erreur")).join(" ");
        assert!(error.contains("n'est pas un nombre"), "{typed:?}: {error}");
        assert_eq!(actual(&pool, &hours).await, None, "{typed:?}");
    }
    let page = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), "0"),
                (&format!("v-{hours}"), "1 234 567,5"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &hours).await.as_deref(), Some("1234567.5"));
}

/// The public bilan 2025's row of an indicator, its status and whether its action says its
/// values are withheld.
fn public_row(page: &Page, label_start: &str) -> String {
    page.texts("tr.spaser-bilan-row")
        .into_iter()
        .find(|r| r.starts_with(label_start))
        .unwrap_or_default()
}

// Item 17: the public sees only validated values (or a locked year's), and says which are not.
#[tokio::test]
async fn the_public_sees_only_validated_values() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let hours = indicator(&pool, "5").await;
    let dsi = indicator(&pool, "10").await;
    let action5 = action_id(&pool, "5").await;
    let action10 = action_id(&pool, "10").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    // Entered by procurement staff (« saisi »), and by the pilot then submitted (« soumis »).
    staff.get(ENTRY).await;
    assert_eq!(
        staff
            .post(
                ENTRY,
                &[
                    (&format!("ver-{hours}"), "0"),
                    (&format!("v-{hours}"), "10 500"),
                    (&format!("rver-{action5}"), "0"),
                    (&format!("r-{action5}"), "Clauses sociales dans 12 marchés."),
                ]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    pilot.get(ENTRY).await;
    assert_eq!(
        pilot
            .post(
                ENTRY,
                &[(&format!("ver-{dsi}"), "0"), (&format!("v-{dsi}"), "96")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        pilot
            .post(
                &format!("{ENTRY}/actions/{action10}/circuit"),
                &[("transition", "soumettre")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    publish_office(&pool).await;

    let mut visitor = Client::new(&app);
    let bilan = format!("{PUBLIC}/bilan/2025");
    let page = visitor.get(&bilan).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("10\u{202F}500"), "saisi: not public");
    assert!(!page.body.contains("Clauses sociales"), "saisi: not public");
    assert!(public_row(&page, "Nombre d'heures").contains("Non renseigné"));
    assert!(
        !public_row(&page, "Nombre de traitements").contains("96"),
        "soumis: not public"
    );
    let withheld = page.texts(".spaser-withheld");
    assert_eq!(withheld.len(), 2, "the page says which: {withheld:?}");
    assert!(withheld[0].contains("Valeurs en cours de validation : non publiées"));
    assert!(!page.texts(".spaser-publication-rule").is_empty());
    // The same for the exports, the comparison and the plan page.
    for file in ["bilan.csv", "bilan.json"] {
        let (status, bytes, _) = visitor.get_bytes(&format!("{bilan}/{file}")).await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("10500"), "{file}");
        assert!(!text.contains("Clauses sociales"), "{file}");
        assert!(!text.contains("96"), "{file}");
    }
    let (_, bytes, _) = visitor.get_bytes(&format!("{bilan}/bilan.xlsx")).await;
    let rows = spaser::import::read_table(&bytes, "bilan.xlsx").unwrap();
    assert!(!rows.iter().flatten().any(|c| c == "10500" || c == "96"));
    let json: serde_json::Value =
        serde_json::from_slice(&visitor.get_bytes(&format!("{bilan}/bilan.json")).await.1).unwrap();
    let hours_row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action_code"] == "5")
        .unwrap();
    assert_eq!(hours_row["actual"], serde_json::Value::Null);
    assert_eq!(hours_row["values_withheld"], true);
    let compare = visitor
        .get(&format!("{PUBLIC}/comparaison?de=2025&a=2026"))
        .await;
    assert!(!compare.body.contains("10\u{202F}500"));
    let plan = visitor.get(&format!("{PUBLIC}?annee=2025")).await;
    assert!(!plan.body.contains("10\u{202F}500"));
    // Members still see everything.
    let member = staff.get(&format!("{PLAN}/bilan/2025")).await;
    assert!(member.body.contains("10\u{202F}500"));

    // Validated: public at once (the page rendered once is not served stale).
    staff.get(ENTRY).await;
    assert_eq!(
        staff
            .post(
                &format!("{ENTRY}/actions/{action5}/circuit"),
                &[("transition", "valider")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = visitor.get(&bilan).await;
    assert!(public_row(&page, "Nombre d'heures").contains("10 500 h"));
    assert!(page.body.contains("Clauses sociales dans 12 marchés."));
    assert_eq!(page.texts(".spaser-withheld").len(), 1);
    // Returned: still not public.
    assert_eq!(
        staff
            .post(
                &format!("{ENTRY}/actions/{action10}/circuit"),
                &[("transition", "renvoyer"), ("comment", "Source ?")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = visitor.get(&bilan).await;
    assert!(!public_row(&page, "Nombre de traitements").contains("96"));
    // Locked: the year is public as it stands.
    assert_eq!(
        staff
            .post(
                &format!("{ENTRY}/verrou"),
                &[("verrou", "verrouiller"), ("confirmer", "oui")],
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = visitor.get(&bilan).await;
    assert!(
        public_row(&page, "Nombre de traitements").contains("96 %"),
        "{}",
        public_row(&page, "Nombre de traitements")
    );
    assert!(page.texts(".spaser-withheld").is_empty());
}

// Item 17: no visitor forces the public page to be rendered again.
#[tokio::test]
async fn a_visitor_cannot_bypass_the_public_page_cache() {
    let pool = demo_pool().await;
    let state = spaser::web::AppState::new(pool.clone());
    let app = spaser::web::router(state.clone());
    publish_office(&pool).await;
    let path = format!("{PUBLIC}/bilan/2025");
    let (status, _) = crate::support::get(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    // What is kept for the current revision is what every visitor gets, whatever they ask.
    let (plan, revision): (i64, i64) =
        sqlx::query_as("SELECT id, revision FROM plan WHERE slug = 'spaser-2025-2027'")
            .fetch_one(&pool)
            .await
            .unwrap();
    state.pages.put(
        (
            spaser::domain::ids::PlanId(plan),
            2025,
            revision,
            spaser::web::PageKind::PublicBilan,
        ),
        axum::body::Bytes::from_static(b"<p>rendu une fois</p>"),
    );
    for (name, value) in [
        ("cache-control", "no-cache"),
        ("cache-control", "no-store, max-age=0"),
        ("pragma", "no-cache"),
    ] {
        let response = app
            .clone()
            .oneshot(
                Request::get(&path)
                    .header(name, value)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            normalise(std::str::from_utf8(&body).unwrap()),
            "<p>rendu une fois</p>",
            "{name}: {value}"
        );
    }
}
