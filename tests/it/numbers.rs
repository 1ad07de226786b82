//! One French number reader: a writing gives the same number on the entry page, in an imported
//! plan's targets and baselines, in a target corrected at the import preview and in a DECP
//! file's amounts, or is refused by all of them alike.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::support::{Client, app, demo_pool};

const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";

/// Writings, and the number each is (`None`: refused, as beyond 999 999 999 999 999).
const WRITINGS: &[(&str, Option<&str>)] = &[
    ("12 000,5", Some("12000.5")),
    ("12\u{202F}000", Some("12000")),
    ("12\u{A0}000,25", Some("12000.25")),
    ("1 234 567.5", Some("1234567.5")),
    ("0,75", Some("0.75")),
    ("1 000 000 000 000 000", None),
];

fn expected(number: Option<&str>) -> Option<Decimal> {
    number.map(|n| n.parse().unwrap())
}

fn field_value(body: &str, name: &str) -> Option<String> {
    let document = scraper::Html::parse_document(body);
    let selector = scraper::Selector::parse(&format!("[name='{name}']")).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
}

#[tokio::test]
async fn the_entry_form_reads_each_writing_as_the_one_reader_does() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let id: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN plan p ON p.id = i.plan_id \
         WHERE p.slug = 'spaser-2025-2027' AND i.unit = 'h' ORDER BY i.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    for &(writing, number) in WRITINGS {
        let page = staff.get(ENTRY).await;
        let version = field_value(&page.body, &format!("ver-{id}")).unwrap_or("0".into());
        let saved = staff
            .post(
                ENTRY,
                &[
                    (&format!("ver-{id}"), version.as_str()),
                    (&format!("v-{id}"), writing),
                ],
            )
            .await;
        let stored: Option<Decimal> = sqlx::query_scalar(
            "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = 2025",
        )
        .bind(id)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .flatten();
        match expected(number) {
            Some(n) => {
                assert_eq!(saved.status, StatusCode::SEE_OTHER, "{writing:?}");
                assert_eq!(stored, Some(n), "{writing:?}");
            }
            None => {
                assert_eq!(
                    saved.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{writing:?}"
                );
                assert!(
                    saved
                        .texts(".error-text")
                        .join(" ")
                        .contains("est trop grand : 999 999 999 999 999 au plus"),
                    "{writing:?}: {:?}",
                    saved.texts(".error-text")
                );
            }
        }
    }
}

/// Targets and baselines read from an imported plan, and targets corrected at the preview.
#[tokio::test]
async fn imported_targets_baselines_and_corrections_read_each_writing_alike() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get("/organisations/office-habitat/import").await;
    let mut sheet = String::from(
        "N° AXE\tAXE\tN° Objectif\tOBJECTIFS\tN° ACTION\tACTIONS\tIndicateurs\tType d'indicateur\tValeurs cibles\tQui pilote cet indicateur ?\n",
    );
    for (k, (writing, _)) in WRITINGS.iter().enumerate() {
        sheet.push_str(&format!(
            "1\tAxe\t1\tObjectif\t{n}\tAction {n}\tHeures d'insertion ({writing} heures en 2021)\tQuanti (chiffre)\tValeur cible 2025: {writing} heures\t\n",
            n = k + 1
        ));
    }
    let sent = crate::import::upload(
        &mut admin,
        "office-habitat",
        sheet.as_bytes(),
        "plan.tsv",
        &[
            ("plan", ""),
            ("titre", "Plan des nombres"),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2027"),
        ],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let preview = sent.location().unwrap().to_string();
    // Each indicator's 2026 target corrected to the writing alone.
    let corrections: Vec<(String, &str)> = WRITINGS
        .iter()
        .enumerate()
        .map(|(k, (writing, _))| (format!("c-0-{k}-0-2026"), *writing))
        .collect();
    let fields: Vec<(&str, &str)> = corrections
        .iter()
        .map(|(name, writing)| (name.as_str(), *writing))
        .collect();
    let committed = admin.post(&preview, &fields).await;
    assert_eq!(
        committed.status,
        StatusCode::SEE_OTHER,
        "{}",
        committed.body
    );

    let baselines: Vec<(String, Option<Decimal>)> = sqlx::query_as(
        "SELECT a.code, i.baseline_value FROM indicator i JOIN action a ON a.id = i.action_id \
         JOIN plan p ON p.id = a.plan_id WHERE p.slug = 'plan-des-nombres' ORDER BY a.code::int",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let targets = |year: i32| targets_of(&pool, year);
    let (read_2025, corrected_2026) = (targets(2025).await, targets(2026).await);
    assert_eq!(baselines.len(), WRITINGS.len());
    for (k, &(writing, number)) in WRITINGS.iter().enumerate() {
        let want = expected(number);
        assert_eq!(baselines[k].1, want, "baseline written {writing:?}");
        assert_eq!(read_2025[k].1, want, "target read from {writing:?}");
        assert_eq!(corrected_2026[k].1, want, "target corrected to {writing:?}");
        if want.is_none() {
            // Refused as a number, the writing is kept as the target's text.
            assert_eq!(corrected_2026[k].2.as_deref(), Some(writing), "{writing:?}");
        }
    }
}

/// Each action's target of `year` in the imported plan, by action number: (value, text).
async fn targets_of(pool: &PgPool, year: i32) -> Vec<(String, Option<Decimal>, Option<String>)> {
    sqlx::query_as(
        "SELECT a.code, t.value, t.text FROM indicator i JOIN action a ON a.id = i.action_id \
         JOIN plan p ON p.id = a.plan_id \
         LEFT JOIN indicator_target t ON t.indicator_id = i.id AND t.year = $1 \
         WHERE p.slug = 'plan-des-nombres' ORDER BY a.code::int",
    )
    .bind(year)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// DECP amounts written the French way (a spreadsheet's CSV export).
#[tokio::test]
async fn decp_amounts_read_each_writing_alike() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get("/organisations/office-habitat/contrats").await;
    let page = admin
        .post(
            "/organisations/office-habitat/sirets",
            &[("siret", "21750001630066")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut csv = String::from("id;acheteur.id;montant;dateNotification\n");
    for (k, (writing, _)) in WRITINGS.iter().enumerate() {
        csv.push_str(&format!("N{k};21750001630066;{writing};2025-02-01\n"));
    }
    csv.push_str("EURO;21750001630066;31 107,86 €;2025-02-01\n");
    csv.push_str("HOURS;21750001630066;12 h;2025-02-01\n");
    let report = crate::decp::upload(&mut admin, csv.as_bytes(), "decp.csv", "partiel").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let amounts: Vec<(String, Decimal)> =
        sqlx::query_as("SELECT decp_id, amount FROM contract ORDER BY decp_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut want: Vec<(String, Decimal)> = WRITINGS
        .iter()
        .enumerate()
        .filter_map(|(k, (_, number))| expected(*number).map(|n| (format!("N{k}"), n)))
        .collect();
    want.push(("EURO".into(), "31107.86".parse().unwrap()));
    want.sort();
    assert_eq!(amounts, want);
    let errors = report.texts(".spaser-decp-errors li");
    assert_eq!(
        errors,
        [
            format!(
                "enregistrement {} (N{}) : montant invraisemblable (« 1 000 000 000 000 000 »)",
                WRITINGS.len(),
                WRITINGS.len() - 1
            ),
            format!(
                "enregistrement {} (HOURS) : montant illisible",
                WRITINGS.len() + 2
            ),
        ]
    );
}
