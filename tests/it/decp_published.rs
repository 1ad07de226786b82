//! DECP as it is published (NaN, NC, duplicates, one row per holder, modifications), the large
//! files' command-line import, the year a register opens on, and the legal report checked
//! against a count by hand.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;

use crate::decp::upload;
use crate::support::{Client, app, demo_pool, fresh_database, normalise, publish_office};

const OFFICE: &str = "/organisations/office-habitat";
const BUYER: &str = "21930001200019";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/decp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn declare(pool: &PgPool, siret: &str) {
    sqlx::query(
        "INSERT INTO organisation_siret (organisation_id, siret) SELECT id, $1 FROM organisation WHERE slug = 'office-habitat'",
    )
    .bind(siret)
    .execute(pool)
    .await
    .unwrap();
}

#[test]
fn the_consolidated_json_reads_despite_nan_nc_and_duplicates() {
    let r = spaser::decp::read_json(&fixture("consolidated-extract.json")).unwrap();
    let errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "enregistrement 2 (2022-002) : montant manquant",
            "enregistrement 3 (2022-003) : montant invraisemblable (100000000000000000 €)",
            "enregistrement 9 (2022-006) : dateNotification manquante",
        ]
    );
    // One contract per uid: 2022-001 of two buyers is two contracts, 2022-004 met twice is one.
    let ids: Vec<(&str, &str)> = r
        .contracts
        .iter()
        .map(|c| (c.buyer.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            (BUYER, "2022-001"),
            (BUYER, "2022-004"),
            (BUYER, "2022-005"),
            ("25930003400017", "2022-001"),
            (BUYER, "2023-001"),
        ]
    );
    assert_eq!(r.merged, 1);
    let modified = &r.contracts[1];
    assert_eq!(modified.amount, dec("65000"), "the modification's amount");
    assert_eq!(modified.holders, ["51234567800019"]);
    assert_eq!(modified.modifications, 1);
    assert_eq!(
        modified.revised_on,
        chrono::NaiveDate::from_ymd_opt(2022, 9, 15)
    );
    // « NC », NaN and Infinity in fields that may be absent change nothing.
    assert!(r.contracts[2].reserved && r.contracts[2].env_criterion);
}

#[test]
fn the_latest_version_wins_whatever_the_order() {
    let text = String::from_utf8(fixture("consolidated-extract.json")).unwrap();
    let mut doc: Value =
        serde_json::from_str(&text.replace("NaN", "null").replace("Infinity", "null")).unwrap();
    let list = doc["marches"]["marche"].as_array_mut().unwrap();
    list.reverse();
    let r = spaser::decp::read_json(doc.to_string().as_bytes()).unwrap();
    let c = r.contracts.iter().find(|c| c.id == "2022-004").unwrap();
    assert_eq!(c.amount, dec("65000"));
}

#[test]
fn the_flat_csv_folds_one_row_per_holder_and_keeps_the_latest_modification() {
    let r = spaser::decp::read_csv(&fixture("decp-info-flat.csv")).unwrap();
    let errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors, ["enregistrement 6 (24C4) : montant manquant"]);
    assert_eq!(
        r.merged, 2,
        "the second holder's row and the modification's row"
    );
    let by_id = |id: &str| r.contracts.iter().find(|c| c.id == id).unwrap();
    assert_eq!(r.contracts.len(), 4);
    let school = by_id("24C1");
    assert_eq!(school.holders, ["40483304800022", "51234567800019"]);
    assert_eq!(school.amount, dec("250000"));
    assert!(school.social_clause && school.social_criterion && school.env_clause);
    let road = by_id("24C2");
    assert_eq!(
        (road.amount, road.holders.as_slice()),
        (dec("95000"), &["38012986600042".to_string()][..])
    );
    assert_eq!(road.modifications, 1);
    assert_eq!(by_id("24C5").buyer, BUYER, "21930001200019.0 is the SIRET");
    assert!(by_id("24C5").holders.is_empty());
    assert_eq!(by_id("24C3").buyer, "25930003400017");

    let r = spaser::decp::read_csv(&fixture("decp-excel-semicolon.csv")).unwrap();
    assert_eq!(r.contracts.len(), 2);
    assert_eq!(r.contracts[0].amount, dec("95000.50"));
    assert_eq!(r.contracts[0].holders.len(), 2);
    assert!(r.contracts[1].env_clause && r.contracts[1].env_criterion);
    assert_eq!(
        r.errors[0].to_string(),
        "enregistrement 3 (25S2) : montant manquant"
    );
}

#[test]
fn only_the_kept_buyers_are_checked() {
    let buyers = std::collections::HashSet::from([BUYER.to_string()]);
    let scope = spaser::decp::Scope {
        buyers: Some(&buyers),
        max_records: None,
    };
    let (mut contracts, mut other, mut bad) = (0, 0, 0);
    let mut on = |f: spaser::decp::Found| match f {
        spaser::decp::Found::Contract { .. } => contracts += 1,
        spaser::decp::Found::OtherBuyer => other += 1,
        spaser::decp::Found::Bad(_) => bad += 1,
    };
    spaser::decp::stream_csv(&fixture("decp-info-flat.csv")[..], scope, &mut on).unwrap();
    assert_eq!((contracts, other, bad), (5, 1, 1));
    // A record naming no buyer is none of the kept buyers': set aside, not an error.
    let (mut other, mut bad) = (0, 0);
    let mut on = |f: spaser::decp::Found| match f {
        spaser::decp::Found::OtherBuyer => other += 1,
        spaser::decp::Found::Bad(_) => bad += 1,
        spaser::decp::Found::Contract { .. } => {}
    };
    spaser::decp::stream_json(
        &br#"{"marches": {"marche": [{"id": "X", "montant": 1}]}}"#[..],
        scope,
        &mut on,
    )
    .unwrap();
    assert_eq!((other, bad), (1, 0));
}

#[tokio::test]
async fn published_files_import_strict_or_partial_and_the_register_opens_on_their_latest_year() {
    let pool = demo_pool().await;
    let app = app(&pool);
    declare(&pool, BUYER).await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let file = fixture("consolidated-extract.json");
    let strict = upload(&mut staff, &file, "decp.json", "strict").await;
    assert_eq!(strict.status, StatusCode::UNPROCESSABLE_ENTITY);
    let listed = strict.texts(".spaser-decp-errors li");
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(
        listed[0].starts_with("enregistrement 2 (2022-002)"),
        "{listed:?}"
    );
    let saved: i64 = sqlx::query_scalar("SELECT count(*) FROM contract")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(saved, 0, "strict: nothing saved");

    let partial = upload(&mut staff, &file, "decp.json", "partiel").await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.body);
    let report = normalise(&partial.texts(".spaser-report").join(" "));
    assert!(
        report.starts_with("4 contrat(s) importé(s) ou mis à jour ; 1 écarté(s)"),
        "{report}"
    );
    // An older version of 2022-004 imported later does not replace the modified one.
    let older = br#"{"marches": {"marche": [{"id": "2022-004", "acheteur": {"id": "21930001200019"}, "montant": 50000,
        "dateNotification": "2022-06-01", "objet": "Nettoyage des locaux"}]}}"#;
    upload(&mut staff, older, "ancien.json", "strict").await;
    let amount: Decimal =
        sqlx::query_scalar("SELECT amount FROM contract WHERE decp_id = '2022-004'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(amount, dec("65000"));

    // The contracts are of 2022 and 2023: the pages open on 2023, marked.
    for page in ["contrats", "indicateurs-legaux", "rapport-legal"] {
        let p = staff.get(&format!("{OFFICE}/{page}")).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.texts("h1")[0].ends_with("2023"),
            "{page}: {:?}",
            p.texts("h1")
        );
        assert_eq!(
            p.texts(".spaser-years a[aria-current='page']"),
            ["2023"],
            "{page}"
        );
        assert_eq!(p.texts(".spaser-years a"), ["2023", "2022"], "{page}");
    }
    let y2022 = staff.get(&format!("{OFFICE}/contrats?annee=2022")).await;
    assert_eq!(y2022.texts(".spaser-contract").len(), 3);
    assert_eq!(
        y2022.texts(".spaser-years a[aria-current='page']"),
        ["2022"]
    );
    // The procedures met are offered in the filter.
    assert!(
        y2022
            .texts("#procedure option")
            .iter()
            .any(|o| o == "Appel d'offres ouvert")
    );
}

#[tokio::test]
async fn the_flat_csv_uploads_as_one_contract_per_uid() {
    let pool = demo_pool().await;
    let app = app(&pool);
    declare(&pool, BUYER).await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let page = upload(
        &mut staff,
        &fixture("decp-info-flat.csv"),
        "decp.csv",
        "partiel",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let rows: Vec<(String, Decimal, String)> =
        sqlx::query_as("SELECT decp_id, amount, holders FROM contract ORDER BY decp_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (
                "24C1".into(),
                dec("250000"),
                "40483304800022, 51234567800019".into()
            ),
            ("24C2".into(), dec("95000"), "38012986600042".into()),
            ("24C5".into(), dec("40000"), String::new()),
        ]
    );
}

/// The hand count of `legal-2026.json` (2026; EU thresholds 216 000 € HT for supplies and
/// services, 5 404 000 € HT for works):
/// L1 30 000 env clause · L2 45 000 social clause, env criterion · L3 95 000 reserved ·
/// L4 250 000 (≥ EU) env clause, 1 Sept · L5 120 000 nothing, 1 Oct · L6 6 000 000 works (≥ EU)
/// social criterion, env clause and criterion · L7 300 000 works (< EU) social clause, 1 Dec;
/// L8 is of 2025.
#[tokio::test]
async fn the_legal_report_equals_a_count_by_hand() {
    let pool = demo_pool().await;
    let app = app(&pool);
    declare(&pool, BUYER).await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    upload(
        &mut staff,
        &fixture("legal-2026.json"),
        "legal.json",
        "strict",
    )
    .await;
    let targets = staff
        .post(
            &format!("{OFFICE}/rapport-legal/cibles"),
            &[
                ("cible_env_any", "80 %"),
                ("cible_social_any", "35"),
                ("cible_reserved", ""),
            ],
        )
        .await;
    assert_eq!(targets.status, StatusCode::SEE_OTHER);
    let (status, bytes, _) = staff
        .get_bytes(&format!(
            "{OFFICE}/rapport-legal/rapport-legal.json?annee=2026"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    let cell = |measure: &str, basis: &str| -> (i64, i64, String, String, String) {
        let cat = json["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["categorie"] == measure)
            .unwrap();
        let p = cat["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["contrats_retenus"] == basis)
            .unwrap();
        let s = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        };
        (
            p["nombre"].as_i64().unwrap(),
            p["nombre_total"].as_i64().unwrap(),
            s(&p["montant"]),
            s(&p["part_nombre"]),
            s(&p["part_valeur"]),
        )
    };
    // All contracts: 7, 6 840 000 €.
    assert_eq!(
        cell("social_any", "tous"),
        (4, 7, "6440000".into(), "57.1".into(), "94.2".into())
    );
    assert_eq!(
        cell("social_clause", "tous"),
        (2, 7, "345000".into(), "28.6".into(), "5".into())
    );
    assert_eq!(
        cell("social_criterion", "tous"),
        (1, 7, "6000000".into(), "14.3".into(), "87.7".into())
    );
    assert_eq!(
        cell("reserved", "tous"),
        (1, 7, "95000".into(), "14.3".into(), "1.4".into())
    );
    assert_eq!(
        cell("env_any", "tous"),
        (4, 7, "6325000".into(), "57.1".into(), "92.5".into())
    );
    assert_eq!(
        cell("env_clause", "tous"),
        (3, 7, "6280000".into(), "42.9".into(), "91.8".into())
    );
    assert_eq!(
        cell("env_criterion", "tous"),
        (2, 7, "6045000".into(), "28.6".into(), "88.4".into())
    );
    // 40 000 € HT or more: L1 out (6, 6 810 000 €).
    assert_eq!(
        cell("social_any", "40000"),
        (4, 6, "6440000".into(), "66.7".into(), "94.6".into())
    );
    assert_eq!(
        cell("env_any", "40000"),
        (3, 6, "6295000".into(), "50".into(), "92.4".into())
    );
    // 90 000 € HT or more: L3 to L7 (5, 6 765 000 €).
    assert_eq!(
        cell("social_any", "90000"),
        (3, 5, "6395000".into(), "60".into(), "94.5".into())
    );
    assert_eq!(
        cell("env_any", "90000"),
        (2, 5, "6250000".into(), "40".into(), "92.4".into())
    );
    // Above the EU thresholds: L4 (supplies) and L6 (works), not L7 (works under 5 404 000).
    assert_eq!(
        cell("social_any", "seuils_ue"),
        (1, 2, "6000000".into(), "50".into(), "96".into())
    );
    assert_eq!(
        cell("env_any", "seuils_ue"),
        (2, 2, "6250000".into(), "100".into(), "100".into())
    );
    let env = json["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["categorie"] == "env_any")
        .unwrap();
    assert_eq!(
        (env["cible_spaser"].as_str(), env["reference_pnad"].as_str()),
        (Some("80"), Some("100"))
    );
    // Since 22 August 2026: L4 (above EU, no social), L5 and L7 (no environmental).
    let short = &json["depuis_le_22_aout_2026"];
    assert_eq!(short["nombre"], 3);
    let ids: Vec<&str> = short["contrats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["26L4", "26L5", "26L7"]);
    assert_eq!(
        short["contrats"][0]["au_dessus_seuils_ue_sans_consideration_sociale"],
        true
    );
    assert_eq!(
        short["contrats"][2]["sans_consideration_environnementale"],
        true
    );

    // The page says the same.
    let page = staff
        .get(&format!("{OFFICE}/rapport-legal?annee=2026"))
        .await;
    let eu =
        scraper::Selector::parse("table[data-basis='seuils_ue'] tr[data-measure='social_any'] td")
            .unwrap();
    let cells: Vec<String> = scraper::Html::parse_document(&page.body)
        .select(&eu)
        .map(|c| normalise(&c.text().collect::<String>()))
        .collect();
    assert_eq!(cells[0], "1 sur 2");
    assert_eq!(cells[1], "50 %");
    assert_eq!(cells[3], "96 %");
    assert_eq!(cells[4], "35 %", "the SPASER's target");
    assert_eq!(cells[5], "30 %", "the PNAD's line");
    assert_eq!(page.texts(".spaser-short").len(), 3);
    // The CSV and the workbook carry the same figures.
    let (_, csv, _) = staff
        .get_bytes(&format!(
            "{OFFICE}/rapport-legal/rapport-legal.csv?annee=2026"
        ))
        .await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("Au moins une considération sociale;Au-dessus des seuils européens;1;2;50;6000000;6250000;96;35;30;2026"), "{csv}");
    let (status, xlsx, _) = staff
        .get_bytes(&format!(
            "{OFFICE}/rapport-legal/rapport-legal.xlsx?annee=2026"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));
    // A target that is not a share is refused, the input kept, nothing saved.
    let refused = staff
        .post(
            &format!("{OFFICE}/rapport-legal/cibles"),
            &[("cible_env_any", "150")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = normalise(&refused.texts(".spaser-problem").join(" "));
    assert!(
        problem.contains("« 150 » n'est pas une part entre 0 et 100 %"),
        "{problem}"
    );
    assert_eq!(
        crate::support::field_value(&refused, "cible_env_any").as_deref(),
        Some("150")
    );
    let kept: Decimal =
        sqlx::query_scalar("SELECT percent FROM legal_target WHERE measure = 'env_any'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, dec("80"));
}

#[tokio::test]
async fn the_command_line_streams_a_file_keeping_the_organisation_s_contracts() {
    let (pool, url) = fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    declare(&pool, BUYER).await;
    let path = format!(
        "{}/tests/fixtures/decp/consolidated-extract.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM contract")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let strict = run(&[
        "contracts",
        "import",
        &path,
        "--organisation",
        "office-habitat",
    ]);
    assert!(!strict.status.success());
    let out = String::from_utf8_lossy(&strict.stdout);
    assert!(out.contains("4 contrat(s) de l'organisation lus (1 enregistrement(s) en double fusionné(s)), 1 d'un autre acheteur écarté(s), 3 illisible(s)"), "{out}");
    assert!(
        out.contains("enregistrement 3 (2022-003) : montant invraisemblable"),
        "{out}"
    );
    assert_eq!(count().await, 0);
    let dry = run(&[
        "contracts",
        "import",
        &path,
        "--organisation",
        "office-habitat",
        "--partial",
        "--dry-run",
    ]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        String::from_utf8_lossy(&dry.stdout)
            .contains("Essai (--dry-run) : 4 contrat(s) auraient été écrits")
    );
    assert_eq!(count().await, 0);
    let done = run(&[
        "contracts",
        "import",
        &path,
        "--organisation",
        "office-habitat",
        "--partial",
        "--as",
        "commande-publique@office-habitat.demo",
    ]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let out = String::from_utf8_lossy(&done.stdout);
    assert!(
        out.contains("4 contrat(s) importé(s) ou mis à jour."),
        "{out}"
    );
    assert!(out.contains("mémoire maximale"), "{out}");
    assert_eq!(count().await, 4);
    // The CSV, told by --format whatever its name.
    let csv = format!(
        "{}/tests/fixtures/decp/decp-info-flat.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let copy = std::env::temp_dir().join(format!("decp-{}.txt", std::process::id()));
    std::fs::copy(&csv, &copy).unwrap();
    let flat = run(&[
        "contracts",
        "import",
        copy.to_str().unwrap(),
        "--organisation",
        "office-habitat",
        "--partial",
        "--format",
        "csv",
    ]);
    let _ = std::fs::remove_file(&copy);
    assert!(
        flat.status.success(),
        "{}",
        String::from_utf8_lossy(&flat.stderr)
    );
    assert_eq!(count().await, 7);
    let holders: String = sqlx::query_scalar("SELECT holders FROM contract WHERE decp_id = '24C1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(holders, "40483304800022, 51234567800019");
}

/// The organisation page's checklist follows what is done, and the registry line says the same.
#[tokio::test]
async fn the_checklist_follows_the_obligation_and_the_registry_line_matches() {
    let pool = demo_pool().await;
    let app = app(&pool);
    declare(&pool, BUYER).await;
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let states = |page: &crate::support::Page| -> Vec<String> {
        let document = scraper::Html::parse_document(&page.body);
        let item = scraper::Selector::parse(".spaser-compliance li").unwrap();
        document
            .select(&item)
            .map(|li| {
                li.value()
                    .attr("data-state")
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    // The demo plan (2025–2027) kept in force whatever the year the test runs in.
    let last: i32 = sqlx::query_scalar(
        "UPDATE plan SET last_year = greatest(last_year, extract(year FROM now())::int) WHERE slug = 'spaser-2025-2027' RETURNING last_year",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let page = admin.get(OFFICE).await;
    // Purchases unknown; the demo plan is adopted (16/09/2025) and covers the year; not
    // published; no contracts; no targets.
    assert_eq!(
        states(&page),
        ["unknown", "ok", "ko", "ko", "ko"],
        "{:?}",
        page.texts(".spaser-compliance li")
    );

    let refused = admin
        .post(
            &format!("{OFFICE}/rapport-legal/profil"),
            &[("achats", "62 M€"), ("adresse", "office.fr")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        crate::support::field_value(&refused, "achats").as_deref(),
        Some("62 M€")
    );
    let saved = admin
        .post(
            &format!("{OFFICE}/rapport-legal/profil"),
            &[
                ("achats", "62 000 000"),
                ("adresse", "https://office.example/spaser.pdf"),
                ("mutualise", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    publish_office(&pool).await;
    sqlx::query(
        "INSERT INTO contract (organisation_id, decp_id, buyer_siret, amount, notified_on, social_clause, social_criterion, reserved, env_clause, env_criterion)
         SELECT id, 'NOW', $1, 50000, current_date, false, false, false, true, false FROM organisation WHERE slug = 'office-habitat'",
    )
    .bind(BUYER)
    .execute(&pool)
    .await
    .unwrap();
    let all: Vec<(String, String)> = [
        "social_any",
        "social_clause",
        "social_criterion",
        "reserved",
        "env_any",
        "env_clause",
        "env_criterion",
    ]
    .iter()
    .map(|m| (format!("cible_{m}"), "50".to_string()))
    .collect();
    let fields: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    admin.get(&format!("{OFFICE}/rapport-legal")).await;
    let targets = admin
        .post(&format!("{OFFICE}/rapport-legal/cibles"), &fields)
        .await;
    assert_eq!(targets.status, StatusCode::SEE_OTHER);
    let page = admin.get(OFFICE).await;
    assert_eq!(
        states(&page),
        ["ok", "ok", "ok", "ok", "ok"],
        "{:?}",
        page.texts(".spaser-compliance li")
    );
    let first = normalise(&page.texts(".spaser-compliance li")[0]);
    assert!(
        first.contains("Oui : 62 000 000 € HT d'achats par an, au-delà de 50 M€ HT"),
        "{first}"
    );

    let (status, csv, _) = admin
        .get_bytes(&format!("{OFFICE}/rapport-legal/registre-national.csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    let line = csv.lines().nth(1).unwrap();
    assert!(
        line.starts_with("219300012;Office public de l'habitat;"),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(
            ";62000000;2025-{last};Oui;https://office.example/spaser.pdf"
        )),
        "{line}"
    );
}
