//! Writes are set-based: a whole-page save, a plan import or re-import and the recomputation of
//! the indicators linked to the contracts run the same number of SQL statements whatever the
//! number of rows they write.
//!
//! The statements are counted as `src/bin/bench.rs` counts the bilan's: sqlx's `sqlx::query`
//! tracing events. Each test runs on a current-thread runtime under a thread-local subscriber, so
//! the statements of tests running in parallel on other threads are not counted.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use spaser::domain::ids::{OrganisationId, UserId};
use sqlx::PgPool;
use tracing_subscriber::layer::SubscriberExt;

use crate::import::upload;
use crate::support::{Client, Page, app, demo_pool};

/// Counts sqlx's statements.
struct QueryCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QueryCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs `work` and counts the SQL statements it sent, on this thread only.
async fn statements<T>(work: impl Future<Output = T>) -> (usize, T) {
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::TRACE),
        )
        .with(QueryCounter(counter.clone()));
    let guard = tracing::subscriber::set_default(subscriber);
    let out = work.await;
    drop(guard);
    (counter.load(Ordering::SeqCst), out)
}

const OFFICE: &str = "office-habitat";

/// A plan file of `indicators` indicators in %, three per action, three actions per objective,
/// two axes; `step` moves every target (a re-import changes them all).
fn plan_file(indicators: usize, step: usize) -> Vec<u8> {
    let mut out = String::from(
        "N° AXE;AXE;N° Objectif;OBJECTIFS;N° ACTION;ACTIONS;Indicateurs;Type d'indicateur;Valeurs cibles;Qui pilote cet indicateur ?\n",
    );
    for i in 0..indicators {
        let action = i / 3 + 1;
        let objective = (action - 1) / 3 + 1;
        let axis = (objective - 1) % 2 + 1;
        let pilot = if i % 2 == 0 {
            "DSI"
        } else {
            "Service Commande Publique"
        };
        let target = 10 + (i + step) % 80;
        out.push_str(&format!(
            "{axis};AXE {axis};{objective};Objectif {objective};{action};Action {action};Part {i} des achats;Quanti (pourcentage);Valeur cible 2025: {target} % Valeur cible 2026: {} %;{pilot}\n",
            target + 1
        ));
    }
    out.into_bytes()
}

/// Uploads a plan file (a new plan when `plan` is empty) and returns the preview's address.
async fn send_plan(admin: &mut Client, file: &[u8], title: &str, plan: &str) -> String {
    admin.get(&format!("/organisations/{OFFICE}/import")).await;
    let sent = upload(
        admin,
        OFFICE,
        file,
        "plan.csv",
        &[
            ("plan", plan),
            ("titre", title),
            ("premiere_annee", "2025"),
            ("derniere_annee", "2027"),
        ],
        true,
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    sent.location().unwrap().to_string()
}

/// Commits a previewed import, counting its statements.
async fn commit(admin: &mut Client, preview: &str) -> usize {
    admin.get(preview).await;
    let (count, page) = statements(admin.post(preview, &[])).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    count
}

async fn plan_id(pool: &PgPool, title: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM plan WHERE title = $1")
        .bind(title)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn scalar(pool: &PgPool, sql: &str, plan: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(plan)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every field of the entry form, as the page gave them.
fn whole_form(page: &Page) -> Vec<(String, String)> {
    let document = scraper::Html::parse_document(&page.body);
    let inputs =
        scraper::Selector::parse("form#saisie input[name], form#saisie textarea[name]").unwrap();
    document
        .select(&inputs)
        .map(|e| {
            let name = e.value().attr("name").unwrap().to_string();
            let value = match e.value().name() {
                "textarea" => e.text().collect::<String>(),
                _ => e.value().attr("value").unwrap_or_default().to_string(),
            };
            (name, value)
        })
        .collect()
}

/// What one plan of `size` indicators cost, in statements.
struct Counts {
    import: usize,
    reimport: usize,
    save: usize,
}

/// Imports a plan of `size` indicators, re-imports it with every target changed, then saves
/// its entry page with every value and every « mis en œuvre » changed; counts each.
async fn one_plan(pool: &PgPool, admin: &mut Client, staff: &mut Client, size: usize) -> Counts {
    let title = format!("Plan de {size} indicateurs");
    let preview = send_plan(admin, &plan_file(size, 0), &title, "").await;
    let import = commit(admin, &preview).await;
    let plan = plan_id(pool, &title).await;
    assert_eq!(
        scalar(
            pool,
            "SELECT count(*) FROM indicator WHERE plan_id = $1",
            plan
        )
        .await,
        size as i64
    );
    let slug: String = sqlx::query_scalar("SELECT slug FROM plan WHERE id = $1")
        .bind(plan)
        .fetch_one(pool)
        .await
        .unwrap();

    let preview = send_plan(admin, &plan_file(size, 7), "", &slug).await;
    let reimport = commit(admin, &preview).await;
    let moved = scalar(
        pool,
        "SELECT count(*) FROM indicator_target WHERE plan_id = $1 AND year = 2025 AND value = 10 + (7 + substring((SELECT label FROM indicator i WHERE i.id = indicator_id) FROM 'Part ([0-9]+)')::int) % 80",
        plan,
    )
    .await;
    assert_eq!(moved, size as i64, "the re-import moved every target");

    let entry = format!("/organisations/{OFFICE}/plans/{slug}/saisie/2025");
    let mut form = whole_form(&staff.get(&entry).await);
    let mut values = 0;
    let mut narratives = 0;
    for (name, value) in &mut form {
        if let Some(id) = name.strip_prefix("v-") {
            *value = format!("{} %", 1 + id.parse::<usize>().unwrap() % 90);
            values += 1;
        } else if let Some(id) = name.strip_prefix("r-") {
            *value = format!("Fait pour l'action {id}.");
            narratives += 1;
        }
    }
    assert_eq!(values, size, "a field per indicator");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (save, page) = statements(staff.post(&entry, &fields)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        scalar(
            pool,
            "SELECT count(*) FROM indicator_actual WHERE plan_id = $1 AND year = 2025",
            plan
        )
        .await,
        size as i64,
        "every value saved"
    );
    assert_eq!(
        scalar(
            pool,
            "SELECT count(*) FROM change_log WHERE plan_id = $1 AND field = 'Valeur réalisée'",
            plan
        )
        .await,
        size as i64,
        "a history line per value"
    );
    assert_eq!(
        scalar(
            pool,
            "SELECT count(*) FROM change_log WHERE plan_id = $1 AND field = 'Mis en œuvre'",
            plan
        )
        .await,
        narratives as i64,
        "a history line per « mis en œuvre »"
    );
    assert_eq!(
        scalar(
            pool,
            "SELECT count(*) FROM action_review WHERE plan_id = $1 AND state = 'entered'",
            plan
        )
        .await,
        size.div_ceil(3) as i64,
        "every action touched is « saisi »"
    );
    Counts {
        import,
        reimport,
        save,
    }
}

#[tokio::test]
async fn writes_take_as_many_statements_for_150_indicators_as_for_10() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let small = one_plan(&pool, &mut admin, &mut staff, 10).await;
    let large = one_plan(&pool, &mut admin, &mut staff, 150).await;
    println!(
        "SQL statements, 10 vs 150 indicators: import {} vs {}, re-import {} vs {}, whole-page save {} vs {}",
        small.import, large.import, small.reimport, large.reimport, small.save, large.save
    );
    assert_eq!(
        small.save, large.save,
        "a whole-page save of 150 changed indicators takes as many statements as one of 10"
    );
    assert_eq!(small.import, large.import, "importing a new plan");
    assert_eq!(small.reimport, large.reimport, "re-importing a plan");
}

/// Links `indicators` indicators of a plan to the contracts, in one statement (the test's own).
async fn link(pool: &PgPool, plan: i64) {
    sqlx::query(
        "INSERT INTO indicator_link (indicator_id, measure, by_amount, min_amount)
         SELECT id, CASE WHEN position % 2 = 0 THEN 'social_any' ELSE 'env_clause' END, position % 3 = 0, 0
           FROM indicator WHERE plan_id = $1",
    )
    .bind(plan)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn recomputing_linked_indicators_takes_as_many_statements_for_150_as_for_10() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    for size in [10, 150] {
        let title = format!("Plan de {size} indicateurs");
        let preview = send_plan(&mut admin, &plan_file(size, 0), &title, "").await;
        commit(&mut admin, &preview).await;
    }
    let (organisation, user): (i64, i64) = sqlx::query_as(
        "SELECT o.id, u.id FROM organisation o, app_user u
          WHERE o.slug = 'office-habitat' AND u.email = 'commande-publique@office-habitat.demo'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // Contracts of 2025 and 2026: 40 of them, a social consideration in one of four, an
    // environmental clause in one of three.
    sqlx::query(
        "INSERT INTO organisation_siret (organisation_id, siret) VALUES ($1, '11111111111111')",
    )
    .bind(organisation)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO contract (organisation_id, decp_id, buyer_siret, amount, notified_on, social_clause,
                               social_criterion, reserved, env_clause, env_criterion)
         SELECT $1, 'C' || n, '11111111111111', 10000 * n, make_date(2025 + n % 2, 1 + n % 12, 1),
                n % 4 = 0, false, false, n % 3 = 0, false
           FROM generate_series(1, 40) n",
    )
    .bind(organisation)
    .execute(&pool)
    .await
    .unwrap();
    let small = plan_id(&pool, "Plan de 10 indicateurs").await;
    let large = plan_id(&pool, "Plan de 150 indicateurs").await;
    let mut counts = Vec::new();
    for (plan, size) in [(small, 10), (large, 150)] {
        link(&pool, plan).await;
        let mut tx = pool.begin().await.unwrap();
        let (count, written) = statements(spaser::contracts::refresh_linked(
            &mut tx,
            OrganisationId(organisation),
            UserId(user),
        ))
        .await;
        tx.commit().await.unwrap();
        let written = written.unwrap();
        assert_eq!(written, size * 2, "2025 and 2026 of each new link written");
        assert_eq!(
            scalar(
                &pool,
                "SELECT count(*) FROM change_log WHERE plan_id = $1 AND field = 'Valeur réalisée (calculée)'",
                plan
            )
            .await,
            (size * 2) as i64,
            "a history line per value written"
        );
        counts.push(count);
    }
    // 2025: contracts 2, 4, … 40; social ones are multiples of 4 (10 of 20): 50 %.
    let social: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT v.value FROM indicator_actual v JOIN indicator_link l USING (indicator_id)
          WHERE v.plan_id = $1 AND v.year = 2025 AND l.measure = 'social_any' AND NOT l.by_amount LIMIT 1",
    )
    .bind(small)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(social, rust_decimal::Decimal::from(50));
    println!(
        "SQL statements to recompute the linked indicators: 10 links {}, 160 links {}",
        counts[0], counts[1]
    );
    assert_eq!(counts[0], counts[1]);
}

fn field(page: &Page, name: &str) -> Option<String> {
    whole_form(page)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The history of a plan, in order: (field, before, after).
async fn history(pool: &PgPool, plan: i64) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT field, before, after FROM change_log WHERE plan_id = $1 ORDER BY id")
        .bind(plan)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The set-based save behaves as the row-by-row one did: the history lines of a save in order
/// (value, ratio, text, comment, then « mis en œuvre », then the review), conflicts on values
/// and on « mis en œuvre » found together and shown with both sides, nothing written when any
/// conflicts, and the form sent back from the conflict page saves the person's values.
#[tokio::test]
async fn a_save_writes_its_history_in_order_and_conflicts_write_nothing() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut first = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut second = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let title = "Plan de 6 indicateurs";
    let preview = send_plan(&mut admin, &plan_file(6, 0), title, "").await;
    commit(&mut admin, &preview).await;
    let plan = plan_id(&pool, title).await;
    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT i.id, i.action_id FROM indicator i JOIN action a ON a.id = i.action_id
          WHERE i.plan_id = $1 ORDER BY a.position, i.position",
    )
    .bind(plan)
    .fetch_all(&pool)
    .await
    .unwrap();
    let ((one, action), (four, _)) = (ids[0], ids[3]);
    let slug: String = sqlx::query_scalar("SELECT slug FROM plan WHERE id = $1")
        .bind(plan)
        .fetch_one(&pool)
        .await
        .unwrap();
    let entry = format!("/organisations/{OFFICE}/plans/{slug}/saisie/2025");
    let page_first = first.get(&entry).await;
    let page_second = second.get(&entry).await;

    let mut form = whole_form(&page_first);
    for (name, value) in &mut form {
        match name.as_str() {
            n if n == format!("v-{one}") => *value = "40 %".into(),
            n if n == format!("n-{one}") => *value = "4".into(),
            n if n == format!("d-{one}") => *value = "10".into(),
            n if n == format!("t-{one}") => *value = "Texte du premier".into(),
            n if n == format!("c-{one}") => *value = "Commentaire du premier".into(),
            n if n == format!("r-{action}") => *value = "Fait par le premier.".into(),
            _ => {}
        }
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        first.post(&entry, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let lines = history(&pool, plan).await;
    let shown: Vec<(String, Option<String>, Option<String>)> = lines
        .iter()
        .map(|(f, b, a)| {
            (
                f.clone(),
                b.as_deref().map(crate::support::normalise),
                a.as_deref().map(crate::support::normalise),
            )
        })
        .collect();
    let line = |f: &str, b: Option<&str>, a: Option<&str>| {
        (f.to_string(), b.map(str::to_string), a.map(str::to_string))
    };
    assert_eq!(
        shown,
        [
            line("Valeur réalisée", None, Some("40 %")),
            line("Numérateur / dénominateur", None, Some("4 / 10")),
            line("Texte", None, Some("Texte du premier")),
            line("Commentaire", None, Some("Commentaire du premier")),
            line("Mis en œuvre", None, Some("Fait par le premier.")),
            line("Circuit de validation", None, Some("Saisi")),
        ]
    );

    // The second person's page was loaded before: their value and « mis en œuvre » of action 1
    // conflict; their value of action 2 does not, and is not written either.
    let mut form = whole_form(&page_second);
    for (name, value) in &mut form {
        match name.as_str() {
            n if n == format!("v-{one}") => *value = "50 %".into(),
            n if n == format!("v-{four}") => *value = "30 %".into(),
            n if n == format!("r-{action}") => *value = "Fait par le second.".into(),
            _ => {}
        }
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let conflict = second.post(&entry, &fields).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let rows = conflict.texts("tr.spaser-conflict");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].starts_with("Part 0 des achats")
            && rows[0].contains("40 % — Texte du premier")
            && rows[0].ends_with("50 %"),
        "{rows:?}"
    );
    assert_eq!(
        rows[1],
        "Mis en œuvre — Action 1 Fait par le premier. Fait par le second."
    );
    assert_eq!(
        history(&pool, plan).await.len(),
        lines.len(),
        "nothing written"
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM indicator_actual WHERE plan_id = $1",
            plan
        )
        .await,
        1
    );
    // Sent again from the conflict page, the second person's values win.
    assert_eq!(
        field(&conflict, &format!("v-{one}")).as_deref(),
        Some("50 %")
    );
    let form = whole_form(&conflict);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = second.post(&entry, &fields).await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        saved.texts(".spaser-conflict")
    );
    let values: Vec<(i64, rust_decimal::Decimal, i32)> = sqlx::query_as(
        "SELECT indicator_id, value, version FROM indicator_actual WHERE plan_id = $1 ORDER BY indicator_id",
    )
    .bind(plan)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        values,
        [(one, 50.into(), 2), (four, 30.into(), 1)],
        "{values:?}"
    );
    let text: String = sqlx::query_scalar("SELECT text FROM action_narrative WHERE action_id = $1")
        .bind(action)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(text, "Fait par le second.");
}
