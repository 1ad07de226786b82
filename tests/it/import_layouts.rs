//! Issue 15: plans written by other buyers import too. Two spreadsheets built here, in the
//! layouts buyers really use:
//! 1. a département's plan: a title and an adoption line above the header, its own headings
//!    (pilot column first), axes lettered A and B, targets written in every way the issue quotes;
//! 2. a plan on the second sheet after a read-me, axis and objective cells merged down, roman and
//!    dotted numbers, an objective without a number, one column per year of targets (one outside
//!    the period), unit, direction and baseline in their own columns, a pilot column no synonym
//!    names.
//!
//! Both go through the command line (`--dry-run --format json`) and the second through the web
//! preview with a change of mapping, remembered for the next import.

use axum::http::StatusCode;
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Value, json};

use crate::support::{Client, app, demo_pool, fresh_database};

/// Writes rows into a sheet: numbers as numbers, the rest as text; `None` leaves a cell empty.
fn write_rows(sheet: &mut rust_xlsxwriter::Worksheet, rows: &[Vec<Option<Value>>]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Some(Value::Number(n)) => {
                    sheet
                        .write_number(r as u32, c as u16, n.as_f64().unwrap())
                        .unwrap();
                }
                Some(Value::String(s)) => {
                    sheet.write_string(r as u32, c as u16, s).unwrap();
                }
                _ => {}
            }
        }
    }
}

fn t(s: &str) -> Option<Value> {
    Some(Value::String(s.to_string()))
}

fn n(v: f64) -> Option<Value> {
    Some(json!(v))
}

/// The département's plan: title rows, its headings, lettered axes, targets as prose.
pub fn departement_xlsx() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Plan").unwrap();
    let title = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 10, "Plan d'actions SPASER du Département", &title)
        .unwrap();
    let rows = vec![
        vec![],
        vec![t("Adopté le 12/03/2024 par l'assemblée départementale")],
        vec![
            t("Pilote(s)"),
            t("Numéro d'axe"),
            t("Intitulé de l'axe"),
            t("Objectif n°"),
            t("Libellé de l'objectif"),
            t("Action n°"),
            t("Intitulé de l'action"),
            t("Indicateur(s)"),
            t("Nature de l'indicateur"),
            t("Cibles"),
            t("Observations"),
        ],
        vec![
            t("DRH / Direction des achats"),
            t("A"),
            t("Social"),
            n(1.0),
            t("Développer l'insertion"),
            n(1.0),
            t("Clauses d'insertion"),
            t("Heures d'insertion"),
            t("Quantitatif"),
            t(
                "Cible 2024 : 25 000 h ; cible 2025 : 30 000 h ; cible 2026 : 35 000 h (référence 2022 : 18 500 h)",
            ),
            t("Suivi trimestriel"),
        ],
        vec![
            t("Direction des achats"),
            t("A"),
            t("Social"),
            n(2.0),
            t("Réserver des marchés"),
            n(2.0),
            t("Marchés réservés aux SIAE"),
            t("Nombre de marchés réservés"),
            t("Quantitatif"),
            t("2024 → 3 ; 2025 → 4 ; 2026 → 5"),
        ],
        vec![
            t("Direction de l'environnement"),
            t("B"),
            t("Environnement"),
            n(3.0),
            t("Réduire les déchets"),
            n(3.0),
            t("Réduire les déchets de chantier"),
            t("Déchets de chantier"),
            t("Quantitatif"),
            t("Baisse : 1 100 t en 2024, 1 000 t en 2025, 900 t en 2026"),
        ],
        vec![
            t("DRH"),
            t("B"),
            t("Environnement"),
            n(4.0),
            t("Former"),
            n(4.0),
            t("Former les acheteurs"),
            t("Formations des acheteurs"),
            t("Les 2"),
            t("1 formation minimum avec 20 personnes"),
        ],
        vec![
            t("Direction des achats"),
            t("B"),
            t("Environnement"),
            n(4.0),
            t("Former"),
            n(5.0),
            t("Clauses environnementales"),
            t("Part des marchés avec clause environnementale"),
            t("Quantitatif"),
            t("Objectif 2024 : 40 % Cible 2025 : au moins 50 % Valeur cible 2026 : 60 %"),
        ],
        vec![
            t("Direction des achats"),
            t("B"),
            t("Environnement"),
            n(4.0),
            t("Former"),
            n(6.0),
            t("Critères d'attribution"),
            t("Part des marchés avec critère environnemental"),
            t("Quantitatif"),
            t("30 % chaque année"),
        ],
    ];
    write_rows(sheet, &rows);
    workbook.save_to_buffer().unwrap()
}

/// The plan on its second sheet, merged cells, one column per year.
pub fn merged_xlsx() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let readme = workbook.add_worksheet();
    readme.set_name("Lisez-moi").unwrap();
    write_rows(
        readme,
        &[
            vec![t(
                "Schéma de promotion des achats socialement et écologiquement responsables",
            )],
            vec![t(
                "La feuille suivante présente le plan : un axe, ses objectifs, leurs actions.",
            )],
            vec![t("Contact"), t("achats@exemple.fr")],
        ],
    );
    let sheet = workbook.add_worksheet();
    sheet.set_name("SPASER 2025-2027").unwrap();
    let plain = Format::new();
    let rows = vec![
        vec![
            t("N° axe"),
            t("Axe stratégique"),
            t("N° objectif"),
            t("Objectif stratégique"),
            t("Action"),
            t("Indicateur de suivi"),
            t("Unité"),
            t("Sens"),
            t("Valeur de référence (2024)"),
            t("Cible 2025"),
            t("Cible 2026"),
            t("Cible 2027"),
            t("Cible 2028"),
            t("Qui fait ?"),
        ],
        vec![
            None,
            None,
            None,
            None,
            t("Clauses d'insertion dans les marchés de travaux"),
            t("Heures d'insertion"),
            t("heures"),
            t("hausse"),
            n(18500.0),
            n(20000.0),
            n(22000.0),
            n(25000.0),
            n(27000.0),
            t("Direction des achats"),
        ],
        vec![
            None,
            None,
            None,
            None,
            t("Suivre la part des marchés avec clause"),
            t("Part des marchés avec clause sociale"),
            t("%"),
            t("hausse"),
            n(12.0),
            n(15.0),
            n(18.0),
            n(20.0),
            None,
            t("DRH"),
        ],
        vec![
            None,
            None,
            t("1.2"),
            t("Réserver des marchés"),
            t("Réserver des lots"),
            t("Lots réservés"),
            t("Nombre"),
            t("hausse"),
            n(2.0),
            n(3.0),
            n(4.0),
            n(5.0),
            None,
            t("Direction des achats"),
        ],
        vec![
            None,
            None,
            t("2.1"),
            t("Réduire les émissions"),
            t("Flotte propre"),
            t("Émissions de la flotte"),
            t("tCO2e"),
            t("baisse"),
            n(1200.0),
            n(1100.0),
            n(1000.0),
            n(900.0),
            None,
            t("Parc automobile"),
        ],
        vec![
            None,
            None,
            None,
            t("Sobriété numérique"),
            t("Allonger la durée d'usage"),
            t("Budget de matériel informatique"),
            t("k€"),
            t("baisse"),
            n(350.0),
            n(320.0),
            n(300.0),
            t("au plus 280"),
            None,
            t("DSI"),
        ],
    ];
    write_rows(sheet, &rows);
    // Axes and the first objective merged down over their rows.
    sheet.merge_range(1, 0, 3, 0, "I", &plain).unwrap();
    sheet
        .merge_range(1, 1, 3, 1, "Achats socialement responsables", &plain)
        .unwrap();
    sheet.merge_range(1, 2, 2, 2, "1.1", &plain).unwrap();
    sheet
        .merge_range(1, 3, 2, 3, "Développer l'insertion", &plain)
        .unwrap();
    sheet.merge_range(4, 0, 5, 0, "II", &plain).unwrap();
    sheet
        .merge_range(4, 1, 5, 1, "Achats écologiquement responsables", &plain)
        .unwrap();
    workbook.save_to_buffer().unwrap()
}

/// Every indicator of a JSON preview: (label, unit, direction, baseline, targets).
fn indicators(preview: &Value) -> Vec<Value> {
    preview["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["actions"].as_array().unwrap().iter())
        .flat_map(|a| a["indicators"].as_array().unwrap().iter())
        .map(|i| {
            json!({
                "label": i["label"],
                "unit": i["unit"],
                "direction": i["direction"],
                "baseline": i["baseline"],
                "targets": i["targets"],
            })
        })
        .collect()
}

fn target(year: i32, number: Value, text: Value) -> Value {
    json!({"year": year, "number": number, "text": text})
}

/// Runs `spaser import … --dry-run --format json` on a file and reads its standard output.
fn dry_run_json(url: &str, file: &std::path::Path, extra: &[&str]) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
        .args(["import"])
        .arg(file)
        .args([
            "--organisation",
            "office-habitat",
            "--dry-run",
            "--format",
            "json",
        ])
        .args(extra)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("Essai à blanc"));
    serde_json::from_slice(&output.stdout).expect("the whole standard output is JSON")
}

#[tokio::test]
async fn a_departements_plan_reads_through_the_command_line() {
    let (pool, url) = fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    let dir = tempdir();
    let file = dir.join("departement.xlsx");
    std::fs::write(&file, departement_xlsx()).unwrap();
    let preview = dry_run_json(&url, &file, &["--title", "SPASER du Département"]);

    // The years are those the targets name; the baseline's 2022 does not widen them.
    assert_eq!(
        preview["plan"],
        json!({"title": "SPASER du Département", "first_year": 2024, "last_year": 2026, "adopted_on": "2024-03-12"})
    );
    assert_eq!(preview["header_row"], 3, "title rows skipped");
    assert_eq!(
        preview["axes"],
        json!([
            {"number": 1, "name": "A", "label": "Social"},
            {"number": 2, "name": "B", "label": "Environnement"}
        ])
    );
    let columns: Vec<(String, Value)> = preview["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["header"].as_str().unwrap().to_string(),
                c["field"].clone(),
            )
        })
        .collect();
    assert_eq!(columns[0], ("Pilote(s)".into(), json!("pilots")));
    assert_eq!(columns[9], ("Cibles".into(), json!("targets")));
    assert_eq!(columns[10], ("Observations".into(), Value::Null));
    let objectives: Vec<(Value, Value)> = preview["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["code"].clone(), o["axis"].clone()))
        .collect();
    assert_eq!(
        objectives,
        [
            (json!("1"), json!("A")),
            (json!("2"), json!("A")),
            (json!("3"), json!("B")),
            (json!("4"), json!("B"))
        ]
    );
    let hours = json!("h");
    let null = Value::Null;
    assert_eq!(
        indicators(&preview),
        [
            json!({
                "label": "Heures d'insertion", "unit": hours, "direction": "up",
                "baseline": {"year": 2022, "value": 18500},
                "targets": [target(2024, json!(25000), null.clone()), target(2025, json!(30000), null.clone()), target(2026, json!(35000), null.clone())],
            }),
            json!({
                "label": "Nombre de marchés réservés", "unit": null, "direction": "up", "baseline": null,
                "targets": [target(2024, json!(3), null.clone()), target(2025, json!(4), null.clone()), target(2026, json!(5), null.clone())],
            }),
            json!({
                "label": "Déchets de chantier", "unit": "t", "direction": "down", "baseline": null,
                "targets": [target(2024, json!(1100), null.clone()), target(2025, json!(1000), null.clone()), target(2026, json!(900), null.clone())],
            }),
            json!({
                "label": "Formations des acheteurs", "unit": "formations", "direction": "up", "baseline": null,
                "targets": (2024..=2026).map(|y| target(y, json!(1), json!("1 formation minimum avec 20 personnes"))).collect::<Vec<_>>(),
            }),
            json!({
                "label": "Part des marchés avec clause environnementale", "unit": "%", "direction": "up", "baseline": null,
                "targets": [target(2024, json!(40), null.clone()), target(2025, json!(50), json!("au moins 50 %")), target(2026, json!(60), null.clone())],
            }),
            json!({
                "label": "Part des marchés avec critère environnemental", "unit": "%", "direction": "up", "baseline": null,
                "targets": (2024..=2026).map(|y| target(y, json!(30), null.clone())).collect::<Vec<_>>(),
            }),
        ]
    );
    let pilots = &preview["objectives"][0]["actions"][0]["indicators"][0]["pilots"];
    assert_eq!(pilots, &json!(["DRH", "Direction des achats"]));
    let warnings: Vec<String> = preview["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(warnings, ["colonne « Observations » ignorée"]);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM plan")
            .fetch_one(&pool)
            .await
            .unwrap(),
        2,
        "a dry run writes nothing"
    );
}

#[tokio::test]
async fn a_plan_on_its_second_sheet_with_merged_cells_and_year_columns_reads_through_the_command_line()
 {
    let (pool, url) = fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    let dir = tempdir();
    let file = dir.join("second-sheet-merged.xlsx");
    std::fs::write(&file, merged_xlsx()).unwrap();
    let preview = dry_run_json(
        &url,
        &file,
        &[
            "--title",
            "SPASER 2025-2027",
            "--first-year",
            "2025",
            "--last-year",
            "2027",
            "--column",
            "Qui fait ?=pilots",
        ],
    );
    assert_eq!(
        preview["sheet"], "SPASER 2025-2027",
        "the read-me is passed"
    );
    assert_eq!(preview["sheets"], json!(["Lisez-moi", "SPASER 2025-2027"]));
    assert_eq!(
        preview["axes"],
        json!([
            {"number": 1, "name": "I", "label": "Achats socialement responsables"},
            {"number": 2, "name": "II", "label": "Achats écologiquement responsables"}
        ])
    );
    let objectives: Vec<(Value, Value, Value, usize)> = preview["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["code"].clone(),
                o["label"].clone(),
                o["axis"].clone(),
                o["actions"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        objectives,
        [
            (json!("1.1"), json!("Développer l'insertion"), json!("I"), 2),
            (json!("1.2"), json!("Réserver des marchés"), json!("I"), 1),
            (json!("2.1"), json!("Réduire les émissions"), json!("II"), 1),
            (json!("4"), json!("Sobriété numérique"), json!("II"), 1),
        ],
        "merged cells spread; an objective without a number gets the first free one"
    );
    let null = Value::Null;
    let numbers = |values: [f64; 3]| -> Vec<Value> {
        values
            .iter()
            .zip(2025..)
            .map(|(v, y)| target(y, json!(*v as i64), Value::Null))
            .collect()
    };
    assert_eq!(
        indicators(&preview),
        [
            json!({"label": "Heures d'insertion", "unit": "h", "direction": "up",
                   "baseline": {"year": 2024, "value": 18500}, "targets": numbers([20000.0, 22000.0, 25000.0])}),
            json!({"label": "Part des marchés avec clause sociale", "unit": "%", "direction": "up",
                   "baseline": {"year": 2024, "value": 12}, "targets": numbers([15.0, 18.0, 20.0])}),
            json!({"label": "Lots réservés", "unit": null, "direction": "up",
                   "baseline": {"year": 2024, "value": 2}, "targets": numbers([3.0, 4.0, 5.0])}),
            json!({"label": "Émissions de la flotte", "unit": "tCO2e", "direction": "down",
                   "baseline": {"year": 2024, "value": 1200}, "targets": numbers([1100.0, 1000.0, 900.0])}),
            json!({"label": "Budget de matériel informatique", "unit": "k€", "direction": "down",
                   "baseline": {"year": 2024, "value": 350},
                   "targets": [target(2025, json!(320), null.clone()), target(2026, json!(300), null.clone()), target(2027, json!(280), json!("au plus 280"))]}),
        ]
    );
    let pilots: Vec<Value> = preview["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["actions"].as_array().unwrap().clone())
        .map(|a| a["indicators"][0]["pilots"].clone())
        .collect();
    assert_eq!(
        pilots,
        [
            json!(["Direction des achats"]),
            json!(["DRH"]),
            json!(["Direction des achats"]),
            json!(["Parc automobile"]),
            json!(["DSI"])
        ],
        "the column named on the command line"
    );
    // The year outside the period: a warning on its cell, with its row and column.
    assert_eq!(
        preview["warnings"],
        json!([{
            "row": 2,
            "column": "Cible 2028",
            "message": "colonne Cible 2028 : l'année 2028 est hors de la période du plan (2025–2027) ; cette cible n'est pas reprise"
        }])
    );
    // Without the column named, its pilots are not read; a wrong name is refused.
    let unnamed = dry_run_json(
        &url,
        &file,
        &[
            "--title",
            "X",
            "--first-year",
            "2025",
            "--last-year",
            "2027",
        ],
    );
    assert_eq!(
        unnamed["objectives"][0]["actions"][0]["indicators"][0]["pilots"],
        json!([])
    );
    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
        .arg("import")
        .arg(&file)
        .args([
            "--organisation",
            "office-habitat",
            "--title",
            "X",
            "--dry-run",
        ])
        .args(["--column", "Nulle part=pilots"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("Colonne « Nulle part » introuvable"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

/// Where the spreadsheets the tests build are left, to open them (`target/tmp/layouts/`).
fn tempdir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("layouts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Through the web: the preview shows each column and what it holds; choosing what the
/// unrecognised column holds reads the file again; the choice is kept for the next import; the
/// plan saved has every number, unit, direction and baseline.
#[tokio::test]
async fn the_web_preview_maps_columns_and_remembers_them() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get("/organisations/office-habitat/import").await;
    let fields = [
        ("plan", ""),
        ("titre", "Plan fusionné"),
        ("premiere_annee", "2025"),
        ("derniere_annee", "2027"),
        ("date_adoption", "2025-06-30"),
    ];
    let sent = crate::import::upload(
        &mut admin,
        "office-habitat",
        &merged_xlsx(),
        "plan.xlsx",
        &fields,
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let preview_path = sent.location().unwrap().to_string();
    let preview = admin.get(&preview_path).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.body.contains("adopté le 30 juin 2025"),
        "adoption date kept"
    );
    // The mapping step: every column, with what it was recognised as.
    let headers = preview.texts(".spaser-import-mapping td[data-label='En-tête du fichier']");
    assert_eq!(headers.len(), 14);
    assert_eq!(headers[13], "Qui fait ?");
    let selected = |page: &crate::support::Page, name: &str| -> String {
        let document = scraper::Html::parse_document(&page.body);
        let selector =
            scraper::Selector::parse(&format!("select[name='{name}'] option[selected]")).unwrap();
        document
            .select(&selector)
            .next()
            .map(|o| o.value().attr("value").unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(selected(&preview, "col-13"), "ignore");
    assert_eq!(selected(&preview, "col-9"), "target:2025");
    assert_eq!(selected(&preview, "feuille"), "SPASER 2025-2027");
    assert!(!preview.body.contains("DSI"), "pilots not read yet");

    // The person says the last column holds the pilots.
    let mut choice: Vec<(String, String)> = (0..14)
        .map(|i| (format!("col-{i}"), selected(&preview, &format!("col-{i}"))))
        .collect();
    choice[13].1 = "pilots".into();
    choice.push(("feuille".into(), "SPASER 2025-2027".into()));
    let form: Vec<(&str, &str)> = choice
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let remapped = admin.post(&format!("{preview_path}/colonnes"), &form).await;
    assert_eq!(remapped.status, StatusCode::SEE_OTHER, "{}", remapped.body);
    let preview = admin.get(&preview_path).await;
    assert_eq!(selected(&preview, "col-13"), "pilots");
    assert!(
        preview
            .texts(".spaser-import-detail")
            .contains(&"— référence : 1 200 tCO2e en 2024".to_string()),
        "{:?}",
        preview.texts(".spaser-import-detail")
    );
    assert!(
        preview
            .texts(".spaser-import-detail")
            .contains(&"— sens : à la baisse".to_string())
    );
    assert!(
        preview
            .texts(".spaser-import-counts")
            .concat()
            .contains("DSI"),
        "{:?}",
        preview.texts(".spaser-import-counts")
    );
    assert!(
        preview
            .texts(".spaser-import-notes li")
            .iter()
            .any(|n| n.starts_with("Ligne 2, colonne « Cible 2028 » : ")),
        "{:?}",
        preview.texts(".spaser-import-notes li")
    );

    // Saved: a success message on the plan, every figure in the database.
    let committed = admin.post(&preview_path, &[]).await;
    assert_eq!(
        committed.status,
        StatusCode::SEE_OTHER,
        "{}",
        committed.body
    );
    let plan = admin.get(committed.location().unwrap()).await;
    assert!(
        plan.texts(".alert-success p")
            .concat()
            .starts_with("Plan enregistré depuis le fichier importé"),
        "{:?}",
        plan.texts(".alert-success p")
    );
    let adopted: Option<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT adopted_on FROM plan WHERE slug = 'plan-fusionne'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(adopted, chrono::NaiveDate::from_ymd_opt(2025, 6, 30));
    let axes: Vec<(i32, Option<String>, String)> = sqlx::query_as(
        "SELECT x.number, x.code, x.label FROM axis x JOIN plan p ON p.id = x.plan_id WHERE p.slug = 'plan-fusionne' ORDER BY x.number",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        axes,
        [
            (
                1,
                Some("I".into()),
                "Achats socialement responsables".into()
            ),
            (
                2,
                Some("II".into()),
                "Achats écologiquement responsables".into()
            )
        ]
    );
    type Row = (
        String,
        Option<String>,
        String,
        Option<rust_decimal::Decimal>,
        Option<i32>,
        Vec<i32>,
        Vec<rust_decimal::Decimal>,
        String,
    );
    let stored: Vec<Row> = sqlx::query_as(
        "SELECT i.label, i.unit, i.direction, i.baseline_value, i.baseline_year,
                array_agg(t.year ORDER BY t.year), array_agg(t.value ORDER BY t.year),
                (SELECT string_agg(s.name, ',') FROM indicator_pilot ip JOIN service s ON s.id = ip.service_id WHERE ip.indicator_id = i.id)
           FROM indicator i JOIN plan p ON p.id = i.plan_id JOIN indicator_target t ON t.indicator_id = i.id
          WHERE p.slug = 'plan-fusionne' GROUP BY i.id ORDER BY i.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let d = |v: i64| rust_decimal::Decimal::from(v);
    let row = |label: &str,
               unit: Option<&str>,
               direction: &str,
               baseline: i64,
               targets: [i64; 3],
               pilot: &str|
     -> Row {
        (
            label.into(),
            unit.map(str::to_string),
            direction.into(),
            Some(d(baseline)),
            Some(2024),
            vec![2025, 2026, 2027],
            targets.map(d).to_vec(),
            pilot.into(),
        )
    };
    assert_eq!(
        stored,
        [
            row(
                "Heures d'insertion",
                Some("h"),
                "up",
                18500,
                [20000, 22000, 25000],
                "Direction des achats"
            ),
            row(
                "Part des marchés avec clause sociale",
                Some("%"),
                "up",
                12,
                [15, 18, 20],
                "DRH"
            ),
            row(
                "Lots réservés",
                None,
                "up",
                2,
                [3, 4, 5],
                "Direction des achats"
            ),
            row(
                "Émissions de la flotte",
                Some("tCO2e"),
                "down",
                1200,
                [1100, 1000, 900],
                "Parc automobile"
            ),
            row(
                "Budget de matériel informatique",
                Some("k€"),
                "down",
                350,
                [320, 300, 280],
                "DSI"
            ),
        ]
    );

    // The next import of the organisation finds the pilots' column by itself.
    admin.get("/organisations/office-habitat/import").await;
    let again = crate::import::upload(
        &mut admin,
        "office-habitat",
        &merged_xlsx(),
        "plan.xlsx",
        &[
            ("plan", ""),
            ("titre", "Plan fusionné, bis"),
            ("premiere_annee", ""),
            ("derniere_annee", ""),
        ],
        true,
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let again_path = again.location().unwrap().to_string();
    let preview = admin.get(&again_path).await;
    assert_eq!(selected(&preview, "col-13"), "pilots", "remembered");
    // The years read from the year columns: 2025–2028.
    assert!(
        preview.body.contains("(2025–2028)"),
        "{}",
        preview.texts(".lead").concat()
    );
    // Cancelled: nothing kept.
    let cancelled = admin.post(&format!("{again_path}/annuler"), &[]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        cancelled.location(),
        Some("/organisations/office-habitat/import?annule=1")
    );
    let page = admin.get(cancelled.location().unwrap()).await;
    assert_eq!(
        page.texts(".alert-info p"),
        ["Import annulé : rien n'a été enregistré."]
    );
    assert_eq!(admin.get(&again_path).await.status, StatusCode::NOT_FOUND);
}

/// A file whose required columns are not all recognised is not refused: the preview asks for
/// them, and nothing can be saved before.
#[tokio::test]
async fn unrecognised_required_columns_are_asked_for_in_the_preview() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get("/organisations/office-habitat/import").await;
    let csv =
        "Objectif;Ce qu'on fait;Indicateur;Cibles\nInsertion;Former;Personnes formées;2025 : 10\n";
    let sent = crate::import::upload(
        &mut admin,
        "office-habitat",
        csv.as_bytes(),
        "plan.csv",
        &[
            ("plan", ""),
            ("titre", "Plan à colonnes"),
            ("premiere_annee", ""),
            ("derniere_annee", ""),
        ],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let path = sent.location().unwrap().to_string();
    let preview = admin.get(&path).await;
    assert!(
        preview
            .texts(".spaser-import-mapping .alert p")
            .concat()
            .contains("Colonnes à choisir avant d'enregistrer : ACTIONS"),
        "{:?}",
        preview.texts(".alert p")
    );
    let refused = admin.post(&path, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let remapped = admin
        .post(
            &format!("{path}/colonnes"),
            &[
                ("col-0", "objective"),
                ("col-1", "action"),
                ("col-2", "indicator"),
                ("col-3", "targets"),
            ],
        )
        .await;
    assert_eq!(remapped.status, StatusCode::SEE_OTHER, "{}", remapped.body);
    let preview = admin.get(&path).await;
    assert!(preview.texts(".spaser-import-mapping .alert p").is_empty());
    assert!(preview.body.contains("Former"));
    let committed = admin.post(&path, &[]).await;
    assert_eq!(
        committed.status,
        StatusCode::SEE_OTHER,
        "{}",
        committed.body
    );
}

/// The template downloaded from the import page reads back as a plan.
#[tokio::test]
async fn the_import_template_reads_back() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let page = admin.get("/organisations/office-habitat/import").await;
    assert!(
        page.body
            .contains("/organisations/office-habitat/import/modele.xlsx")
    );
    let (status, bytes, _) = admin
        .get_bytes("/organisations/office-habitat/import/modele.xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheets = spaser::import::read_sheets(&bytes, "modele.xlsx").unwrap();
    assert_eq!(
        sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["Plan d'actions", "Lisez-moi"]
    );
    let header = spaser::domain::model::PlanHeader {
        slug: "m".into(),
        title: "Modèle".into(),
        first_year: 2025,
        last_year: 2027,
        adopted_on: None,
        objective_term: spaser::domain::model::ObjectiveTerm::Objectif,
    };
    let payload = spaser::import::read_file(&bytes, "modele.xlsx", header).unwrap();
    let indicator = payload.draft.indicators().next().unwrap();
    assert_eq!(indicator.unit.as_deref(), Some("h"));
    assert_eq!(
        indicator.baseline.as_ref().map(|b| (b.year, b.value)),
        Some((2021, 9840.into()))
    );
    assert_eq!(
        indicator
            .targets
            .iter()
            .map(|t| t.value)
            .collect::<Vec<_>>(),
        [Some(10000.into()), Some(12000.into()), Some(14000.into())]
    );
    assert_eq!(indicator.pilots, ["Service Commande Publique", "DRH"]);
    assert!(payload.notes.is_empty(), "{:?}", payload.notes);
}
