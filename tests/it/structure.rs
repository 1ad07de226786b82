//! A plan built and kept up in the browser: created from nothing by a new buyer's administrator,
//! its structure added item by item, its indicators' direction, baseline, threshold and targets
//! set, values entered, and the bilan marking what the editor set; conflicts between editors,
//! removals that would lose a locked year, the next period, the history.

use axum::http::StatusCode;
use serde_json::Value;

use crate::setup::{run, said};
use crate::support::{Client, Page, app, demo_pool, fresh_database};

/// The id an « add » gave its item, from the address it sent the browser back to.
fn added(page: &Page) -> i64 {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().unwrap();
    assert!(location.contains("fait=ajoute"), "{location}");
    location.rsplit('-').next().unwrap().parse().unwrap()
}

async fn add(client: &mut Client, structure: &str, kind: &str, fields: &[(&str, &str)]) -> i64 {
    let page = client
        .post(&format!("{structure}/{kind}/nouveau"), fields)
        .await;
    added(&page)
}

/// Enters an indicator's actual of a year through the entry page: a number (`v`) or a text (`t`).
async fn enter(
    client: &mut Client,
    plan: &str,
    year: i32,
    indicator: i64,
    field: &str,
    value: &str,
) {
    let entry = format!("{plan}/saisie/{year}");
    let page = client.get(&entry).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let version = crate::support::field_value(&page, &format!("ver-{indicator}"))
        .unwrap_or_else(|| panic!("indicator {indicator} on the entry page"));
    let saved = client
        .post(
            &entry,
            &[
                (&format!("ver-{indicator}"), version.as_str()),
                (&format!("{field}-{indicator}"), value),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

/// The bilan's marks, as its JSON export gives them: (indicator label, status) and
/// (objective code, status).
async fn marks(
    client: &mut Client,
    plan: &str,
    year: i32,
) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let (status, json, _) = client
        .get_bytes(&format!("{plan}/bilan/{year}/bilan.json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let value: Value = serde_json::from_slice(&json).unwrap();
    let rows = value["rows"].as_array().unwrap();
    let indicators = rows
        .iter()
        .map(|r| {
            (
                r["indicator"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut objectives: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["objective_code"].as_str().unwrap().to_string(),
                r["objective_status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    objectives.dedup();
    (indicators, objectives)
}

fn status_of<'a>(marks: &'a [(String, String)], label: &str) -> &'a str {
    &marks
        .iter()
        .find(|(l, _)| l == label)
        .unwrap_or_else(|| panic!("{label} in {marks:?}"))
        .1
}

/// The five indicators of the plan the tests build, as (label, fields).
const HOURS: &str = "Heures d'insertion réalisées";
const EMISSIONS: &str = "Émissions des véhicules de service";
const GUIDE: &str = "Guide de l'achat responsable";
const SESSIONS: &str = "Sessions de formation des acheteurs";
const SHARE: &str = "Part des marchés avec clause environnementale";

struct Built {
    plan: String,
    structure: String,
    axes: [i64; 2],
    objectives: [i64; 3],
    actions: [i64; 4],
    indicators: [i64; 5],
}

/// Builds, through the editor, a plan of two axes, three objectives, four actions and five
/// indicators for the organisation; procurement staff (`staff`) enter the 2025 values.
async fn build(client: &mut Client, staff: &mut Client, organisation: &str, title: &str) -> Built {
    let created = client
        .post(
            &format!("/organisations/{organisation}/nouveau-plan"),
            &[
                ("title", title),
                ("first_year", "2025"),
                ("last_year", "2027"),
                ("adopted_on", "2025-01-30"),
                ("objective_term", "objectif"),
                ("has_axes", "oui"),
                ("source", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let structure = created
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(structure.ends_with("/structure"), "{structure}");
    let plan = structure.trim_end_matches("/structure").to_string();
    let page = client.get(created.location().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("[role=status]")[0].starts_with("Plan créé"));

    let a1 = add(
        client,
        &structure,
        "axes",
        &[("code", ""), ("label", "Achats socialement responsables")],
    )
    .await;
    let a2 = add(
        client,
        &structure,
        "axes",
        &[
            ("code", ""),
            ("label", "Achats écologiquement responsables"),
        ],
    )
    .await;
    let (a1s, a2s) = (a1.to_string(), a2.to_string());
    let o1 = add(
        client,
        &structure,
        "objectifs",
        &[
            ("parent", &a1s),
            ("code", "1"),
            ("label", "Favoriser l'insertion"),
        ],
    )
    .await;
    let o2 = add(
        client,
        &structure,
        "objectifs",
        &[
            ("parent", &a1s),
            ("code", "2"),
            ("label", "Former les acheteurs"),
        ],
    )
    .await;
    let o3 = add(
        client,
        &structure,
        "objectifs",
        &[
            ("parent", &a2s),
            ("code", "3"),
            ("label", "Verdir les marchés"),
        ],
    )
    .await;
    let (o1s, o2s, o3s) = (o1.to_string(), o2.to_string(), o3.to_string());
    let c1 = add(
        client,
        &structure,
        "actions",
        &[
            ("parent", &o1s),
            ("code", "1"),
            ("label", "Clauses d'insertion"),
        ],
    )
    .await;
    let c2 = add(
        client,
        &structure,
        "actions",
        &[("parent", &o1s), ("code", "2"), ("label", "Guide interne")],
    )
    .await;
    let c3 = add(
        client,
        &structure,
        "actions",
        &[
            ("parent", &o2s),
            ("code", "3"),
            ("label", "Plan de formation"),
        ],
    )
    .await;
    let c4 = add(
        client,
        &structure,
        "actions",
        &[
            ("parent", &o3s),
            ("code", "4"),
            ("label", "Clauses environnementales"),
        ],
    )
    .await;
    let (c1s, c2s, c3s, c4s) = (
        c1.to_string(),
        c2.to_string(),
        c3.to_string(),
        c4.to_string(),
    );
    let hours = add(
        client,
        &structure,
        "indicateurs",
        &[
            ("parent", &c1s),
            ("label", HOURS),
            ("kind", "quantitative"),
            ("unit", "h"),
            ("direction", "up"),
            ("threshold", "80"),
            ("target_2025", "1 000"),
            ("target_2026", "1 500"),
            ("target_2027", "2 000"),
        ],
    )
    .await;
    // Falls: under its target is « atteint ».
    let emissions = add(
        client,
        &structure,
        "indicateurs",
        &[
            ("parent", &c1s),
            ("label", EMISSIONS),
            ("kind", "quantitative"),
            ("unit", "tCO2e"),
            ("direction", "down"),
            ("baseline_value", "500"),
            ("baseline_year", "2024"),
            ("baseline_source", "Bilan carbone 2024"),
            ("threshold", "80"),
            ("target_2025", "400"),
            ("target_2026", "350"),
        ],
    )
    .await;
    let guide = add(
        client,
        &structure,
        "indicateurs",
        &[
            ("parent", &c2s),
            ("label", GUIDE),
            ("kind", "qualitative"),
            ("direction", "up"),
            ("target_2025", ""),
            ("target_text_2025", "Guide publié et diffusé"),
        ],
    )
    .await;
    // A target written as text, read by the rules; a threshold of its own.
    let sessions = add(
        client,
        &structure,
        "indicateurs",
        &[
            ("parent", &c3s),
            ("label", SESSIONS),
            ("kind", "both"),
            ("unit", "sessions"),
            ("direction", "up"),
            ("threshold", "60"),
            ("target_text_2025", "Au moins 3 sessions"),
        ],
    )
    .await;
    let share = add(
        client,
        &structure,
        "indicateurs",
        &[
            ("parent", &c4s),
            ("label", SHARE),
            ("kind", "quantitative"),
            ("unit", "%"),
            ("direction", "up"),
            ("threshold", "80"),
            ("target_2025", "30"),
        ],
    )
    .await;

    enter(staff, &plan, 2025, hours, "v", "1 200").await;
    enter(staff, &plan, 2025, emissions, "v", "380").await;
    enter(
        staff,
        &plan,
        2025,
        guide,
        "t",
        "Guide publié en juin, diffusé aux services",
    )
    .await;
    enter(staff, &plan, 2025, sessions, "v", "2").await;
    enter(staff, &plan, 2025, share, "v", "35").await;
    Built {
        plan,
        structure,
        axes: [a1, a2],
        objectives: [o1, o2, o3],
        actions: [c1, c2, c3, c4],
        indicators: [hours, emissions, guide, sessions, share],
    }
}

#[tokio::test]
async fn a_new_buyer_builds_its_plan_in_the_browser_and_the_bilan_marks_it() {
    let (pool, url) = fresh_database().await;
    let org = run(
        &url,
        &[
            "organisation",
            "add",
            "--slug",
            "ville-de-lieusaint",
            "--name",
            "Ville de Lieusaint",
            "--kind",
            "commune",
        ],
        "",
    );
    assert!(org.status.success(), "{}", said(&org));
    let admin = run(
        &url,
        &[
            "user",
            "add",
            "--email",
            "dgs@lieusaint.fr",
            "--role",
            "admin",
            "--organisation",
            "ville-de-lieusaint",
            "--name",
            "Directeur général des services",
        ],
        "un-mot-de-passe-solide\n",
    );
    assert!(admin.status.success(), "{}", said(&admin));
    let staff = run(
        &url,
        &[
            "user",
            "add",
            "--email",
            "achats@lieusaint.fr",
            "--role",
            "commande-publique",
            "--organisation",
            "ville-de-lieusaint",
            "--name",
            "Service des achats",
        ],
        "un-autre-mot-de-passe\n",
    );
    assert!(staff.status.success(), "{}", said(&staff));
    let app = app(&pool);
    let mut procurement = Client::new(&app);
    assert_eq!(
        procurement
            .sign_in("achats@lieusaint.fr", "un-autre-mot-de-passe")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    procurement.get("/").await;
    let mut client = Client::new(&app);
    assert_eq!(
        client
            .sign_in("dgs@lieusaint.fr", "un-mot-de-passe-solide")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let home = client.get("/organisations/ville-de-lieusaint").await;
    assert_eq!(
        home.attrs(
            "a[href='/organisations/ville-de-lieusaint/nouveau-plan']",
            "href"
        )
        .len(),
        1,
        "the home page offers to create a plan"
    );

    let built = build(
        &mut client,
        &mut procurement,
        "ville-de-lieusaint",
        "SPASER 2025-2027",
    )
    .await;

    // The structure page shows the whole tree, in order.
    let page = client.get(&built.structure).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.texts(".spaser-structure-axis > .spaser-item-head h2"),
        [
            "Axe 1 — Achats socialement responsables",
            "Axe 2 — Achats écologiquement responsables"
        ]
    );
    assert_eq!(
        page.texts(".spaser-structure-objective h3"),
        [
            "Objectif 1 — Favoriser l'insertion",
            "Objectif 2 — Former les acheteurs",
            "Objectif 3 — Verdir les marchés"
        ]
    );
    assert_eq!(page.texts(".spaser-structure-action").len(), 4);
    assert_eq!(page.texts(".spaser-structure-indicator").len(), 5);
    let emissions_line = page
        .texts(&format!("#indicateurs-{}", built.indicators[1]))
        .join(" ");
    assert!(
        emissions_line.contains("sens : à la baisse"),
        "{emissions_line}"
    );
    assert!(
        emissions_line.contains("référence 500 tCO2e en 2024"),
        "{emissions_line}"
    );

    // The plan as members read it carries the same structure.
    let plan_page = client.get(&built.plan).await;
    assert_eq!(plan_page.status, StatusCode::OK);
    assert!(plan_page.body.contains(EMISSIONS) && plan_page.body.contains("À la baisse"));

    // The bilan marks what the editor set: a fall under its target is « atteint », a text
    // target read by the rules with its own threshold « partiellement », the qualitative one
    // awaits a judgement.
    let (indicators, objectives) = marks(&mut client, &built.plan, 2025).await;
    assert_eq!(status_of(&indicators, HOURS), "achieved");
    assert_eq!(status_of(&indicators, EMISSIONS), "achieved");
    assert_eq!(status_of(&indicators, GUIDE), "to_appraise");
    assert_eq!(status_of(&indicators, SESSIONS), "partial");
    assert_eq!(status_of(&indicators, SHARE), "achieved");
    assert_eq!(
        objectives,
        [
            ("1".to_string(), "achieved".to_string()),
            ("2".into(), "partial".into()),
            ("3".into(), "achieved".into())
        ]
    );
    let bilan = client.get(&format!("{}/bilan/2025", built.plan)).await;
    assert_eq!(bilan.status, StatusCode::OK);
    assert_eq!(
        bilan.texts("[data-level=objectif] .spaser-status"),
        ["Atteint", "Partiellement atteint", "Atteint"]
    );

    // Every change is in the structure's history, with who made it.
    let history = client.get(&format!("{}/historique", built.structure)).await;
    let rows = history.texts("tbody tr");
    assert_eq!(rows.len(), 1 + 2 + 3 + 4 + 5, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.contains("Directeur général des services"))
    );
    assert!(rows.iter().any(|r| r.contains("Ajout")
        && r.contains("Indicateur — Émissions")
        && r.contains("Sens d'amélioration")));
}

#[tokio::test]
async fn the_direction_set_in_the_editor_changes_the_status_on_the_bilan() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let built = build(&mut admin, &mut staff, "office-habitat", "SPASER d'essai").await;
    let emissions = built.indicators[1];
    let (before, _) = marks(&mut admin, &built.plan, 2025).await;
    assert_eq!(status_of(&before, EMISSIONS), "achieved");

    // The same 380 against 400, read as a rise: short of the target.
    let edit = format!("{}/indicateurs/{emissions}", built.structure);
    let form = admin.get(&edit).await;
    assert_eq!(
        crate::support::field_value(&form, "baseline_value").as_deref(),
        Some("500")
    );
    let version = crate::support::field_value(&form, "version").unwrap();
    let action = built.actions[0].to_string();
    let saved = admin
        .post(
            &edit,
            &[
                ("version", &version),
                ("parent", &action),
                ("label", EMISSIONS),
                ("kind", "quantitative"),
                ("unit", "tCO2e"),
                ("direction", "up"),
                ("baseline_value", "500"),
                ("baseline_year", "2024"),
                ("baseline_source", "Bilan carbone 2024"),
                ("threshold", "80"),
                ("target_2025", "400"),
                ("target_2026", "350"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (after, objectives) = marks(&mut admin, &built.plan, 2025).await;
    assert_eq!(status_of(&after, EMISSIONS), "partial");
    assert_eq!(objectives[0], ("1".to_string(), "partial".to_string()));
    let history = admin.get(&format!("{}/historique", built.structure)).await;
    assert!(
        history.texts("tbody tr")[0]
            .contains("Sens d'amélioration : « À la baisse » → « À la hausse »"),
        "{:?}",
        history.texts("tbody tr")
    );
}

#[tokio::test]
async fn two_editors_of_the_same_item_get_a_conflict_not_an_overwrite() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut first = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let built = build(&mut first, &mut staff, "office-habitat", "SPASER d'essai").await;
    let mut second = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let edit = format!("{}/objectifs/{}", built.structure, built.objectives[1]);
    let read_first = first.get(&edit).await;
    let read_second = second.get(&edit).await;
    let version = crate::support::field_value(&read_first, "version").unwrap();
    assert_eq!(
        crate::support::field_value(&read_second, "version").unwrap(),
        version
    );
    let axis = built.axes[0].to_string();

    let saved = first
        .post(
            &edit,
            &[
                ("version", &version),
                ("parent", &axis),
                ("code", "2"),
                ("label", "Former tous les acheteurs"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let refused = second
        .post(
            &edit,
            &[
                ("version", &version),
                ("parent", &axis),
                ("code", "2"),
                ("label", "Former les prescripteurs"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let alert = refused.texts("[role=alert]").join(" ");
    assert!(
        alert.contains("a modifié cet élément pendant que vous le modifiiez"),
        "{alert}"
    );
    assert!(
        alert.contains("Former tous les acheteurs"),
        "the stored version is shown: {alert}"
    );
    assert_eq!(
        refused.texts("textarea#label"),
        ["Former les prescripteurs"],
        "the input is kept"
    );
    let stored: String = sqlx::query_scalar("SELECT label FROM objective WHERE id = $1")
        .bind(built.objectives[1])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, "Former tous les acheteurs");

    // Saved again knowingly, over the version now shown.
    let current = crate::support::field_value(&refused, "version").unwrap();
    assert_ne!(current, version);
    let again = second
        .post(
            &edit,
            &[
                ("version", &current),
                ("parent", &axis),
                ("code", "2"),
                ("label", "Former les prescripteurs"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);

    // A number already taken is a field error, the input kept.
    let taken = second
        .post(
            &edit,
            &[
                (
                    "version",
                    &(current.parse::<i32>().unwrap() + 1).to_string(),
                ),
                ("parent", &axis),
                ("code", "3"),
                ("label", "Autre"),
            ],
        )
        .await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        taken.body
    );
    assert!(taken.texts("#code-erreur")[0].contains("« 3 » est déjà"));
    assert_eq!(
        crate::support::field_value(&taken, "code").as_deref(),
        Some("3")
    );
}

#[tokio::test]
async fn removing_asks_what_goes_and_nothing_of_a_locked_year_is_lost() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let built = build(&mut admin, &mut staff, "office-habitat", "SPASER d'essai").await;

    // An objective with values: the confirmation names them; without it nothing goes.
    let remove = format!(
        "{}/objectifs/{}/supprimer",
        built.structure, built.objectives[1]
    );
    let confirm = admin.get(&remove).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let goes = confirm.texts(".alert-warning li");
    assert_eq!(goes[0], "1 action");
    assert_eq!(goes[1], "1 indicateur");
    assert!(goes[2].starts_with("1 valeur saisie"), "{goes:?}");
    let unconfirmed = admin.post(&remove, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::OK);
    let count = |sql: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let objectives = format!(
        "SELECT count(*) FROM objective WHERE id = {}",
        built.objectives[1]
    );
    assert_eq!(count(objectives.clone()).await, 1);

    // Before any lock: an item goes, once confirmed, with its values; the history says so.
    let removed = admin.post(&remove, &[("confirmer", "oui")]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert_eq!(count(objectives).await, 0);
    let history = admin.get(&format!("{}/historique", built.structure)).await;
    let line = &history.texts("tbody tr")[0];
    assert!(
        line.contains("Suppression")
            && line.contains("Objectif 2")
            && line.contains("Avec : 1 action, 1 indicateur, 1 valeur saisie"),
        "{line}"
    );

    // An action holding nothing but a status set by hand for 2025, before the lock.
    let bare = add(
        &mut admin,
        &built.structure,
        "actions",
        &[
            ("parent", &built.objectives[2].to_string()),
            ("label", "Action jugée à la main"),
        ],
    )
    .await;
    sqlx::query(
        "INSERT INTO status_override (plan_id, level, item_id, year, status, justification, set_by)
         SELECT a.plan_id, 'action', a.id, 2025, 'achieved', 'Constaté en comité', u.id
           FROM action a, app_user u WHERE a.id = $1 AND u.email = 'commande-publique@office-habitat.demo'",
    )
    .bind(bare)
    .execute(&pool)
    .await
    .unwrap();

    // 2025 locked: the axis holding its values cannot go, by any of its items.
    let plan_id: i64 = sqlx::query_scalar("SELECT plan_id FROM objective WHERE id = $1")
        .bind(built.objectives[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO plan_year_lock (plan_id, year, locked_by) SELECT $1, 2025, id FROM app_user WHERE email = 'commande-publique@office-habitat.demo'")
        .bind(plan_id)
        .execute(&pool)
        .await
        .unwrap();
    for (kind, id) in [
        ("axes", built.axes[0]),
        ("objectifs", built.objectives[0]),
        ("actions", built.actions[0]),
        ("indicateurs", built.indicators[0]),
        ("actions", bare),
    ] {
        let path = format!("{}/{kind}/{id}/supprimer", built.structure);
        let page = admin.get(&path).await;
        let alert = page.texts("[role=alert]").join(" ");
        assert!(
            alert.contains("Suppression impossible") && alert.contains("verrouillée (2025)"),
            "{kind}: {alert}"
        );
        assert!(page.texts("button[name=confirmer]").is_empty());
        let refused = admin.post(&path, &[("confirmer", "oui")]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{kind}");
    }
    let kept = format!(
        "SELECT count(*) FROM indicator_actual WHERE indicator_id = {} AND year = 2025",
        built.indicators[0]
    );
    assert_eq!(count(kept).await, 1);
    // Its targets of the locked year stay as they are, whatever the form sends.
    let edit = format!("{}/indicateurs/{}", built.structure, built.indicators[0]);
    let form = admin.get(&edit).await;
    assert!(
        crate::support::field_value(&form, "target_2025").is_none(),
        "a locked year's target is not a field"
    );
    let version = crate::support::field_value(&form, "version").unwrap();
    let action = built.actions[0].to_string();
    let saved = admin
        .post(
            &edit,
            &[
                ("version", &version),
                ("parent", &action),
                ("label", HOURS),
                ("unit", "h"),
                ("direction", "up"),
                ("threshold", "80"),
                ("target_2025", "5"),
                ("target_2026", "1 600"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let targets: Vec<(i32, String)> = sqlx::query_as(
        "SELECT year, value::text FROM indicator_target WHERE indicator_id = $1 ORDER BY year",
    )
    .bind(built.indicators[0])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        targets,
        [(2025, "1000".to_string()), (2026, "1600".to_string())]
    );

    // What judges a locked year's values stays: no new direction, no move elsewhere.
    let form = admin.get(&edit).await;
    let version = crate::support::field_value(&form, "version").unwrap();
    let other_action = built.actions[1].to_string();
    let refused = admin
        .post(
            &edit,
            &[
                ("version", &version),
                ("parent", &other_action),
                ("label", HOURS),
                ("unit", "h"),
                ("direction", "down"),
                ("threshold", "80"),
                ("target_2026", "1 600"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .texts(".fieldset-error .error-text")
            .join(" ")
            .contains("Impossible de changer le sens")
    );
    assert!(refused.texts("#parent-erreur")[0].contains("Impossible de le déplacer"));
    // Nor does the locked year leave the period.
    let settings = admin.get(&format!("{}/plan", built.structure)).await;
    let version = crate::support::field_value(&settings, "version").unwrap();
    let shrunk = admin
        .post(
            &format!("{}/plan", built.structure),
            &[
                ("version", &version),
                ("title", "SPASER d'essai"),
                ("first_year", "2026"),
                ("last_year", "2027"),
                ("objective_term", "objectif"),
                ("has_axes", "oui"),
            ],
        )
        .await;
    assert_eq!(shrunk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(shrunk.texts("#first_year-erreur")[0].contains("L'année verrouillée 2025"));
}

#[tokio::test]
async fn the_next_period_copies_the_structure_and_leaves_the_old_plan_alone() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let built = build(
        &mut admin,
        &mut staff,
        "office-habitat",
        "SPASER 2025-2027 (essai)",
    )
    .await;
    // A pilot on an action, to be copied.
    let action_edit = format!("{}/actions/{}", built.structure, built.actions[0]);
    let form = admin.get(&action_edit).await;
    let dsi = form.attrs("input[name=pilot]", "value")[0].clone();
    let version = crate::support::field_value(&form, "version").unwrap();
    let objective = built.objectives[0].to_string();
    let saved = admin
        .post(
            &action_edit,
            &[
                ("version", &version),
                ("parent", &objective),
                ("code", "1"),
                ("label", "Clauses d'insertion"),
                ("pilot", &dsi),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let source = built.plan.rsplit('/').next().unwrap();
    let new_form = admin
        .get(&format!(
            "/organisations/office-habitat/nouveau-plan?suite_de={source}"
        ))
        .await;
    assert_eq!(
        crate::support::field_value(&new_form, "first_year").as_deref(),
        Some("2028")
    );
    assert_eq!(
        crate::support::field_value(&new_form, "last_year").as_deref(),
        Some("2030")
    );
    let created = admin
        .post(
            "/organisations/office-habitat/nouveau-plan",
            &[
                ("source", source),
                ("title", "SPASER 2028-2030 (essai)"),
                ("first_year", "2028"),
                ("last_year", "2030"),
                ("objective_term", "objectif"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(created.location().unwrap().contains("fait=plan-copie"));
    let rows = |slug: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64, i64, i64)>(
                r"SELECT (SELECT count(*) FROM axis x WHERE x.plan_id = p.id), (SELECT count(*) FROM objective o WHERE o.plan_id = p.id),
                         (SELECT count(*) FROM action a WHERE a.plan_id = p.id), (SELECT count(*) FROM indicator i WHERE i.plan_id = p.id),
                         (SELECT count(*) FROM indicator_target t WHERE t.plan_id = p.id), (SELECT count(*) FROM indicator_actual v WHERE v.plan_id = p.id),
                         (SELECT count(*) FROM indicator i WHERE i.plan_id = p.id AND i.direction = 'down' AND i.baseline_value = 500),
                         (SELECT count(*) FROM action_pilot ap JOIN action a ON a.id = ap.action_id WHERE a.plan_id = p.id)
                    FROM plan p WHERE p.slug = $1",
            )
            .bind(slug)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let old = rows("spaser-2025-2027-essai").await;
    let new = rows("spaser-2028-2030-essai").await;
    assert_eq!(old, (2, 3, 4, 5, 8, 5, 1, 1));
    assert_eq!(
        new,
        (2, 3, 4, 5, 0, 0, 1, 1),
        "structure, baselines and pilots copied; no target, no value"
    );
    let page = admin.get(created.location().unwrap()).await;
    assert!(
        created
            .location()
            .unwrap()
            .starts_with("/organisations/office-habitat/plans/spaser-2028-2030-essai/structure")
    );
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("[role=status]")[0].contains("fixez maintenant les cibles"));
    assert!(page.texts("tbody tr")[0].contains("Reprise d'un plan"));
}

#[tokio::test]
async fn the_editor_refuses_bad_input_in_french_and_keeps_it() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let refused = admin
        .post(
            "/organisations/office-habitat/nouveau-plan",
            &[
                ("title", " "),
                ("first_year", "2027"),
                ("last_year", "2025"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.texts("#title-erreur")[0].contains("Indiquez le titre"));
    assert!(refused.texts("#last_year-erreur")[0].contains("précède"));
    assert_eq!(
        crate::support::field_value(&refused, "first_year").as_deref(),
        Some("2027")
    );

    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let built = build(&mut admin, &mut staff, "office-habitat", "SPASER d'essai").await;
    let action = built.actions[0].to_string();
    let bad = admin
        .post(
            &format!("{}/indicateurs/nouveau", built.structure),
            &[
                ("parent", &action),
                ("label", "Tonnes évitées"),
                ("direction", "down"),
                ("baseline_value", "12,5"),
                ("threshold", "150"),
                ("target_2026", "douze"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.texts("#baseline_year-erreur")[0].contains("Indiquez l'année"));
    assert!(bad.texts("#threshold-erreur")[0].contains("entre 1 et 100"));
    assert!(bad.texts("#target_2026-erreur")[0].contains("« douze » n'est pas un nombre"));
    assert_eq!(
        crate::support::field_value(&bad, "target_2026").as_deref(),
        Some("douze")
    );
    assert_eq!(
        crate::support::field_value(&bad, "baseline_value").as_deref(),
        Some("12,5")
    );
    assert_eq!(bad.attrs("#direction-down[checked]", "value"), ["down"]);

    // Other roles and other organisations: refused, unseen.
    for (email, status) in [
        ("pilote@office-habitat.demo", StatusCode::FORBIDDEN),
        ("admin@grand-orly-seine-bievre.demo", StatusCode::NOT_FOUND),
    ] {
        let mut other = Client::signed_in(&app, email).await;
        assert_eq!(other.get(&built.structure).await.status, status, "{email}");
        let post = other
            .post(
                &format!("{}/axes/nouveau", built.structure),
                &[("label", "Intrus")],
            )
            .await;
        assert_eq!(post.status, status, "{email}");
    }
}

/// The spreadsheet and the editor act on the same plan: the plan built in the editor, exported
/// and imported back into itself, changes nothing — direction, baseline, targets and values stay.
#[tokio::test]
async fn the_exported_plan_reimports_into_itself_without_a_change() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let built = build(&mut admin, &mut staff, "office-habitat", "SPASER d'essai").await;
    let snapshot = |pool: sqlx::PgPool| async move {
        sqlx::query_as::<_, (String, String, Option<String>, Option<String>, String)>(
            r"SELECT i.label, i.direction, i.baseline_value::text, i.unit,
                     coalesce((SELECT string_agg(t.year || ':' || coalesce(t.value::text, '') || ':' || coalesce(t.text, ''), ';' ORDER BY t.year)
                                 FROM indicator_target t WHERE t.indicator_id = i.id), '')
                FROM indicator i JOIN plan p ON p.id = i.plan_id WHERE p.slug = 'spaser-d-essai' ORDER BY i.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let before = snapshot(pool.clone()).await;
    let (status, xlsx, _) = admin
        .get_bytes(&format!("{}/export/plan.xlsx", built.plan))
        .await;
    assert_eq!(status, StatusCode::OK);
    admin.get("/organisations/office-habitat/import").await;
    let sent = crate::import::upload(
        &mut admin,
        "office-habitat",
        &xlsx,
        "plan.xlsx",
        &[("plan", "spaser-d-essai")],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let preview = admin.get(sent.location().unwrap()).await;
    let summary = preview.texts(".callout-text");
    assert!(
        summary[0].starts_with("0 création(s), 0 modification(s), 0 retrait(s)"),
        "{summary:?}"
    );
    let committed = admin.post(sent.location().unwrap(), &[]).await;
    assert_eq!(
        committed.status,
        StatusCode::SEE_OTHER,
        "{}",
        committed.body
    );
    assert_eq!(snapshot(pool.clone()).await, before);
    let (indicators, _) = marks(&mut admin, &built.plan, 2025).await;
    assert_eq!(status_of(&indicators, EMISSIONS), "achieved");
}
