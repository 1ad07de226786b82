//! The annual bilan: the page the committee reads, its exports, the comparison of two years,
//! and the publication.

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::{Client, Page, app, demo_pool, indicator, normalise, publish_office};

const OFFICE: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const GOSB: &str = "/organisations/grand-orly-seine-bievre/plans/spaser-2023-2024";
const GOSB_PUBLIC: &str = "/public/grand-orly-seine-bievre/spaser-2023-2024";

async fn enter(client: &mut Client, year: i32, indicator: &str, value: &str) {
    let entry = format!("{OFFICE}/saisie/{year}");
    let page = client.get(&entry).await;
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse(&format!("[name='ver-{indicator}']")).unwrap();
    let version = document
        .select(&selector)
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let saved = client
        .post(
            &entry,
            &[
                (&format!("ver-{indicator}"), version.as_str()),
                (&format!("v-{indicator}"), value),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

fn sentences(page: &Page) -> Vec<String> {
    page.texts(".spaser-sentence")
}

#[tokio::test]
async fn the_gosb_2024_bilan_reads_like_its_authors_wrote_it() {
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@grand-orly-seine-bievre.demo").await;
    let page = committee.get(&format!("{GOSB}/bilan/2024")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("h1"), ["Bilan 2024"]);
    let fiches = page.texts("h2.spaser-objective__title");
    assert_eq!(fiches.len(), 11);
    assert!(
        fiches[3]
            .starts_with("FA4 — Augmenter la part des marchés intégrant des heures d'insertion")
    );
    // The year-on-year comparisons of the original.
    let said = sentences(&page);
    for expected in [
        "75 % (58 % en 2023)",
        "75 % (74 % en 2023)",
        "32 % (38 % en 2023)",
        "97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)",
        "90 % (75 % en 2023)",
        "48 % (36 % en 2023)",
        "120 bénéficiaires",
    ] {
        assert!(
            said.contains(&expected.to_string()),
            "{expected} in {said:?}"
        );
    }
    // Target, actual, the year before, status: in the table.
    let rows = page.texts("tr.spaser-bilan-row");
    assert!(
        rows.contains(
            &"Nombre d'heures réalisé par an 25 000 h 97 972 h 58 526 h Atteint".to_string()
        ),
        "{rows:?}"
    );
    // The summary counts every fiche once.
    let summary = page.texts("tr.spaser-summary-row");
    // (the last words are the distribution bar's titles)
    // Atteint, partiellement, non atteint, à apprécier, non renseigné: the fiches whose values
    // the rules cannot judge await judgement; « non renseigné » means no value at all.
    assert_eq!(
        summary,
        ["Ensemble du plan 1 0 0 7 3 Atteint : 1 À apprécier : 7 Non renseigné : 3"]
    );
    let (_, json, _) = committee
        .get_bytes(&format!("{GOSB}/bilan/2024/bilan.json"))
        .await;
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let plan_line = json["summary"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            plan_line["achieved"].clone(),
            plan_line["to_appraise"].clone(),
            plan_line["unknown"].clone()
        ),
        (1.into(), 7.into(), 3.into())
    );
    let rows = json["rows"].as_array().unwrap();
    let with_values: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| !r["actual"].is_null() || !r["actual_text"].is_null())
        .map(|r| r["objective_code"].as_str().unwrap())
        .collect();
    assert_eq!(with_values.len(), 8, "{with_values:?}");
    for row in rows {
        let fiche = row["objective_code"].as_str().unwrap();
        assert_eq!(
            row["objective_status"] == "unknown",
            !with_values.contains(fiche),
            "{fiche}: « non renseigné » exactly when the fiche holds no value"
        );
    }
    // Charts with their text equivalent.
    let descriptions = page.texts("svg desc");
    assert!(
        descriptions.contains(
            &"2023 : réalisé 58 526 h, cible 20 000 h ; 2024 : réalisé 97 972 h, cible 25 000 h"
                .to_string()
        ),
        "{descriptions:?}"
    );
    assert!(page.texts("svg.spaser-distribution").len() == 1);
    // The narratives, the bilan's own words.
    assert!(
        page.body
            .contains("Achat en 2024 de 96 smartphones reconditionnés (Ateliers du Bocage)")
    );
}

#[tokio::test]
async fn the_office_bilan_shows_entered_values_statuses_and_justifications() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    let reserved = indicator(&pool, "6").await;
    enter(&mut staff, 2025, &hours, "10 500").await;
    enter(&mut staff, 2026, &hours, "12 500,5").await;
    enter(&mut staff, 2026, &reserved, "4").await;
    staff.get(&format!("{OFFICE}/saisie/2026")).await;
    let set = staff
        .post(
            &format!("{OFFICE}/statuts/2026"),
            &[
                ("level", "indicator"),
                ("item", reserved.as_str()),
                ("status", "achieved"),
                (
                    "justification",
                    "Deux marchés réservés notifiés en janvier 2027",
                ),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);

    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    let page = committee.get(&format!("{OFFICE}/bilan/2026")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        sentences(&page).contains(
            &"12 500,5 heures pour un objectif de 12 000 heures (10 500 en 2025)".to_string()
        ),
        "{:?}",
        sentences(&page)
    );
    assert!(sentences(&page).contains(&"4 pour un objectif de 6".to_string()));
    let summary = page.texts("tr.spaser-summary-row");
    assert_eq!(summary.len(), 5, "four axes and the plan");
    assert_eq!(
        summary[1], "Axe 2 — SOCIAL 2 0 0 0 0 Atteint : 2",
        "objectives 3 and 4 achieved, one by hand"
    );
    assert_eq!(
        summary[4],
        "Ensemble du plan 2 0 0 0 9 Atteint : 2 Non renseigné : 9"
    );
    let by_hand = page.texts(".spaser-by-hand").join(" ");
    assert!(
        by_hand
            .contains("« Deux marchés réservés notifiés en janvier 2027 » (calculé : Non atteint)"),
        "{by_hand}"
    );
    // No entry form on the bilan.
    assert!(page.texts("form#saisie").is_empty());
}

/// A small JSON Schema check: types, required properties, enums, items.
fn check(schema: &Value, value: &Value, path: &str) {
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = kinds.iter().any(|k| match *k {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        assert!(ok, "{path}: {value} is not {kinds:?}");
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        assert!(
            allowed.contains(value),
            "{path}: {value} not in {allowed:?}"
        );
    }
    if let (Some(Value::Array(required)), Some(object)) =
        (schema.get("required"), value.as_object())
    {
        for key in required.iter().filter_map(Value::as_str) {
            assert!(object.contains_key(key), "{path}: {key} missing");
        }
        let properties = schema.get("properties").and_then(Value::as_object).unwrap();
        for key in object.keys() {
            assert!(
                properties.contains_key(key),
                "{path}: {key} is not documented"
            );
        }
    }
    if let (Some(Value::Object(properties)), Some(object)) =
        (schema.get("properties"), value.as_object())
    {
        for (key, sub) in properties {
            if let Some(v) = object.get(key) {
                check(sub, v, &format!("{path}.{key}"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            check(items, v, &format!("{path}[{i}]"));
        }
    }
}

#[tokio::test]
async fn exports_read_back_equal_to_the_page() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    enter(&mut staff, 2025, &hours, "10 500,5").await;
    let mut committee = Client::signed_in(&app, "comite@grand-orly-seine-bievre.demo").await;

    // CSV: UTF-8 with BOM, « ; », decimal comma.
    let csv_page = staff
        .get_bytes(&format!("{OFFICE}/bilan/2025/bilan.csv"))
        .await;
    assert_eq!(csv_page.0, StatusCode::OK);
    assert!(csv_page.2.starts_with("text/csv"));
    let bytes = csv_page.1;
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF], "BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "Axe");
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 16, "one line per indicator");
    let row = records
        .iter()
        .find(|r| &r[column("N° action")] == "5")
        .unwrap();
    assert_eq!(&row[column("Réalisé 2025")], "10500,5");
    assert_eq!(&row[column("Cible 2025")], "10000");
    assert_eq!(&row[column("Statut indicateur")], "Atteint");
    assert_eq!(&row[column("Axe")], "Axe 2 — SOCIAL");

    // XLSX: real numbers.
    let (status, xlsx, _) = staff
        .get_bytes(&format!("{OFFICE}/bilan/2025/bilan.xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    assert_eq!(workbook.sheet_names(), ["Bilan 2025"]);
    let range = workbook.worksheet_range("Bilan 2025").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, headers.iter().collect::<Vec<_>>());
    let line = range
        .rows()
        .find(|r| r[column("N° action")] == calamine::Data::String("5".into()))
        .unwrap();
    assert_eq!(line[column("Réalisé 2025")], calamine::Data::Float(10500.5));
    assert_eq!(line[column("Cible 2025")], calamine::Data::Float(10000.0));

    // JSON: as its schema says, the same numbers.
    let (status, json, content_type) = committee
        .get_bytes(&format!("{GOSB}/bilan/2024/bilan.json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/json"));
    let value: Value = serde_json::from_slice(&json).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("static/schema/bilan-v2.json").unwrap())
            .unwrap();
    check(&schema, &value, "$");
    let hours_row = value["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "Nombre d'heures réalisé par an")
        .unwrap();
    assert_eq!(hours_row["actual"], 97972);
    assert_eq!(hours_row["target"], 25000);
    assert_eq!(hours_row["previous_actual"], 58526);
    assert_eq!(hours_row["status"], "achieved");
    assert_eq!(hours_row["objective_code"], "FA4");
    assert_eq!(value["previous_year"], 2023);
    let page = committee.get(&format!("{GOSB}/bilan/2024")).await;
    assert!(
        page.texts("tr.spaser-bilan-row")
            .iter()
            .any(|r| r.starts_with("Nombre d'heures réalisé par an 25 000 h 97 972 h 58 526 h"))
    );
    assert_eq!(
        committee
            .get(&format!("{GOSB}/bilan/2024/bilan.odt"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_published_plans_are_public_and_never_with_a_form() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut visitor = Client::new(&app);
    let addresses = [
        GOSB_PUBLIC.to_string(),
        format!("{GOSB_PUBLIC}/bilan/2024"),
        format!("{GOSB_PUBLIC}/bilan/2024/bilan.csv"),
        format!("{GOSB_PUBLIC}/bilan/2024/bilan.json"),
        format!("{GOSB_PUBLIC}/comparaison"),
    ];
    for path in &addresses {
        assert_eq!(
            visitor.get(path).await.status,
            StatusCode::NOT_FOUND,
            "unpublished: {path}"
        );
    }
    assert!(visitor.get("/").await.texts(".card-title").is_empty());

    // Only an administrator publishes.
    let mut committee = Client::signed_in(&app, "comite@grand-orly-seine-bievre.demo").await;
    let refused = committee
        .post(
            &format!("{GOSB}/publication"),
            &[("publication", "publier")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut admin = Client::signed_in(&app, "admin@grand-orly-seine-bievre.demo").await;
    admin.get(GOSB).await;
    let published = admin
        .post(
            &format!("{GOSB}/publication"),
            &[("publication", "publier")],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get(GOSB).await.texts(".spaser-published a"),
        [GOSB_PUBLIC]
    );

    for path in &addresses {
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "published: {path}");
        let document = scraper::Html::parse_document(&page.body);
        let forms =
            scraper::Selector::parse("form[method='post'], input[name^='v-'], textarea").unwrap();
        assert_eq!(document.select(&forms).count(), 0, "no form on {path}");
    }
    let bilan = visitor.get(&format!("{GOSB_PUBLIC}/bilan/2024")).await;
    assert!(
        sentences(&bilan).contains(
            &"97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)".to_string()
        )
    );
    let home = visitor.get("/").await;
    assert_eq!(
        home.texts(".card-title a"),
        ["Schéma de promotion des achats publics socialement et écologiquement responsables"]
    );
    // The office's plan, not published, stays private.
    assert_eq!(
        visitor
            .get("/public/office-habitat/spaser-2025-2027")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Withdrawn: private again.
    admin.get(GOSB).await;
    assert_eq!(
        admin
            .post(
                &format!("{GOSB}/publication"),
                &[("publication", "retirer")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    for path in &addresses {
        assert_eq!(
            visitor.get(path).await.status,
            StatusCode::NOT_FOUND,
            "withdrawn: {path}"
        );
    }
}

#[tokio::test]
async fn pages_open_on_the_latest_year_with_values_else_the_first() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    // The office's plan (2025–2027) has no value yet: its first year, whatever the calendar.
    let page = staff.get(OFFICE).await;
    assert_eq!(page.texts("a.tag[aria-current='page']"), ["2025"]);
    let page = staff.get(&format!("{OFFICE}/comparaison")).await;
    assert_eq!(page.texts("h1"), ["Comparaison 2025 / 2026"]);
    // A value entered for 2026: the plan and the comparison open on 2026.
    let hours = indicator(&pool, "5").await;
    enter(&mut staff, 2026, &hours, "12 000").await;
    let page = staff.get(OFFICE).await;
    assert_eq!(page.texts("a.tag[aria-current='page']"), ["2026"]);
    assert!(page.body.contains(&format!("{OFFICE}/bilan/2026")));
    let page = staff.get(&format!("{OFFICE}/comparaison")).await;
    assert_eq!(page.texts("h1"), ["Comparaison 2025 / 2026"]);
    // The bilan marks its year among the others.
    let page = staff.get(&format!("{OFFICE}/bilan/2026")).await;
    assert_eq!(page.texts("a.tag[aria-current='page']"), ["Bilan 2026"]);
    // GOSB's plan (2023–2024) ended: it opens on 2024, its last year with values.
    let mut committee = Client::signed_in(&app, "comite@grand-orly-seine-bievre.demo").await;
    let page = committee.get(GOSB).await;
    assert_eq!(page.texts("a.tag[aria-current='page']"), ["2024"]);
}

#[tokio::test]
async fn two_years_side_by_side() {
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@grand-orly-seine-bievre.demo").await;
    let page = committee
        .get(&format!("{GOSB}/comparaison?de=2023&a=2024"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("h1"), ["Comparaison 2023 / 2024"]);
    let lines = page.texts("tr.spaser-compare-line");
    assert!(
        lines.contains(
            &"Nombre d'heures réalisé par an 20 000 h 58 526 h Atteint 25 000 h 97 972 h Atteint +39 446 h ↗ en progrès"
                .to_string()
        ),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l == "Pourcentage de marchés attribués à des PME et structures de l'ESS — 58 % À apprécier — 75 % À apprécier +17 points ↗ en progrès"), "a value without a numeric target awaits a person's judgement: {lines:?}");
    assert_eq!(page.texts("tr.spaser-compare-objective").len(), 11);
    // The arrow follows the value; the words and colour follow the indicator's direction.
    assert!(
        page.texts(".spaser-change .badge-error")
            .iter()
            .any(|t| t == "↘ en recul"),
        "32 % after 38 %"
    );
    assert!(
        page.texts(".spaser-change .badge-success")
            .iter()
            .any(|t| t == "↗ en progrès")
    );
    // Years outside the plan fall back to its last two.
    let page = committee
        .get(&format!("{GOSB}/comparaison?de=1990&a=2099"))
        .await;
    assert_eq!(page.texts("h1"), ["Comparaison 2023 / 2024"]);
    assert_eq!(
        normalise(&page.texts("select#a option[selected]")[0]),
        "2024"
    );
}

#[tokio::test]
async fn the_public_bilan_shows_a_change_at_once() {
    let pool = demo_pool().await;
    let app = app(&pool);
    sqlx::query("UPDATE plan SET published_at = now() WHERE slug = 'spaser-2023-2024'")
        .execute(&pool)
        .await
        .unwrap();
    let mut visitor = Client::new(&app);
    let path = format!("{GOSB_PUBLIC}/bilan/2024");
    let first = visitor.get(&path).await;
    assert!(
        first
            .texts("tr.spaser-bilan-row")
            .iter()
            .any(|r| r.starts_with("Nombre d'heures réalisé par an 25 000 h 97 972 h"))
    );
    // The same page again (rendered once, kept), then a change made by procurement staff.
    assert_eq!(visitor.get(&path).await.body, first.body);
    let hours: i64 = sqlx::query_scalar(
        "SELECT id FROM indicator WHERE label = 'Nombre d''heures réalisé par an'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let hours = hours.to_string();
    let mut staff = Client::signed_in(&app, "commande-publique@grand-orly-seine-bievre.demo").await;
    let entry = format!("{GOSB}/saisie/2024");
    let page = staff.get(&entry).await;
    let document = scraper::Html::parse_document(&page.body);
    let version = document
        .select(&scraper::Selector::parse(&format!("[name='ver-{hours}']")).unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let saved = staff
        .post(
            &entry,
            &[
                (&format!("ver-{hours}"), version.as_str()),
                (&format!("v-{hours}"), "98 000"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let after = visitor.get(&path).await;
    assert!(
        sentences(&after).contains(
            &"98 000 heures pour un objectif de 25 000 heures (58 526 en 2023)".to_string()
        ),
        "{:?}",
        sentences(&after)
    );
    // A signed-in visitor of the public address gets the same public page.
    let mut member = Client::signed_in(&app, "comite@grand-orly-seine-bievre.demo").await;
    assert_eq!(member.get(&path).await.body, after.body);
}

#[tokio::test]
async fn the_bilan_page_opens_on_a_synthesis_line_per_fiche() {
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@grand-orly-seine-bievre.demo").await;
    let page = committee.get(&format!("{GOSB}/bilan/2024")).await;
    let lines = page.texts("tr.spaser-synthesis-row");
    assert_eq!(lines.len(), 11, "{lines:?}");
    assert!(
        lines[0].starts_with("FA1 — Faciliter l'accès"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("75 % (58 % en 2023)"), "{}", lines[0]);
    assert!(
        lines[0].contains("Mise en place du \"Parcours des marchés publics\""),
        "{}",
        lines[0]
    );
    assert!(lines[3].contains("Atteint"), "{}", lines[3]);
    assert!(lines[3].contains("120 bénéficiaires"), "{}", lines[3]);
    // Before the detail.
    let synthesis = page.body.find("spaser-synthesis-row").unwrap();
    let detail = page.body.find("spaser-objective__title").unwrap();
    assert!(synthesis < detail);
    // A chart's legend names only what it draws: GOSB gave no target for its SME share.
    let legends: Vec<String> = page
        .texts("figure.spaser-chart figcaption")
        .iter()
        .map(|c| c.split('.').next().unwrap_or_default().trim().to_string())
        .collect();
    assert!(
        legends.contains(&"Réalisé Cible".to_string()),
        "{legends:?}"
    );
    assert!(legends.contains(&"Réalisé".to_string()), "{legends:?}");
    // The documents are offered.
    let links = page.texts("a[href$='/bilan.pdf'], a[href$='/bilan.docx']");
    assert_eq!(links.len(), 2, "{links:?}");
}

// Issue 18: the bilan is rendered once per plan revision and audience and kept; the frame around
// it (name, token, publication form) is each person's, and what members read never reaches the
// public (nor the other way round), however the requests follow one another.
#[tokio::test]
async fn the_kept_bilan_is_each_audiences_own_and_its_frame_each_persons() {
    let pool = demo_pool().await;
    let app = app(&pool);
    publish_office(&pool).await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    // Entered, not validated: members see it, the public does not.
    enter(&mut staff, 2025, &hours, "10 500").await;
    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let public = "/public/office-habitat/spaser-2025-2027/bilan/2025";
    let said = |sentences: Vec<String>| sentences.iter().any(|s| s.starts_with("10 500 heures"));
    for round in 0..2 {
        // The public first in the second round: whichever is rendered first, each gets its own.
        if round == 1 {
            let (status, page) = crate::support::get(&app, public).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!said(crate::support::texts(&page, ".spaser-sentence")));
        }
        let seen = committee.get(&format!("{OFFICE}/bilan/2025")).await;
        assert!(said(sentences(&seen)), "{:?}", sentences(&seen));
        let name = |page: &Page| page.texts(".header-nav a[href='/compte']");
        assert_eq!(name(&seen), ["Comité de suivi (démo)"]);
        assert!(
            seen.texts("button[value=publier]").is_empty(),
            "only administrators publish"
        );
        let by_admin = admin.get(&format!("{OFFICE}/bilan/2025")).await;
        assert!(said(sentences(&by_admin)));
        assert_ne!(name(&by_admin), name(&seen));
        assert_eq!(
            by_admin.texts("button[value=retirer]"),
            ["Retirer la publication"]
        );
        // Each page carries its reader's own token.
        let tokens = |page: &Page| page.attrs("input[name=_csrf]", "value");
        assert!(!tokens(&seen).is_empty() && !tokens(&by_admin).is_empty());
        assert!(tokens(&seen).iter().all(|t| !tokens(&by_admin).contains(t)));
        let (status, page) = crate::support::get(&app, public).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !said(crate::support::texts(&page, ".spaser-sentence")),
            "round {round}: the public page"
        );
        assert!(
            !crate::support::texts(&page, ".spaser-withheld").is_empty(),
            "the public is told why"
        );
    }
    // A change is seen at once by both audiences.
    enter(&mut staff, 2025, &hours, "11 000").await;
    let seen = committee.get(&format!("{OFFICE}/bilan/2025")).await;
    assert!(
        sentences(&seen)
            .iter()
            .any(|s| s.starts_with("11 000 heures")),
        "{:?}",
        sentences(&seen)
    );
}

// Issue 18: a render after a change reads the plan's values and the structure revision they go
// with, and takes the structure kept at that revision. A change to the structure (an indicator
// renamed, a service renamed), made by whatever server (here straight in the database), shows at
// once on the members' bilan and on the entry page, and values keep showing under it.
#[tokio::test]
async fn a_render_reads_the_structure_again_once_it_changed_whoever_changed_it() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let bilan = format!("{OFFICE}/bilan/2025");
    let entry = format!("{OFFICE}/saisie/2025");
    let rows = |page: &Page| page.texts("tr.spaser-bilan-row th");
    let hours = indicator(&pool, "5").await;
    let label: String = sqlx::query_scalar("SELECT label FROM indicator WHERE id = $1::bigint")
        .bind(&hours)
        .fetch_one(&pool)
        .await
        .unwrap();
    // Read once: the structure is kept, and so are the pages.
    assert!(rows(&committee.get(&bilan).await).contains(&label));
    let legends = |page: &Page| page.texts("legend[id$='-legende']");
    assert!(legends(&staff.get(&entry).await).contains(&label));
    enter(&mut staff, 2025, &hours, "10 100").await;
    assert!(rows(&committee.get(&bilan).await).contains(&label));

    sqlx::query(
        "UPDATE indicator SET label = 'Heures d''insertion (libellé changé)' WHERE id = $1::bigint",
    )
    .bind(&hours)
    .execute(&pool)
    .await
    .unwrap();
    let seen = committee.get(&bilan).await;
    assert!(
        rows(&seen).contains(&"Heures d'insertion (libellé changé)".to_string()),
        "{:?}",
        rows(&seen)
    );
    assert!(!rows(&seen).contains(&label));
    assert!(
        sentences(&seen)
            .iter()
            .any(|s| s.starts_with("10 100 heures"))
    );
    let page = staff.get(&entry).await;
    assert!(legends(&page).contains(&"Heures d'insertion (libellé changé)".to_string()));
    assert!(!legends(&page).contains(&label));

    // A value changed next: the structure kept at the new revision, the value shown under it.
    enter(&mut staff, 2025, &hours, "12 345").await;
    let seen = committee.get(&bilan).await;
    assert!(
        sentences(&seen)
            .iter()
            .any(|s| s.starts_with("12 345 heures"))
    );
    assert!(rows(&seen).contains(&"Heures d'insertion (libellé changé)".to_string()));

    // The targets are kept with the structure: one changed, added or taken away shows at once,
    // on the bilan's sentence and on the entry page.
    let target_of = |page: &Page| {
        let sentence = sentences(page)
            .into_iter()
            .find(|s| s.starts_with("12 345 heures"))
            .expect("the indicator's sentence");
        sentence
            .split_once(" pour un objectif de ")
            .map(|(_, target)| target.to_string())
    };
    let entry_target = |page: &Page| {
        page.texts("p.text-sm")
            .into_iter()
            .filter(|p| p.starts_with("Cible 2025 : "))
            .collect::<Vec<_>>()
    };
    // A statement on the indicator's 2025 target, straight in the database.
    let on_target = |sql: &'static str| {
        let (pool, hours) = (pool.clone(), hours.clone());
        async move {
            sqlx::query(sql).bind(hours).execute(&pool).await.unwrap();
        }
    };
    let before = target_of(&committee.get(&bilan).await);
    assert!(before.is_some(), "the demo indicator has a 2025 target");
    on_target(
        "UPDATE indicator_target SET value = 54321, text = NULL
          WHERE indicator_id = $1::bigint AND year = 2025",
    )
    .await;
    let target = target_of(&committee.get(&bilan).await).unwrap();
    assert!(target.starts_with("54 321"), "{target}");
    let shown = entry_target(&staff.get(&entry).await);
    assert!(shown.iter().any(|p| p.contains("54 321")), "{shown:?}");
    on_target("DELETE FROM indicator_target WHERE indicator_id = $1::bigint AND year = 2025").await;
    assert_eq!(target_of(&committee.get(&bilan).await), None);
    let shown = entry_target(&staff.get(&entry).await);
    assert!(!shown.iter().any(|p| p.contains("54 321")), "{shown:?}");
    on_target(
        "INSERT INTO indicator_target (indicator_id, year, value) VALUES ($1::bigint, 2025, 7777)",
    )
    .await;
    let target = target_of(&committee.get(&bilan).await).unwrap();
    assert!(target.starts_with("7 777"), "{target}");
    let shown = entry_target(&staff.get(&entry).await);
    assert!(shown.iter().any(|p| p.contains("7 777")), "{shown:?}");

    // A service renamed changes the pilots every page names.
    let service: String = sqlx::query_scalar(
        "SELECT s.name FROM service s JOIN indicator_pilot ip ON ip.service_id = s.id
           JOIN indicator i ON i.id = ip.indicator_id JOIN plan p ON p.id = i.plan_id
          WHERE p.slug = 'spaser-2025-2027' ORDER BY i.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE service SET name = 'Service au nom changé' WHERE name = $1")
        .bind(&service)
        .execute(&pool)
        .await
        .unwrap();
    let pilots = committee.get(&bilan).await.texts("p.spaser-muted");
    assert!(
        pilots.iter().any(|p| p.contains("Service au nom changé")),
        "{pilots:?}"
    );
    assert!(!pilots.iter().any(|p| p.contains(&service)), "{pilots:?}");
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut page = String::new();
    // The decoder checks the stream's CRC-32 and length too.
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut page)
        .expect("a whole gzip stream");
    page
}

// Issue 18: to a client that accepts gzip, the kept bilan goes as compressed once, between the
// frame's parts compressed for each request. The page reads back as each person gets it plain,
// before and after a change, members' and public alike; a client that refuses gzip or asks only
// for brotli gets what it asked for.
#[tokio::test]
async fn the_bilan_compressed_once_reads_back_as_each_person_gets_it() {
    let pool = demo_pool().await;
    let app = app(&pool);
    publish_office(&pool).await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut visitor = Client::new(&app);
    let bilan = format!("{OFFICE}/bilan/2025");
    let public = "/public/office-habitat/spaser-2025-2027/bilan/2025";
    let hours = indicator(&pool, "5").await;
    for value in ["10 200", "10 300"] {
        enter(&mut staff, 2025, &hours, value).await;
        for (client, path) in [
            (&mut committee, bilan.as_str()),
            (&mut admin, bilan.as_str()),
            (&mut visitor, public),
        ] {
            // Twice: the first compresses the kept bilan, the second takes it compressed.
            for _ in 0..2 {
                let plain = client.get(path).await;
                let (status, headers, bytes) =
                    client.get_encoded(path, "gzip, deflate, br, zstd").await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(headers["content-encoding"], "gzip", "{path}");
                assert_eq!(headers["vary"], "accept-encoding");
                assert!(bytes.len() < plain.body.len() / 4);
                let page = gunzip(&bytes);
                assert_eq!(page, plain.body, "{path}");
                // Entered, not validated: members read it, the public does not.
                let said = crate::support::texts(&page, ".spaser-sentence");
                assert_eq!(
                    said.iter()
                        .any(|s| s.starts_with(&format!("{value} heures"))),
                    path != public,
                    "{path}: {said:?}"
                );
            }
        }
    }
    // Brotli alone, or gzip refused: compressed as asked as the page is sent, or not at all.
    let (_, headers, _) = committee.get_encoded(&bilan, "gzip;q=0, br").await;
    assert_eq!(headers["content-encoding"], "br");
    let (_, headers, bytes) = committee.get_encoded(&bilan, "identity").await;
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        committee.get(&bilan).await.body
    );
}
