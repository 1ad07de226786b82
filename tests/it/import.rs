//! Importing a buyer's spreadsheet: every format gives the same plan, bad files are refused with
//! a message naming the row and the column, re-imports update without duplicates, and the
//! export reads back as the same plan.

use axum::http::StatusCode;
use spaser::domain::model::PlanDraft;
use spaser::domain::sheet;
use spaser::import::{self, read_table};
use sqlx::PgPool;

use crate::support::{Client, app, demo_pool, fresh_database};

/// The office's plan, as shipped with the demo (a byte copy of the seed: `demo_data.rs`).
const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/demo/office-spaser-action-plan-2025-2027.tsv"
);

fn seed_rows() -> Vec<Vec<String>> {
    read_table(&std::fs::read(SEED).unwrap(), "plan.tsv").unwrap()
}

fn draft(rows: &[Vec<String>]) -> PlanDraft {
    sheet::read_plan(rows, 2025, 2027).unwrap().draft
}

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Numbers as a spreadsheet holds them.
            match cell.parse::<f64>() {
                Ok(n) if r > 0 => sheet.write_number(r as u32, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32, c as u16, cell).unwrap(),
            };
        }
    }
    workbook.save_to_buffer().unwrap()
}

fn csv_bytes(rows: &[Vec<String>], delimiter: u8) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(&mut out);
        for row in rows {
            writer.write_record(row).unwrap();
        }
    }
    out
}

#[test]
fn every_format_and_spelling_gives_the_same_plan() {
    let rows = seed_rows();
    let expected = draft(&rows);
    assert_eq!(expected.actions().count(), 15);

    let from_xlsx = read_table(&xlsx(&rows), "plan.xlsx").unwrap();
    assert_eq!(draft(&from_xlsx), expected, "XLSX");
    let from_csv = read_table(&csv_bytes(&rows, b';'), "plan.csv").unwrap();
    assert_eq!(draft(&from_csv), expected, "; CSV");
    let from_comma = read_table(&csv_bytes(&rows, b','), "plan.csv").unwrap();
    assert_eq!(draft(&from_comma), expected, ", CSV");

    // Columns in another order, headers spelt otherwise, an extra column.
    let order = [9, 5, 4, 3, 2, 1, 0, 8, 7, 6];
    let spellings = [
        "Numéro d'axe",
        "Axe stratégique",
        "No objectif",
        "Objectif",
        "n° action",
        "Intitulé de l'action",
        "  indicateur(s) ",
        "TYPE",
        "Cibles annuelles",
        "Pilotes",
    ];
    let variant: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let mut out: Vec<String> = order
                .iter()
                .map(|&i| {
                    if r == 0 {
                        spellings[i].to_string()
                    } else {
                        row.get(i).cloned().unwrap_or_default()
                    }
                })
                .collect();
            out.push(if r == 0 {
                "Commentaires".into()
            } else {
                String::new()
            });
            out
        })
        .collect();
    let reading = sheet::read_plan(&variant, 2025, 2027).unwrap();
    assert_eq!(reading.draft, expected, "reordered and respelt");
    assert!(
        reading
            .notes
            .iter()
            .any(|n| n.message == "colonne « Commentaires » ignorée")
    );
}

#[test]
fn a_plan_without_axes_imports_too() {
    // GOSB's way: « fiches action » and their actions, no axis columns.
    let text = "N° Objectif;OBJECTIFS;ACTIONS;Indicateurs;Valeurs cibles\n\
                FA1;Faciliter l'accès des petites structures;Accompagner les petites structures;Nombre de participants;2024: 30 personnes\n\
                FA1;Faciliter l'accès des petites structures;Allonger les délais de publicité;Délai moyen de publicité;\n\
                FA4;Augmenter la part des marchés intégrant des heures d'insertion;Identifier en amont les marchés;Nombre d'heures réalisé par an;Valeur cible 2024: 25 000 heures\n";
    let rows = read_table(text.as_bytes(), "fiches.csv").unwrap();
    let reading = sheet::read_plan(&rows, 2023, 2024).unwrap();
    let d = reading.draft;
    assert!(d.axes.is_empty());
    assert_eq!(
        d.objectives
            .iter()
            .map(|o| (o.code.as_str(), o.axis, o.actions.len()))
            .collect::<Vec<_>>(),
        [("FA1", None, 2), ("FA4", None, 1)]
    );
    let hours = &d.objectives[1].actions[0].indicators[0];
    assert_eq!(
        (
            hours.targets[0].year,
            hours.targets[0].value,
            hours.unit.as_deref()
        ),
        (2024, Some(25000.into()), Some("h"))
    );
    assert_eq!(
        d.objectives[0].actions[0].code, None,
        "actions without numbers"
    );
}

#[test]
fn bad_files_are_refused_in_french() {
    assert_eq!(
        read_table(b"", "plan.xlsx").unwrap_err().to_string(),
        "Le fichier est vide."
    );
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
    assert!(
        read_table(png, "plan.xlsx")
            .unwrap_err()
            .to_string()
            .starts_with("Ce fichier n'est pas un tableur lisible")
    );
    let corrupt = b"PK\x03\x04 this is not a workbook at all";
    assert!(
        read_table(corrupt, "plan.xlsx")
            .unwrap_err()
            .to_string()
            .starts_with("Le classeur est illisible")
    );
    let big = vec![b'a'; import::MAX_BYTES + 1];
    assert_eq!(
        read_table(&big, "plan.csv").unwrap_err().to_string(),
        "Le fichier dépasse la taille admise (10 Mo)."
    );
    assert_eq!(
        read_table(&[0xC3, 0x28, b';', b'a'], "plan.csv")
            .unwrap_err()
            .to_string(),
        "Le fichier texte n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 »."
    );

    let header = || spaser::domain::model::PlanHeader {
        slug: "p".into(),
        title: "P".into(),
        first_year: 2025,
        last_year: 2027,
        adopted_on: None,
        objective_term: spaser::domain::model::ObjectiveTerm::Objectif,
    };
    let refused =
        |text: &str| import::read_file(text.as_bytes(), "plan.csv", header()).unwrap_err();
    assert!(
        refused("Nom;Prénom\nA;B\n")
            .starts_with("Colonnes introuvables : N° Objectif, OBJECTIFS, ACTIONS, Indicateurs.")
    );
    let head = "N° AXE;AXE;N° Objectif;OBJECTIFS;N° ACTION;ACTIONS;Indicateurs;Type d'indicateur;Valeurs cibles;Qui pilote cet indicateur ?\n";
    let duplicate = format!("{head}1;A;1;O;1;Première;I;;;\n1;A;1;O;1;Autre action;J;;;\n");
    assert_eq!(
        refused(&duplicate),
        "Ligne 3, colonne N° ACTION : le numéro d'action 1 est déjà celui d'une autre action (ligne 2)."
    );
    // Issue 15: a year outside the period is a warning on its cell, not a refusal; an
    // objective without a number is known by its text; axes may be lettered.
    let read = |text: &str| import::read_file(text.as_bytes(), "plan.csv", header()).unwrap();
    let outside = read(&format!(
        "{head}1;A;1;O;1;Action;I;Quanti (chiffre);Valeur cible 2030: 5;\n"
    ));
    assert!(outside.notes.iter().any(|n| {
        n.line == 2
            && n.column.as_deref() == Some("Valeurs cibles")
            && n.message
                .contains("l'année 2030 est hors de la période du plan (2025–2027)")
    }));
    let no_objective = read(&format!("{head}1;A;;O;1;Action;I;;;\n"));
    assert_eq!(
        (
            no_objective.draft.objectives[0].code.as_str(),
            no_objective.draft.objectives[0].label.as_str()
        ),
        ("1", "O")
    );
    let lettered = read(&format!("{head}un;A;1;O;1;Action;I;;;\n"));
    assert_eq!(lettered.draft.axes[0].name(), "un");
    assert_eq!(
        refused(&format!("{head};;;;;;;;;\n;;;;;;;;x;y\n")),
        "Le fichier ne contient aucune action."
    );
}

pub(crate) async fn upload(
    client: &mut Client,
    organisation: &str,
    file: &[u8],
    name: &str,
    fields: &[(&str, &str)],
    csrf: bool,
) -> crate::support::Page {
    let boundary = "----spaser-test-boundary";
    let mut body = Vec::new();
    // The CSRF token travels in the body, first, as the page's form sends it.
    let token = if csrf {
        client.csrf.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let token_field = [("_csrf", token.as_str())];
    let sent_token: &[(&str, &str)] = if csrf { &token_field } else { &[] };
    for (k, v) in sent_token.iter().chain(fields) {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .post_bytes(
            &format!("/organisations/{organisation}/import"),
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn an_administrator_imports_previews_corrects_and_commits() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let form = admin.get("/organisations/office-habitat/import").await;
    assert_eq!(form.status, StatusCode::OK);
    let seed = std::fs::read(SEED).unwrap();
    // The CSRF token is required, in the body of the multipart form.
    let forged = upload(
        &mut admin,
        "office-habitat",
        &seed,
        "plan.tsv",
        &[
            ("titre", "Plan importé"),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2027"),
        ],
        false,
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Bad files: the message, the form kept, nothing written.
    let empty = upload(
        &mut admin,
        "office-habitat",
        b"",
        "plan.xlsx",
        &[
            ("titre", "Plan importé"),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2027"),
        ],
        true,
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let png = upload(
        &mut admin,
        "office-habitat",
        b"\x89PNG\r\n\x1a\n....",
        "plan.xlsx",
        &[
            ("titre", "Plan importé"),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2027"),
        ],
        true,
    )
    .await;
    assert_eq!(png.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(png.texts(".alert p")[0].starts_with("Ce fichier n'est pas un tableur lisible"));
    assert_eq!(png.texts("#titre").len(), 1);
    assert!(png.body.contains("value=\"Plan importé\""));
    assert_eq!(count(&pool, "SELECT count(*) FROM import_draft").await, 0);

    // The seed, as a new plan.
    let sent = upload(
        &mut admin,
        "office-habitat",
        &seed,
        "plan.tsv",
        &[
            ("plan", ""),
            ("titre", "Plan importé"),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2027"),
        ],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let preview_path = sent.location().unwrap().to_string();
    let preview = admin.get(&preview_path).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert_eq!(
        preview.texts(".spaser-import-counts strong"),
        ["4 axe(s), 11 objectif(s), 15 action(s), 16 indicateur(s)"]
    );
    assert!(preview.texts(".spaser-import-notes li").iter().any(|n| n.starts_with("Ligne 11 : ligne « 16/09/2025 Mission SPASER - PNAD » ignorée")));
    assert!(preview.body.contains("Valeur cible 2025: 10 000 heures Valeur cible 2026: 12 000 heures Valeur cible 2027: 14 000 heures"));
    assert_eq!(
        count(&pool, "SELECT count(*) FROM plan").await,
        2,
        "nothing written before the commit"
    );
    // Action 6 is the third objective's… the inputs are named by position: find action 6's 2025.
    let document = scraper::Html::parse_document(&preview.body);
    let inputs: Vec<(String, String)> = document
        .select(&scraper::Selector::parse("input[name^='c-']").unwrap())
        .map(|e| {
            (
                e.value().attr("name").unwrap().to_string(),
                e.value().attr("value").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(inputs.len(), 16 * 3);
    let five = inputs.iter().find(|(_, v)| v == "5").unwrap().0.clone();
    let committed = admin.post(&preview_path, &[(five.as_str(), "8")]).await;
    assert_eq!(
        committed.status,
        StatusCode::SEE_OTHER,
        "{}",
        committed.body
    );
    assert_eq!(
        committed.location(),
        Some("/organisations/office-habitat/plans/plan-importe?importe=1")
    );
    let corrected: Vec<(i32, rust_decimal::Decimal)> = sqlx::query_as(
        "SELECT t.year, t.value FROM indicator_target t JOIN indicator i ON i.id = t.indicator_id JOIN action a ON a.id = i.action_id
           JOIN plan p ON p.id = a.plan_id WHERE p.slug = 'plan-importe' AND a.code = '6' ORDER BY t.year",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        corrected,
        [(2025, 8.into()), (2026, 6.into()), (2027, 7.into())]
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM action a JOIN plan p ON p.id = a.plan_id WHERE p.slug = 'plan-importe'").await, 15);
    assert_eq!(count(&pool, "SELECT count(*) FROM import_draft").await, 0);
    // The structure's history says who imported it.
    let history = admin
        .get("/organisations/office-habitat/plans/plan-importe/structure/historique")
        .await;
    let lines = history.texts("tbody tr");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("Import du tableur") && lines[0].contains("15 action(s)"),
        "{lines:?}"
    );
    // Only administrators import.
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    assert_eq!(
        staff
            .get("/organisations/office-habitat/import")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn re_importing_updates_without_duplicates_and_keeps_values() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '5'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let entry = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";
    staff.get(entry).await;
    let saved = staff
        .post(
            entry,
            &[
                (&format!("ver-{hours}"), "0"),
                (&format!("v-{hours}"), "10 500"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);

    admin.get("/organisations/office-habitat/import").await;
    let seed = std::fs::read(SEED).unwrap();
    let sent = upload(
        &mut admin,
        "office-habitat",
        &seed,
        "plan.tsv",
        &[("plan", "spaser-2025-2027")],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let preview = admin.get(sent.location().unwrap()).await;
    assert!(
        preview.texts(".callout-text")[0]
            .starts_with("0 création(s), 0 modification(s), 0 retrait(s)")
    );
    let path = sent.location().unwrap().to_string();
    assert_eq!(admin.post(&path, &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&pool, "SELECT count(*) FROM action WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')").await, 15);
    assert_eq!(count(&pool, "SELECT count(*) FROM indicator WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')").await, 16);
    assert_eq!(count(&pool, "SELECT count(*) FROM indicator_target t JOIN indicator i ON i.id = t.indicator_id WHERE i.plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')").await, 48);
    let kept: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = 2025",
    )
    .bind(hours)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, 10500.into(), "the value entered stays");

    // A corrected file: action 15 gone, action 6's targets changed.
    let text = String::from_utf8(seed).unwrap();
    let corrected: String = text
        .lines()
        .filter(|l| !l.contains("\t15\t"))
        .map(|l| {
            l.replace(
                "Valeur cible 2025: 5 Valeur cible 2026: 6",
                "Valeur cible 2025: 6 Valeur cible 2026: 7",
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    admin.get("/organisations/office-habitat/import").await;
    let sent = upload(
        &mut admin,
        "office-habitat",
        corrected.as_bytes(),
        "plan-v2.tsv",
        &[("plan", "spaser-2025-2027")],
        true,
    )
    .await;
    let path = sent.location().unwrap().to_string();
    let preview = admin.get(&path).await;
    let removed = preview.texts(".spaser-import-removed li");
    assert_eq!(removed.len(), 1);
    assert!(
        removed[0]
            .starts_with("Action 15 — Analyse de l'efficacité des critères de choix des offres")
    );
    assert!(
        preview.texts(".callout-text")[0]
            .starts_with("0 création(s), 1 modification(s), 1 retrait(s)")
    );
    let refused = admin.post(&path, &[]).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "removal needs confirmation"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM action WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')").await, 15);
    assert_eq!(
        admin
            .post(&path, &[("confirmer_retraits", "oui")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM action WHERE plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')").await, 14);
    let six: Vec<rust_decimal::Decimal> = sqlx::query_scalar(
        "SELECT t.value FROM indicator_target t JOIN indicator i ON i.id = t.indicator_id JOIN action a ON a.id = i.action_id WHERE a.code = '6' ORDER BY t.year",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(six, [6.into(), 7.into(), 7.into()]);
}

#[tokio::test]
async fn the_exported_plan_reads_back_as_the_same_plan() {
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@office-habitat.demo").await;
    let expected = draft(&seed_rows());
    for file in ["plan.xlsx", "plan.csv"] {
        let (status, bytes, _) = committee
            .get_bytes(&format!(
                "/organisations/office-habitat/plans/spaser-2025-2027/export/{file}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let rows = read_table(&bytes, file).unwrap();
        assert_eq!(rows.len(), 17, "{file}: a header and one row per indicator");
        assert_eq!(draft(&rows), expected, "{file} reads back as the same plan");
    }
}

#[tokio::test]
async fn the_command_line_prints_the_same_preview() {
    let (pool, url) = fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let dry = run(&[
        "import",
        SEED,
        "--organisation",
        "office-habitat",
        "--title",
        "Essai",
        "--first-year",
        "2025",
        "--last-year",
        "2027",
        "--dry-run",
    ]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(out.contains("« Essai » (2025–2027) : 4 axe(s), 11 objectif(s), 15 action(s), 16 indicateur(s), 7 pilote(s)"), "{out}");
    assert!(out.contains("      2025 : 10 000 h"), "{out}");
    assert!(out.contains("Essai à blanc : rien n'a été enregistré."));
    assert_eq!(count(&pool, "SELECT count(*) FROM plan").await, 2);
    let real = run(&[
        "import",
        SEED,
        "--organisation",
        "office-habitat",
        "--title",
        "Essai",
        "--first-year",
        "2025",
        "--last-year",
        "2027",
    ]);
    assert!(
        real.status.success(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM plan WHERE slug = 'essai'").await,
        1
    );
    let bad = run(&[
        "import",
        "Cargo.toml",
        "--organisation",
        "office-habitat",
        "--title",
        "X",
        "--first-year",
        "2025",
        "--last-year",
        "2027",
    ]);
    assert!(!bad.status.success());
}

/// A new plan's years left empty are the ones its targets name; a file that names none is
/// refused with the form kept.
#[tokio::test]
async fn a_new_plans_years_default_to_those_its_targets_name() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get("/organisations/office-habitat/import").await;
    let seed = std::fs::read(SEED).unwrap();
    let sent = upload(
        &mut admin,
        "office-habitat",
        &seed,
        "plan.tsv",
        &[("plan", ""), ("titre", "Plan sans années")],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let period: serde_json::Value = sqlx::query_scalar(
        "SELECT jsonb_build_array(payload->'header'->'first_year', payload->'header'->'last_year') FROM import_draft",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(period, serde_json::json!([2025, 2027]));

    let without_years = "N° Objectif\tOBJECTIFS\tACTIONS\tIndicateurs\tValeurs cibles\n1\tAcheter mieux\tFormer\tFormations\t3 formations par an\n";
    let refused = upload(
        &mut admin,
        "office-habitat",
        without_years.as_bytes(),
        "plan.tsv",
        &[("plan", ""), ("titre", "Plan sans années")],
        true,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.texts(".alert p")[0].starts_with("Indiquez la première et la dernière année"),
        "{:?}",
        refused.texts(".alert p")
    );
    assert!(refused.body.contains("value=\"Plan sans années\""));
}

/// A cell as calamine gives it, written as the import read it before it had its own reader.
fn calamine_text(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::Empty => String::new(),
        calamine::Data::String(s) => s.clone(),
        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        calamine::Data::Float(f) => f.to_string(),
        calamine::Data::Int(i) => i.to_string(),
        calamine::Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn calamine_rows<W: calamine::Reader<std::io::Cursor<Vec<u8>>>>(bytes: &[u8]) -> Vec<Vec<String>>
where
    W::Error: std::fmt::Debug,
{
    let mut workbook: W =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let first = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&first).unwrap();
    range
        .rows()
        .map(|row| row.iter().map(calamine_text).collect())
        .collect()
}

/// An ODS file as LibreOffice writes one: the mimetype first, stored, then the content.
pub fn ods(content: &str) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// The import's own workbook reader gives what calamine gives for ordinary files, XLSX and
/// ODS: texts shared or not, numbers, booleans, a used range that does not start at A1,
/// repeated cells and rows, paragraphs and spaces, entities; an ODS plan reads as the plan.
#[test]
fn workbooks_read_as_calamine_reads_them() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(1, 1, "N° Objectif").unwrap();
    sheet
        .write_string(1, 3, "« Guillemets » & <chevrons>")
        .unwrap();
    sheet.write_string(2, 1, "deux\nlignes").unwrap();
    sheet.write_number(2, 2, 3.0).unwrap();
    sheet.write_number(2, 3, 2.5).unwrap();
    sheet.write_number(3, 2, 1e20).unwrap();
    sheet.write_boolean(3, 3, true).unwrap();
    sheet.write_string(4, 4, "Œuvre répétée").unwrap();
    sheet.write_string(5, 4, "Œuvre répétée").unwrap();
    let xlsx = workbook.save_to_buffer().unwrap();
    let ours = read_table(&xlsx, "plan.xlsx").unwrap();
    assert_eq!(ours, calamine_rows::<calamine::Xlsx<_>>(&xlsx), "XLSX");
    assert_eq!(
        ours[0],
        ["N° Objectif", "", "« Guillemets » & <chevrons>", ""]
    );

    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet>
<table:table table:name="Plan"><table:table-column table:number-columns-repeated="4"/>
<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="4"/></table:table-row>
<table:table-row><table:table-cell/><table:table-cell office:value-type="string"><text:p>N° Objectif</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Deux<text:s text:c="2"/>espaces &amp; <text:span>« guillemets »</text:span></text:p><text:p>seconde ligne</text:p></table:table-cell><table:table-cell office:value-type="percentage" office:value="0.25"><text:p>25 %</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2.5"><text:p>2,5</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string" table:number-columns-repeated="2"><text:p>deux fois</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1020"/></table:table-row>
<table:table-row table:number-rows-repeated="2"><table:table-cell/><table:table-cell office:value-type="string"><text:p>répété</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
</table:table>
<table:table table:name="Autre"><table:table-row><table:table-cell office:value-type="string"><text:p>autre feuille</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"#;
    let file = ods(content);
    let ours = read_table(&file, "plan.ods").unwrap();
    assert_eq!(ours, calamine_rows::<calamine::Ods<_>>(&file), "ODS");
    assert_eq!(ours.len(), 4);
    assert_eq!(
        ours[0],
        [
            "N° Objectif",
            "3",
            "Deux  espaces & « guillemets »\nseconde ligne",
            "0.25",
            "2.5"
        ]
    );

    // The office's plan as an ODS sheet reads as the plan.
    let rows = seed_rows();
    let mut table = String::new();
    for row in &rows {
        table.push_str("<table:table-row>");
        for cell in row {
            let escaped = cell
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            table.push_str(&format!(
                "<table:table-cell office:value-type=\"string\"><text:p>{escaped}</text:p></table:table-cell>"
            ));
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Plan">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let from_ods = read_table(&ods(&content), "plan.ods").unwrap();
    assert_eq!(draft(&from_ods), draft(&rows), "ODS");
}

/// Issue 11, item 16: a title without Latin letters gives no slug of its own; each plan still
/// gets a usable address of its own, and only the same title is refused as a duplicate.
#[tokio::test]
async fn a_plan_title_without_latin_letters_gets_a_usable_unique_slug() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let seed = std::fs::read(SEED).unwrap();
    let mut import = async |title: &str| {
        admin.get("/organisations/office-habitat/import").await;
        let sent = upload(
            &mut admin,
            "office-habitat",
            &seed,
            "plan.tsv",
            &[("plan", ""), ("titre", title)],
            true,
        )
        .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let preview = sent.location().unwrap().to_string();
        admin.get(&preview).await;
        admin.post(&preview, &[]).await
    };
    let mut addresses = Vec::new();
    for title in ["Стратегия закупок", "采购计划", "!!!"] {
        let committed = import(title).await;
        assert_eq!(
            committed.status,
            StatusCode::SEE_OTHER,
            "{title}: {:?}",
            committed.texts(".alert p")
        );
        // The plan's address, with the import's success message asked for.
        let location = committed.location().unwrap().to_string();
        let address = location
            .strip_suffix("?importe=1")
            .expect("success message");
        addresses.push((title, address.to_string()));
    }
    let same = import("采购计划").await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        same.texts(".alert p")[0].starts_with("Un plan de ce titre existe déjà"),
        "{:?}",
        same.texts(".alert p")
    );
    assert_eq!(
        addresses
            .iter()
            .map(|(_, a)| a.as_str())
            .collect::<Vec<_>>(),
        [
            "/organisations/office-habitat/plans/plan",
            "/organisations/office-habitat/plans/plan-2",
            "/organisations/office-habitat/plans/plan-3"
        ]
    );
    for (title, address) in &addresses {
        let page = admin.get(address).await;
        assert_eq!(page.status, StatusCode::OK, "{address}");
        assert!(
            page.texts("h1").join(" ").contains(title),
            "{title} at {address}"
        );
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM plan").await, 5);
}
