//! Two application servers on one database (two routers, and two real processes), many people
//! saving the same value at once, and SIGTERM to the real binary while saves go on.

use axum::http::StatusCode;

use crate::support::{Client, app, demo_pool, publish_office};

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

    // The public bilan, kept by each server, shows an edit made on the other at once (the
    // values validated: the public reads only those).
    publish_office(&pool).await;
    let action5: i64 = sqlx::query_scalar("SELECT id FROM action WHERE code = '5'")
        .fetch_one(&pool)
        .await
        .unwrap();
    on_a.get(ENTRY).await;
    assert_eq!(
        on_a.post(
            &format!("{ENTRY}/actions/{action5}/circuit"),
            &[("transition", "valider")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
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

/// SIGTERM to the real binary while six people keep saving: every save it answered is in the
/// database and its history, every other one left no trace, and the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_saves_finishes_or_refuses_them_and_loses_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use crate::process::{csrf, sign_in, start, terminate, try_http};

    let (pool, url) = crate::support::fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN plan p ON p.id = i.plan_id \
         WHERE p.slug = 'spaser-2025-2027' AND i.kind = 'quantitative' \
         AND i.unit IS DISTINCT FROM '%' ORDER BY i.id LIMIT 6",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), 6);

    let mut running = start(&[("DATABASE_URL", url.as_str()), ("SPASER_NO_DEMO", "1")]);
    let address = running.address.clone();
    let (cookie, page) = tokio::task::spawn_blocking({
        let address = address.clone();
        move || {
            let cookie = sign_in(&address, "commande-publique@office-habitat.demo");
            let (status, _, page) =
                crate::process::http(&address, "GET", ENTRY, Some(&cookie), None);
            assert_eq!(status, 200);
            (cookie, page)
        }
    })
    .await
    .unwrap();
    let token = csrf(&page);
    let document = scraper::Html::parse_document(&page);

    #[derive(Default)]
    struct Outcome {
        acknowledged: Vec<String>,
        unanswered: Vec<String>,
        other: Vec<u16>,
        answered_after_sigterm: usize,
    }
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let sigterm_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let workers: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(k, &id)| {
            let selector = scraper::Selector::parse(&format!("[name='ver-{id}']")).unwrap();
            let mut version: i64 = document
                .select(&selector)
                .next()
                .and_then(|e| e.value().attr("value"))
                .expect("the indicator is on the entry page")
                .parse()
                .unwrap();
            let (address, cookie, token) = (address.clone(), cookie.clone(), token.clone());
            let (acknowledged, sigterm_at) = (acknowledged.clone(), sigterm_at.clone());
            std::thread::spawn(move || {
                let mut outcome = Outcome::default();
                // Bounded: the server is stopped long before.
                for n in 1..=5_000 {
                    let value = (100_000 * (k + 1) + n).to_string();
                    let form = form_urlencoded::Serializer::new(String::new())
                        .append_pair("_csrf", &token)
                        .append_pair(&format!("ver-{id}"), &version.to_string())
                        .append_pair(&format!("v-{id}"), &value)
                        .finish();
                    let sent = Instant::now();
                    let answer = try_http(&address, "POST", ENTRY, Some(&cookie), Some(&form));
                    if sigterm_at.lock().unwrap().is_some_and(|at| at > sent) && answer.is_ok() {
                        outcome.answered_after_sigterm += 1;
                    }
                    match answer {
                        Ok((303, _, _)) => {
                            outcome.acknowledged.push(value);
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                            version += 1;
                        }
                        Ok((status, _, _)) => {
                            outcome.other.push(status);
                            if status != 409 {
                                break;
                            }
                        }
                        Err(_) => {
                            outcome.unanswered.push(value);
                            break;
                        }
                    }
                }
                (id, outcome)
            })
        })
        .collect();

    // Let the saves run, then SIGTERM while they go on.
    let begun = Instant::now();
    while acknowledged.load(Ordering::SeqCst) < 30 && begun.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    *sigterm_at.lock().unwrap() = Some(Instant::now());
    terminate(&running);
    let status = tokio::task::spawn_blocking(move || running.child.wait().unwrap())
        .await
        .unwrap();
    let stopped_in = sigterm_at.lock().unwrap().unwrap().elapsed();
    assert!(status.success(), "a clean exit on SIGTERM: {status}");

    let (mut total_acknowledged, mut total_unanswered, mut after_sigterm) = (0, 0, 0);
    for worker in workers {
        let (id, outcome) = tokio::task::spawn_blocking(move || worker.join().unwrap())
            .await
            .unwrap();
        assert!(
            outcome.other.is_empty(),
            "indicator {id}: only saves or closed connections, got {:?}",
            outcome.other
        );
        let history: Vec<String> = sqlx::query_scalar(
            "SELECT after FROM change_log WHERE indicator_id = $1 AND year = 2025 \
             AND field = 'Valeur réalisée' ORDER BY id",
        )
        .bind(id)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        // As the history shows it: « 100 001 h » (narrow spaces, a unit after a no-break space).
        .map(|v: String| {
            v.split('\u{A0}')
                .next()
                .unwrap_or_default()
                .replace('\u{202F}', "")
        })
        .collect();
        assert_eq!(
            history, outcome.acknowledged,
            "indicator {id}: the history holds exactly the saves that were answered"
        );
        let stored: Option<rust_decimal::Decimal> = sqlx::query_scalar(
            "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = 2025",
        )
        .bind(id)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .flatten();
        assert_eq!(
            stored.map(|d| d.to_string()).as_ref(),
            outcome.acknowledged.last(),
            "indicator {id}: the stored value is the last one answered"
        );
        total_acknowledged += outcome.acknowledged.len();
        total_unanswered += outcome.unanswered.len();
        after_sigterm += outcome.answered_after_sigterm;
    }
    println!(
        "SIGTERM during saves: {total_acknowledged} saves answered and all in the history \
         ({after_sigterm} of them in flight when SIGTERM came), {total_unanswered} refused \
         (connection closed, nothing written); the server stopped in {} ms",
        stopped_in.as_millis()
    );
}

/// The same, with two real `spaser serve` processes on one database, as behind a load balancer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_real_server_processes_share_sessions_edits_and_conflicts() {
    use crate::process::{csrf, http, sign_in, start, stop};

    let (pool, url) = crate::support::fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    let hours: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '5'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let env = [("DATABASE_URL", url.as_str()), ("SPASER_NO_DEMO", "1")];
    let (a, b) = (start(&env), start(&env));
    let (a_addr, b_addr) = (a.address.clone(), b.address.clone());
    tokio::task::spawn_blocking(move || {
        let cookie = sign_in(&a_addr, "commande-publique@office-habitat.demo");
        let (status, _, page_b) = http(&b_addr, "GET", ENTRY, Some(&cookie), None);
        assert_eq!(status, 200, "signed in on A, signed in on B");
        let (_, _, page_a) = http(&a_addr, "GET", ENTRY, Some(&cookie), None);
        let save = |address: &str, page: &str, version: &str, value: &str| {
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("_csrf", &csrf(page))
                .append_pair(&format!("ver-{hours}"), version)
                .append_pair(&format!("v-{hours}"), value)
                .finish();
            http(address, "POST", ENTRY, Some(&cookie), Some(&form)).0
        };
        assert_eq!(save(&a_addr, &page_a, "0", "10 500"), 303, "saved on A");
        let (_, _, seen) = http(&b_addr, "GET", ENTRY, Some(&cookie), None);
        let document = scraper::Html::parse_document(&seen);
        let selector = scraper::Selector::parse(&format!("#v-{hours}")).unwrap();
        let shown = document
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr("value"))
            .map(|v| v.replace('\u{202F}', " "));
        assert_eq!(
            shown.as_deref(),
            Some("10 500"),
            "an edit on A is seen on B"
        );
        assert_eq!(
            save(&b_addr, &page_b, "0", "11 000"),
            409,
            "B saving from the version it showed before A's edit: a conflict"
        );
    })
    .await
    .unwrap();
    stop(a);
    stop(b);
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM change_log WHERE indicator_id = $1 AND field = 'Valeur réalisée'",
    )
    .bind(hours)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, 1, "one save, one history entry");
}
