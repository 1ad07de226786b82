//! The buyer's contract data (DECP): imports, the register, the legal indicators, and a plan
//! indicator computed from them.

use axum::http::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::support::{Client, Page, app, demo_pool, normalise};

const OFFICE: &str = "/organisations/office-habitat";

/// Uploads a DECP file as the page's form does; a successful upload is followed to its report.
pub(crate) async fn upload(client: &mut Client, file: &[u8], name: &str, mode: &str) -> Page {
    client.get(&format!("{OFFICE}/contrats")).await;
    let token = client.csrf.clone().unwrap_or_default();
    let boundary = "----decp-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let page = client
        .post_bytes(
            &format!("{OFFICE}/contrats"),
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    match page.location() {
        Some(report) if page.status == StatusCode::SEE_OTHER => {
            let report = report.to_string();
            client.get(&report).await
        }
        _ => page,
    }
}

async fn add_siret(admin: &mut Client, siret: &str) {
    admin.get(&format!("{OFFICE}/contrats")).await;
    let page = admin
        .post(&format!("{OFFICE}/sirets"), &[("siret", siret)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn share(page: &Page, measure: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(&page.body);
    let row =
        scraper::Selector::parse(&format!("tr.spaser-share[data-measure='{measure}'] td")).unwrap();
    document
        .select(&row)
        .map(|c| normalise(&c.text().collect::<String>()))
        .collect()
}

#[tokio::test]
async fn the_official_examples_import_and_the_shares_equal_a_count_by_hand() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    add_siret(&mut admin, "21750001630066").await;
    add_siret(&mut admin, "12345678901234").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let marches = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/decp/example-marches.json"
    ))
    .unwrap();
    let page = upload(&mut staff, &marches, "example-marches.json", "strict").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.texts(".spaser-report"),
        [
            "1 contrat(s) importé(s) ou mis à jour ; 1 écarté(s) car d'un autre acheteur (SIRET non déclaré pour l'organisation) ; 0 illisible(s) ; 0 valeur(s) d'indicateurs recalculée(s)."
        ]
    );
    let mixed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/decp/example-marches-concessions.json"
    ))
    .unwrap();
    let page = upload(
        &mut staff,
        &mixed,
        "example-marches-concessions.json",
        "strict",
    )
    .await;
    assert!(
        page.texts(".spaser-report")[0]
            .starts_with("2 contrat(s) importé(s) ou mis à jour ; 2 écarté(s)")
    );
    // Importing again updates by id, never duplicates.
    upload(
        &mut staff,
        &mixed,
        "example-marches-concessions.json",
        "strict",
    )
    .await;
    assert_eq!(count(&pool, "SELECT count(*) FROM contract").await, 2);

    // A count by hand from the files, for the organisation's SIRETs, 2024.
    let ours = ["21750001630066", "12345678901234"];
    let mut records: Vec<Value> = Vec::new();
    for file in [&marches, &mixed] {
        let v: Value = serde_json::from_slice(file).unwrap();
        for key in ["marche", "contrat-concession"] {
            for r in v["marches"][key].as_array().cloned().unwrap_or_default() {
                let buyer = r["acheteur"]["id"]
                    .as_str()
                    .or(r["autoriteConcedante"]["id"].as_str())
                    .unwrap()
                    .to_string();
                if ours.contains(&buyer.as_str()) && !records.iter().any(|x| x["id"] == r["id"]) {
                    records.push(r);
                }
            }
        }
    }
    assert_eq!(records.len(), 2);
    let has = |r: &Value, outer: &str, inner: &str, what: &str| {
        r[outer][inner]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == what))
    };
    let social = records
        .iter()
        .filter(|r| {
            has(
                r,
                "considerationsSociales",
                "considerationSociale",
                "Clause sociale",
            )
        })
        .count();
    let env_criterion = records
        .iter()
        .filter(|r| {
            has(
                r,
                "considerationsEnvironnementales",
                "considerationEnvironnementale",
                "Critère environnemental",
            )
        })
        .count();
    let page = staff
        .get(&format!("{OFFICE}/indicateurs-legaux?annee=2024"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(share(&page, "social_clause")[0], format!("{social} sur 2"));
    assert_eq!(
        share(&page, "env_criterion")[0],
        format!("{env_criterion} sur 2")
    );
    assert_eq!(share(&page, "env_criterion")[1], "50 %");
    // In value: the modified amount 123 457,87 € and the concession's 25 €.
    assert_eq!(share(&page, "env_criterion")[2], "25 € sur 123 482,87 €");
    // The register lists them, with totals.
    let register = staff.get(&format!("{OFFICE}/contrats?annee=2024")).await;
    assert_eq!(register.texts("tr.spaser-contract").len(), 2);
    assert_eq!(
        register.texts(".spaser-register-totals strong"),
        ["2 contrat(s)", "123 482,87 € HT"]
    );
    let with_social = staff
        .get(&format!("{OFFICE}/contrats?annee=2024&mesure=reserved"))
        .await;
    assert_eq!(with_social.texts("tr.spaser-contract").len(), 0);
}

#[tokio::test]
async fn bad_records_are_reported_and_strict_imports_none() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    add_siret(&mut admin, "21750001630066").await;
    let file = br#"{"marches": {"marche": [
        {"id": "OK1", "acheteur": {"id": "21750001630066"}, "montant": 95000, "dateNotification": "2025-02-01"},
        {"id": "NEG", "acheteur": {"id": "21750001630066"}, "montant": -3, "dateNotification": "2025-02-01"},
        {"id": "DATE", "acheteur": {"id": "21750001630066"}, "montant": 10, "dateNotification": "01/02/2025"},
        {"id": "CONS", "acheteur": {"id": "21750001630066"}, "montant": 10, "dateNotification": "2025-02-01",
         "considerationsSociales": {"considerationSociale": ["Clause magique"]}},
        {"objet": "sans rien"}
    ]}}"#;
    let strict = upload(&mut admin, file, "decp.json", "strict").await;
    assert_eq!(strict.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = strict.texts(".spaser-decp-errors li");
    assert_eq!(
        errors,
        [
            "enregistrement 2 (NEG) : montant négatif (-3)",
            "enregistrement 3 (DATE) : dateNotification illisible (« 01/02/2025 »)",
            "enregistrement 4 (CONS) : considération sociale inconnue : « Clause magique »",
            "enregistrement 5 (sans id) : id manquant ; acheteur.id manquant ; montant manquant ; dateNotification manquante",
        ]
    );
    assert!(
        strict.texts(".spaser-problem")[0]
            .starts_with("4 enregistrement(s) illisible(s) : rien n'a été importé.")
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM contract").await, 0);
    let partial = upload(&mut admin, file, "decp.json", "partiel").await;
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(count(&pool, "SELECT count(*) FROM contract").await, 1);
    for (bytes, message) in [
        (&b"{ pas du json"[..], "Le fichier n'est pas un JSON valide"),
        (&br#"{"marches": [{"id": "v1"}]}"#[..], "format DECP v1"),
        (&b""[..], "Choisissez un fichier DECP"),
    ] {
        let page = upload(&mut admin, bytes, "decp.json", "strict").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.texts(".spaser-problem")[0].contains(message),
            "{message}"
        );
    }
    // Only procurement staff and administrators import; pilots read.
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    assert_eq!(
        pilot.get(&format!("{OFFICE}/contrats")).await.status,
        StatusCode::OK
    );
    let refused = upload(&mut pilot, file, "decp.json", "partiel").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// A flat CSV of `n` contracts of the office in 2025, `social` of them with a social clause,
/// all above 90 000 € HT, plus small ones below the threshold.
fn generated_csv(n: usize, social: usize) -> String {
    let mut out = String::from(
        "id;acheteur.id;montant;dateNotification;objet;procedure;considerationsSociales;considerationsEnvironnementales;titulaire_id\n",
    );
    for i in 0..n {
        let s = if i < social {
            "Clause sociale"
        } else {
            "Sans objet"
        };
        out.push_str(&format!("G{i};21750001630066;{};2025-03-{:02};Travaux {i};Appel d'offres ouvert;{s};Sans objet;12345678900011\n", 90_000 + i * 1000, 1 + i % 28));
    }
    for i in 0..5 {
        out.push_str(&format!(
            "P{i};21750001630066;45000;2025-04-01;Petit marché;MAPA;Sans objet;Sans objet;\n"
        ));
    }
    out
}

#[tokio::test]
async fn a_plan_indicator_computed_from_the_contracts_gets_its_status() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    add_siret(&mut admin, "21750001630066").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let page = upload(
        &mut staff,
        generated_csv(20, 18).as_bytes(),
        "decp.csv",
        "strict",
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "{:?}",
        page.texts(".spaser-problem")
    );
    // Office action 4: the share of contracts above 90 k€ HT with a social consideration.
    let indicator: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '4'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let legal = staff
        .get(&format!(
            "{OFFICE}/indicateurs-legaux?annee=2025&seuil=90000"
        ))
        .await;
    assert_eq!(share(&legal, "social_any")[0], "18 sur 20");
    assert_eq!(share(&legal, "social_any")[1], "90 %");
    let all = staff
        .get(&format!("{OFFICE}/indicateurs-legaux?annee=2025"))
        .await;
    assert_eq!(
        share(&all, "social_any")[0],
        "18 sur 25",
        "without the threshold, the small ones count"
    );
    let id = indicator.to_string();
    let linked = staff
        .post(
            &format!("{OFFICE}/indicateurs-legaux/liens"),
            &[
                ("indicateur", id.as_str()),
                ("mesure", "social_any"),
                ("base", "nombre"),
                ("seuil", "90 000"),
            ],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let (value, numerator, denominator, computed): (rust_decimal::Decimal, rust_decimal::Decimal, rust_decimal::Decimal, bool) =
        sqlx::query_as("SELECT value, numerator, denominator, computed FROM indicator_actual WHERE indicator_id = $1 AND year = 2025")
            .bind(indicator)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (value, numerator, denominator, computed),
        (90.into(), 18.into(), 20.into(), true)
    );
    let entry = staff
        .get("/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025")
        .await;
    let note = entry.texts(".spaser-computed").join(" ");
    assert!(
        note.contains("Valeur calculée depuis les contrats (DECP) : 18 sur 20 contrats."),
        "{note}"
    );
    let document = scraper::Html::parse_document(&entry.body);
    let link = document
        .select(&scraper::Selector::parse(".spaser-computed a").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    assert_eq!(
        staff.get(&link).await.texts("tr.spaser-contract").len(),
        18,
        "the contracts behind it"
    );
    // 90 % against a target of 90 %: achieved.
    let bilan = staff
        .get("/organisations/office-habitat/plans/spaser-2025-2027/bilan/2025")
        .await;
    let rows = bilan.texts("tr.spaser-bilan-row");
    assert!(
        rows.iter().any(|r| r
            .starts_with("Part de marchés présentant des considérations sociales")
            && r.ends_with("Atteint")),
        "{rows:?}"
    );
    // New data recompute it: 16 of 20 → 80 %, partially achieved.
    let page = upload(
        &mut staff,
        generated_csv(20, 16).as_bytes(),
        "decp.csv",
        "strict",
    )
    .await;
    assert!(page.texts(".spaser-report")[0].ends_with("1 valeur(s) d'indicateurs recalculée(s)."));
    let bilan = staff
        .get("/organisations/office-habitat/plans/spaser-2025-2027/bilan/2025")
        .await;
    assert!(bilan.texts("tr.spaser-bilan-row").iter().any(|r| {
        r.starts_with("Part de marchés présentant") && r.ends_with("Partiellement atteint")
    }));
    let history = staff.get(&format!("/organisations/office-habitat/plans/spaser-2025-2027/indicateurs/{indicator}/historique")).await;
    assert!(
        history
            .texts(".spaser-history-row")
            .iter()
            .any(|r| r.contains("Valeur réalisée (calculée) 90 % 80 %"))
    );
}
