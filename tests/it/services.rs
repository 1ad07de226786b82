//! An administrator's services page: add, rename, merge (links and memberships follow, the plan
//! shows it), remove once unused; each change in the organisation's history.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::support::{Client, app, demo_pool};

const PAGE: &str = "/organisations/office-habitat/services";

async fn service_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT s.id FROM service s JOIN organisation o ON o.id = s.organisation_id
          WHERE o.slug = 'office-habitat' AND s.name = $1",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The row of one service on the page: (actions, indicators, people).
fn counts(page: &crate::support::Page, name: &str) -> Option<(String, String, String)> {
    let names = page.texts(".spaser-service-name");
    let i = names.iter().position(|n| n == name)?;
    Some((
        page.texts(".spaser-service-actions")[i].clone(),
        page.texts(".spaser-service-indicators")[i].clone(),
        page.texts(".spaser-service-people")[i].clone(),
    ))
}

async fn revision(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT revision FROM plan WHERE slug = 'spaser-2025-2027'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn administrators_add_rename_merge_and_remove_services() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;

    // The organisation's page leads there.
    let home = admin.get("/organisations/office-habitat").await;
    assert!(home.attrs("a", "href").iter().any(|h| h == PAGE));

    let page = admin.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK);
    let dsi = counts(&page, "DSI").expect("DSI is listed");
    let piloted = |table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT count(*) FROM {table} p JOIN service s ON s.id = p.service_id
                   JOIN organisation o ON o.id = s.organisation_id
                  WHERE o.slug = 'office-habitat' AND s.name = 'DSI'"
            ))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (dsi_actions, dsi_indicators) = (
        piloted("action_pilot").await,
        piloted("indicator_pilot").await,
    );
    assert!(dsi_actions + dsi_indicators > 0);
    assert_eq!(dsi.0, dsi_actions.to_string());
    assert_eq!(dsi.1, dsi_indicators.to_string());
    assert_eq!(dsi.2, "1", "the demo pilot is bound to DSI");

    // Add: trimmed; a duplicate whatever its case is refused, the input kept.
    let added = admin
        .post(PAGE, &[("name", "  Direction   des achats ")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = admin.get(added.location().unwrap()).await;
    assert_eq!(
        counts(&page, "Direction des achats"),
        Some(("0".into(), "0".into(), "0".into()))
    );
    assert_eq!(page.texts("[role=status]").join(""), "Service ajouté.");
    let twice = admin.post(PAGE, &[("name", " dsi ")]).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(twice.attrs("#name", "value"), [" dsi "]);
    assert!(twice.texts("#name-error")[0].contains("s'appelle déjà « dsi »"));
    let empty = admin.post(PAGE, &[("name", "   ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.texts("#name-error"), ["Indiquez le nom du service."]);

    // Rename, with the same checks, the refused input kept beside its service.
    let achats = service_id(&pool, "Direction des achats").await;
    let renamed = admin
        .post(
            &format!("{PAGE}/{achats}"),
            &[("name", "Achats responsables")],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let clash = admin
        .post(&format!("{PAGE}/{achats}"), &[("name", "Dsi")])
        .await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        clash.attrs(&format!("#name-{achats}"), "value"),
        ["Dsi"],
        "the refused name is kept in its field"
    );
    assert!(!clash.texts(&format!("#name-{achats}-error")).is_empty());

    // Merge DSI into « Achats responsables », which already pilots one of DSI's actions: the
    // links and the pilot's membership move, once each; DSI goes; the plan's revision moves.
    let dsi_id = service_id(&pool, "DSI").await;
    for sql in [
        "INSERT INTO action_pilot (action_id, service_id)
         SELECT action_id, $2 FROM action_pilot WHERE service_id = $1 LIMIT 1",
        "INSERT INTO indicator_pilot (indicator_id, service_id)
         SELECT indicator_id, $2 FROM indicator_pilot WHERE service_id = $1 LIMIT 1",
    ] {
        sqlx::query(sql)
            .bind(dsi_id)
            .bind(achats)
            .execute(&pool)
            .await
            .unwrap();
    }
    let before = revision(&pool).await;
    let merged = admin
        .post(
            &format!("{PAGE}/{dsi_id}/fusion"),
            &[("into", &achats.to_string())],
        )
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    assert!(
        revision(&pool).await > before,
        "the public bilan is rendered again"
    );
    let page = admin.get(PAGE).await;
    assert_eq!(counts(&page, "DSI"), None);
    assert_eq!(
        counts(&page, "Achats responsables"),
        Some((dsi.0.clone(), dsi.1.clone(), "1".into()))
    );
    let bound: Vec<String> = sqlx::query_scalar(
        "SELECT s.name FROM membership_service ms JOIN service s ON s.id = ms.service_id
           JOIN app_user u ON u.id = ms.user_id WHERE u.email = 'pilote@office-habitat.demo'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(bound, ["Achats responsables"]);
    let plan = admin
        .get("/organisations/office-habitat/plans/spaser-2025-2027")
        .await;
    let pilots: Vec<String> = plan
        .texts(".spaser-pilots .tag")
        .into_iter()
        .chain(
            plan.texts(".spaser-facts li")
                .into_iter()
                .filter(|t| t.starts_with("Pilotes")),
        )
        .collect();
    assert!(
        pilots.iter().any(|p| p.contains("Achats responsables")),
        "{pilots:?}"
    );
    assert!(!pilots.iter().any(|p| p.contains("DSI")), "{pilots:?}");
    // The pilot still pilots the same actions, under the new name.
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let plan = pilot
        .get("/organisations/office-habitat/plans/spaser-2025-2027")
        .await;
    assert!(
        plan.texts(".spaser-pilot-notice")
            .join(" ")
            .contains("Achats responsables")
    );
    // Merging into itself is refused.
    let itself = admin
        .post(
            &format!("{PAGE}/{achats}/fusion"),
            &[("into", &achats.to_string())],
        )
        .await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Removal: refused while used, saying by what; allowed once unused.
    let used = admin.post(&format!("{PAGE}/{achats}/retirer"), &[]).await;
    assert_eq!(used.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = used.texts("#probleme").join("");
    assert!(problem.contains("encore utilisé"), "{problem}");
    assert!(
        problem.contains("1 personne qui lui est rattachée"),
        "{problem}"
    );
    let spare = admin.post(PAGE, &[("name", "Inutile")]).await;
    assert_eq!(spare.status, StatusCode::SEE_OTHER);
    let spare = service_id(&pool, "Inutile").await;
    let removed = admin.post(&format!("{PAGE}/{spare}/retirer"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = admin.get(PAGE).await;
    assert_eq!(counts(&page, "Inutile"), None);

    // The history, latest first, names who did what.
    let history = page.texts(".spaser-history-row");
    assert_eq!(history.len(), 5, "{history:?}");
    assert!(history[0].contains("Service retiré") && history[0].contains("Inutile"));
    assert!(history[2].contains("Services fusionnés") && history[2].contains("DSI"));
    assert!(history[3].contains("Service renommé") && history[3].contains("Achats responsables"));
    assert!(history[4].contains("Service ajouté"));
    let log_is_kept = sqlx::query("DELETE FROM organisation_log")
        .execute(&pool)
        .await;
    assert!(log_is_kept.is_err(), "the history is append-only");

    // Another service's id, or another organisation's service: not found.
    let gosb_service: i64 = sqlx::query_scalar(
        "SELECT s.id FROM service s JOIN organisation o ON o.id = s.organisation_id
          WHERE o.slug <> 'office-habitat' LIMIT 1",
    )
    .fetch_optional(&pool)
    .await
    .unwrap()
    .unwrap_or(0);
    let foreign = admin
        .post(&format!("{PAGE}/{gosb_service}"), &[("name", "Volé")])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let foreign = admin
        .post(
            &format!("{PAGE}/{achats}/fusion"),
            &[("into", &gosb_service.to_string())],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_organisation_s_administrators_reach_its_services() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let dsi = service_id(&pool, "DSI").await;
    for (email, expected) in [
        ("pilote@office-habitat.demo", StatusCode::FORBIDDEN),
        (
            "commande-publique@office-habitat.demo",
            StatusCode::FORBIDDEN,
        ),
        ("admin@grand-orly-seine-bievre.demo", StatusCode::NOT_FOUND),
    ] {
        let mut client = Client::signed_in(&app, email).await;
        assert_eq!(client.get(PAGE).await.status, expected, "{email}");
        let posts = [
            (PAGE.to_string(), vec![("name", "Pirate")]),
            (format!("{PAGE}/{dsi}"), vec![("name", "Pirate")]),
            (format!("{PAGE}/{dsi}/retirer"), vec![]),
        ];
        for (path, fields) in posts {
            assert_eq!(
                client.post(&path, &fields).await.status,
                expected,
                "{email} {path}"
            );
        }
    }
    let still: i64 =
        sqlx::query_scalar("SELECT count(*) FROM service WHERE id = $1 AND name = 'DSI'")
            .bind(dsi)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(still, 1);
}
