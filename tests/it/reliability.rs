//! Two application servers on one database, and many people saving the same value at once.

use axum::http::StatusCode;

use crate::support::{Client, app, demo_pool};

const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";

#[tokio::test]
async fn two_application_servers_share_sessions_edits_and_conflicts() {
    let pool = demo_pool().await;
    // Two routers, each with its own state and page cache, as behind a load balancer.
    let (a, b) = (app(&pool), app(&pool));
    let mut on_a = Client::signed_in(&a, "commande-publique@office-habitat.demo").await;
    let mut on_b = on_a.clone().with_app(&b);
    assert_eq!(
        on_b.get(ENTRY).await.status,
        StatusCode::OK,
        "signed in on A, signed in on B"
    );

    let hours: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '5'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (ver, val) = (format!("ver-{hours}"), format!("v-{hours}"));
    on_a.get(ENTRY).await;
    on_b.get(ENTRY).await;
    assert_eq!(
        on_a.post(ENTRY, &[(ver.as_str(), "0"), (val.as_str(), "10 500")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let seen = on_b.get(ENTRY).await;
    let document = scraper::Html::parse_document(&seen.body);
    let field = scraper::Selector::parse(&format!("[name='{val}']")).unwrap();
    assert_eq!(
        document
            .select(&field)
            .next()
            .unwrap()
            .value()
            .attr("value")
            .map(|v| v.replace('\u{202F}', " ")),
        Some("10 500".to_string()),
        "an edit on A is seen on B"
    );
    // B saving from the version it had before A's edit: a conflict, across servers.
    let conflict = on_b
        .post(ENTRY, &[(ver.as_str(), "0"), (val.as_str(), "11 000")])
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);

    // The public bilan, kept by each server, shows an edit made on the other at once.
    sqlx::query("UPDATE plan SET published_at = now() WHERE slug = 'spaser-2025-2027'")
        .execute(&pool)
        .await
        .unwrap();
    let public = "/public/office-habitat/spaser-2025-2027/bilan/2025";
    let mut visitor_b = Client::new(&b);
    let before = visitor_b.get(public).await;
    assert!(
        before
            .texts(".spaser-sentence")
            .iter()
            .any(|s| s.starts_with("10 500 heures"))
    );
    on_a.get(ENTRY).await;
    assert_eq!(
        on_a.post(ENTRY, &[(ver.as_str(), "1"), (val.as_str(), "10 700")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let after = visitor_b.get(public).await;
    assert!(
        after
            .texts(".spaser-sentence")
            .iter()
            .any(|s| s.starts_with("10 700 heures")),
        "{:?}",
        after.texts(".spaser-sentence")
    );
}

#[tokio::test]
async fn many_people_saving_the_same_value_at_once_lose_nothing() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let hours: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '5'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut clients = Vec::new();
    for _ in 0..12 {
        let mut c = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
        c.get(ENTRY).await;
        clients.push(c);
    }
    // All from version 0, each a different value, at once.
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            tokio::spawn(async move {
                let (ver, val) = (format!("ver-{hours}"), format!("v-{hours}"));
                let value = format!("{}", 10_000 + i);
                let page = c
                    .post(
                        ENTRY,
                        &[(ver.as_str(), "0"), (val.as_str(), value.as_str())],
                    )
                    .await;
                (page.status, value)
            })
        })
        .collect();
    let mut saved = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let (status, value) = t.await.unwrap();
        match status {
            StatusCode::SEE_OTHER => saved.push(value),
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}"),
        }
    }
    let logged: Vec<String> = sqlx::query_scalar(
        "SELECT after FROM change_log WHERE indicator_id = $1 AND field = 'Valeur réalisée'",
    )
    .bind(hours)
    .fetch_all(&pool)
    .await
    .unwrap();
    println!(
        "12 simultaneous saves: {} saved, {conflicts} answered with a conflict, {} in the history",
        saved.len(),
        logged.len()
    );
    assert_eq!(saved.len(), 1, "one save wins the version");
    assert_eq!(conflicts, 11);
    assert_eq!(
        logged.len(),
        saved.len(),
        "every save is in the history: none lost"
    );
    let stored: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = 2025",
    )
    .bind(hours)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored.to_string(), saved[0]);
}
