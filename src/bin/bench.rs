//! Benchmark of the bilan page: generates plans of 10, 150 and 1 000 indicators over six years,
//! counts the SQL queries one bilan page runs for each, then loads the bilan of the 150-indicator
//! plan with 64 concurrent connections beside a floor handler (one query of 12 rows rendered by a
//! tiny askama template, the TechEmpower « Fortunes » shape), and prints throughput and latency.
//!
//! `cargo run --release --bin bench [-- --seconds 10 --connections 64]`; it uses `DATABASE_URL`
//! when set (creating a database `spaser_bench_<pid>` there), else a private cluster like the tests'.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use askama::Template;
use axum::response::Html;
use axum::routing::get;
use clap::Parser;
use rust_decimal::Decimal;
use spaser::db::embedded::Durability;
use spaser::domain::ids::OrganisationId;
use spaser::domain::model::{
    ActionDraft, AxisDraft, Direction, IndicatorDraft, IndicatorKind, ObjectiveDraft,
    ObjectiveTerm, PlanDraft, PlanHeader, YearValue,
};
use spaser::tools::cluster::{PgServer, migrated_pool};
use spaser::tools::http::{Connection, Request};
use spaser::web::{AppState, router};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tracing_subscriber::layer::SubscriberExt;

/// Counts the SQL statements sqlx runs (its `sqlx::query` events).
struct QueryCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QueryCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Template)]
#[template(
    source = "<!doctype html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.0 }}</td><td>{{ f.1 }}</td></tr>{% endfor %}</table></body></html>",
    ext = "html"
)]
struct Fortunes {
    fortunes: Vec<(i32, String)>,
}

/// A plan of `indicators` indicators, three per action, three actions per objective, four axes,
/// with a target, an actual and a narrative for every year.
fn plan(indicators: usize, years: std::ops::RangeInclusive<i32>) -> PlanDraft {
    let per_action = 3;
    let actions = indicators.div_ceil(per_action);
    let mut draft = PlanDraft {
        axes: (1..=4)
            .map(|n| AxisDraft {
                number: n,
                label: format!("AXE {n}"),
                code: None,
            })
            .collect(),
        objectives: Vec::new(),
    };
    let mut made = 0;
    for a in 0..actions {
        let objective = a / 3;
        if draft.objectives.len() <= objective {
            draft.objectives.push(ObjectiveDraft {
                axis: Some((objective % 4) as i32 + 1),
                code: (objective + 1).to_string(),
                label: format!(
                    "Objectif {} : développer les achats responsables",
                    objective + 1
                ),
                actions: Vec::new(),
            });
        }
        let mut action = ActionDraft {
            code: Some((a + 1).to_string()),
            label: format!(
                "Action {} : une action du plan avec un intitulé de longueur ordinaire",
                a + 1
            ),
            pilots: vec!["Service Commande Publique".into()],
            narratives: years
                .clone()
                .map(|y| {
                    (
                        y,
                        format!("Ce qui a été fait en {y} pour l'action {}.", a + 1),
                    )
                })
                .collect(),
            ..ActionDraft::default()
        };
        for _ in 0..per_action {
            if made == indicators {
                break;
            }
            made += 1;
            let unit = if made % 2 == 0 { "%" } else { "h" };
            action.indicators.push(IndicatorDraft {
                label: format!("Indicateur {made}"),
                kind: Some(IndicatorKind::Quantitative),
                unit: Some(unit.into()),
                direction: Direction::Up,
                targets: years
                    .clone()
                    .map(|y| YearValue {
                        year: y,
                        value: Some(Decimal::from(50 + (y % 7) * 5)),
                        text: None,
                    })
                    .collect(),
                actuals: years
                    .clone()
                    .map(|y| YearValue {
                        year: y,
                        value: Some(Decimal::from(40 + ((y as usize + made) % 13) as i32 * 5)),
                        text: None,
                    })
                    .collect(),
                ..IndicatorDraft::default()
            });
        }
        draft.objectives[objective].actions.push(action);
    }
    draft
}

/// Benchmark of the public bilan page and of the DECP import.
#[derive(Parser)]
struct Args {
    /// How long each load measure runs, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How many connections at once.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// PostgreSQL to use (a database `spaser_bench_<pid>` is made there); without it, a private
    /// cluster.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

/// A GET kept alive on its connection.
fn get_request(address: &str, path: &str, cookie: Option<&str>) -> Vec<u8> {
    Request::get(path)
        .cookie(cookie)
        .keep_alive()
        .to_bytes(address)
}

/// One keep-alive connection sending GETs until the deadline; returns each request's latency.
async fn client(
    address: String,
    path: String,
    deadline: Instant,
    errors: Arc<AtomicUsize>,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let Ok(mut connection) = Connection::open(&address).await else {
        errors.fetch_add(1, Ordering::Relaxed);
        return latencies;
    };
    let request = get_request(&address, &path, None);
    while Instant::now() < deadline {
        let start = Instant::now();
        match connection.round_trip(&request).await {
            Ok((200, _)) => latencies.push(start.elapsed()),
            Ok(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
                latencies.push(start.elapsed());
            }
            Err(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    latencies
}

struct Measure {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

async fn load(address: &str, path: &str, seconds: u64, connections: usize) -> Measure {
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(client(
                address.to_string(),
                path.to_string(),
                deadline,
                errors.clone(),
            ))
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Measure {
        requests: all.len(),
        per_second: all.len() as f64 / elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// 50 000 generated contracts: reading and saving time, then the legal indicators page.
async fn decp_bench(pool: &PgPool, address: &str, org: i64) {
    use std::fmt::Write;
    println!();
    println!("DECP: 50 000 generated contracts");
    let mut json = String::from(r#"{"marches": {"marche": ["#);
    for i in 0..50_000 {
        if i > 0 {
            json.push(',');
        }
        let social = match i % 4 {
            0 => r#""Clause sociale""#,
            1 => r#""Critère social", "Marché réservé""#,
            _ => r#""Pas de considération sociale""#,
        };
        let env = if i % 3 == 0 {
            r#""Clause environnementale""#
        } else {
            r#""Pas de considération environnementale""#
        };
        let _ = write!(
            json,
            r#"{{"id": "B{i}", "acheteur": {{"id": "11111111111111"}}, "montant": {}, "dateNotification": "2025-{:02}-{:02}",
                "objet": "Marché {i}", "procedure": "Appel d'offres ouvert", "nature": "Marché", "codeCPV": "45000000-7",
                "titulaires": [{{"titulaire": {{"id": "22222222222222", "typeIdentifiant": "SIRET"}}}}],
                "considerationsSociales": {{"considerationSociale": [{social}]}},
                "considerationsEnvironnementales": {{"considerationEnvironnementale": [{env}]}}}}"#,
            40_000 + (i * 37) % 900_000,
            1 + i % 12,
            1 + i % 28
        );
    }
    json.push_str("]}}");
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO organisation_siret (organisation_id, siret) VALUES ($1, '11111111111111')",
    )
    .bind(org)
    .execute(&mut *conn)
    .await
    .unwrap();
    let started = Instant::now();
    let reading = spaser::decp::read_json(json.as_bytes()).expect("generated file");
    let read = started.elapsed();
    let saving = Instant::now();
    let saved = spaser::contracts::save(&mut conn, OrganisationId(org), &reading.contracts)
        .await
        .unwrap();
    // As the upload does after a large import.
    spaser::contracts::tidy(&mut conn).await.unwrap();
    let save = saving.elapsed();
    println!(
        "  file of {} MB: read {} ({} contracts, {} errors), saved {} ({} saved) — import {} in all (target < 5 s)",
        json.len() / 1_000_000,
        ms(read),
        reading.contracts.len(),
        reading.errors.len(),
        ms(save),
        saved.saved,
        ms(read + save)
    );
    // The legal indicators page, for a signed-in member (a session made for the bench).
    let user: i64 = sqlx::query_scalar("INSERT INTO app_user (email, display_name) VALUES ('banc@exemple.fr', 'Banc') RETURNING id")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO membership (user_id, organisation_id, role) VALUES ($1, $2, 'committee')",
    )
    .bind(user)
    .bind(org)
    .execute(&mut *conn)
    .await
    .unwrap();
    let session = "b".repeat(64);
    sqlx::query("INSERT INTO user_session (id, user_id, csrf_token) VALUES ($1, $2, 'x')")
        .bind(&session)
        .bind(user)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let mut connection = Connection::open(address).await.unwrap();
    let request = get_request(
        address,
        "/organisations/banc/indicateurs-legaux?annee=2025&seuil=90000",
        Some(&session),
    );
    let mut times = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let (status, _) = connection.round_trip(&request).await.unwrap_or((0, 0));
        assert_eq!(status, 200, "the legal indicators page answers");
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "  legal indicators page over 50 000 contracts, 200 requests one after another: p50 {} p99 {} max {} (target < 50 ms)",
        ms(times[100]),
        ms(times[197]),
        ms(times[199])
    );
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::TRACE),
        )
        .with(QueryCounter(counter.clone()));
    tracing::subscriber::set_global_default(subscriber).expect("subscriber");

    // The database: DATABASE_URL's server, or a private cluster.
    let server = PgServer::open(args.database_url.as_deref(), "bench", Durability::Throwaway)
        .expect("PostgreSQL");
    let admin = server.admin();
    let name = format!("spaser_bench_{}", std::process::id());
    let pool = migrated_pool(&admin, &name, PgPoolOptions::new().max_connections(16))
        .await
        .expect("bench database");

    println!(
        "spaser bench — {} connections, {} s per measure",
        args.connections, args.seconds
    );
    println!(
        "generating plans of 10, 150 and 1 000 indicators over 6 years (2025–2030), values filled…"
    );
    let mut conn = pool.acquire().await.unwrap();
    let org: i64 = sqlx::query_scalar(
        "INSERT INTO organisation (slug, name, short_name) VALUES ('banc', 'Banc d''essai', 'Banc') RETURNING id",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    for size in [10usize, 150, 1000] {
        let header = PlanHeader {
            slug: format!("plan-{size}"),
            title: format!("Plan de {size} indicateurs"),
            first_year: 2025,
            last_year: 2030,
            adopted_on: None,
            objective_term: ObjectiveTerm::Objectif,
        };
        spaser::plans::store::insert_plan(
            &mut conn,
            OrganisationId(org),
            &header,
            &plan(size, 2025..=2030),
        )
        .await
        .unwrap();
    }
    sqlx::query("UPDATE plan SET published_at = now()")
        .execute(&mut *conn)
        .await
        .unwrap();
    // Every value validated, so that the public reads them all (as a published bilan would).
    sqlx::query(
        "INSERT INTO action_review (action_id, year, state) SELECT a.id, y, 'validated' FROM action a, generate_series(2025, 2030) y",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("CREATE TABLE fortune (id INTEGER PRIMARY KEY, message TEXT NOT NULL)")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO fortune SELECT n, 'Fortune numéro ' || n || ' : un achat responsable est un achat réfléchi.' FROM generate_series(1, 12) n",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);

    let floor_pool = pool.clone();
    let app = router(AppState::new(pool.clone())).route(
        "/floor",
        get(move || {
            let pool = floor_pool.clone();
            async move {
                let rows: Vec<(i32, String)> = sqlx::query_as("SELECT id, message FROM fortune")
                    .fetch_all(&pool)
                    .await
                    .unwrap_or_default();
                Html(Fortunes { fortunes: rows }.render().unwrap_or_default())
            }
        }),
    );
    let (address, _) = spaser::tools::serve(app).await.unwrap();
    // The same application without its page cache: every public page rendered afresh (no client
    // can ask for that: the cache ignores what clients send).
    let uncached = router(AppState {
        pages: std::sync::Arc::new(spaser::web::PageCache::with_capacity(0)),
        ..AppState::new(pool.clone())
    });
    let (uncached_address, _) = spaser::tools::serve(uncached).await.unwrap();

    println!();
    println!("SQL queries for one public bilan page (no session):");
    let mut counts = Vec::new();
    for size in [10usize, 150, 1000] {
        let path = format!("/public/banc/plan-{size}/bilan/2030");
        let mut connection = Connection::open(&address).await.unwrap();
        let request = get_request(&address, &path, None);
        // Warm the pool's connections first, so the count is the page's own.
        let _ = connection.round_trip(&request).await;
        let before = counter.load(Ordering::SeqCst);
        let (status, bytes) = connection.round_trip(&request).await.unwrap_or((0, 0));
        let cached = counter.load(Ordering::SeqCst) - before;
        // Rendered afresh, on the server without its page cache.
        let mut fresh = Connection::open(&uncached_address).await.unwrap();
        let request = get_request(&uncached_address, &path, None);
        let _ = fresh.round_trip(&request).await;
        let before = counter.load(Ordering::SeqCst);
        let _ = fresh.round_trip(&request).await;
        let rendered = counter.load(Ordering::SeqCst) - before;
        println!(
            "  {size:>5} indicators: {rendered} queries when rendered, {cached} when unchanged since (status {status}, {bytes} bytes)"
        );
        counts.push(rendered);
    }

    println!();
    println!(
        "load, {} connections, {} s each:",
        args.connections, args.seconds
    );
    let floor = load(&address, "/floor", args.seconds, args.connections).await;
    let bilan_path = "/public/banc/plan-150/bilan/2030";
    let bilan = load(&address, bilan_path, args.seconds, args.connections).await;
    let fresh = load(
        &uncached_address,
        bilan_path,
        args.seconds,
        args.connections,
    )
    .await;
    for (name, m) in [
        ("floor (12 rows)", &floor),
        ("bilan, 150 indicators", &bilan),
        ("bilan, rendered each time", &fresh),
    ] {
        println!(
            "  {name:<26} {:>8} requests  {:>9.1} req/s  p50 {:>9}  p99 {:>9}  errors {}",
            m.requests,
            m.per_second,
            ms(m.p50),
            ms(m.p99),
            m.errors
        );
    }
    let ratio = if floor.per_second > 0.0 {
        bilan.per_second / floor.per_second * 100.0
    } else {
        0.0
    };
    println!();
    println!("bilan throughput = {ratio:.1} % of the floor's (target ≥ 25 %)");
    println!("bilan p99 = {} (target ≤ 20 ms)", ms(bilan.p99));
    println!(
        "rendered each time (page cache off): {:.1} % of the floor's, p99 {}",
        if floor.per_second > 0.0 {
            fresh.per_second / floor.per_second * 100.0
        } else {
            0.0
        },
        ms(fresh.p99)
    );
    println!(
        "queries per bilan page: {} / {} / {} for 10 / 150 / 1 000 indicators (target: constant, ≤ 4)",
        counts[0], counts[1], counts[2]
    );

    decp_bench(&pool, &address, org).await;
    spaser::tools::decp_file::streamed_bench(args.database_url.as_deref(), &name);

    pool.close().await;
    let mut admin_conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(&admin)
        .await
        .ok();
    if let Some(conn) = admin_conn.as_mut() {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(conn)
            .await;
    }
    server.remove();
}
