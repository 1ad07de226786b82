//! Benchmark of the pages people use: generates plans of 10, 150 and 1 000 indicators over six
//! years, counts the SQL queries of the bilan and entry pages and of a save for each, then loads
//! with 64 concurrent connections, beside a floor handler (one query of 12 rows rendered by a tiny
//! askama template, the TechEmpower « Fortunes » shape), the public bilan, the committee's bilan,
//! the entry page and the whole-page save of the 150-indicator plan; then the first render after a
//! change, page weights and memory; then the DECP imports. It ends with a `summary:` line.
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
use tracing_subscriber::layer::SubscriberExt;

mod decp;
mod paths;

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
    /// Only the pages and the saves: leave out the DECP imports.
    #[arg(long)]
    pages_only: bool,
    /// Only one measure (to profile it): `saves` (without pause, then at one save a second,
    /// `--seconds` each), `saves-by-pace` (one save a second each, then ever faster, `--seconds`
    /// each), `first-render` (repeated for `--seconds`) or `member-bilan` (the committee's bilan
    /// under load, `--seconds`). No summary.
    #[arg(long)]
    only: Option<String>,
}

/// A GET kept alive on its connection.
fn get_request(address: &str, path: &str, cookie: Option<&str>) -> Vec<u8> {
    Request::get(path)
        .cookie(cookie)
        .keep_alive()
        .to_bytes(address)
}

/// The same request, asking for the answer compressed as a browser does.
fn accepting_compression(mut request: Vec<u8>) -> Vec<u8> {
    // Before the blank line that ends the head (a GET has no body).
    request.truncate(request.len() - 2);
    request.extend_from_slice(b"Accept-Encoding: gzip, deflate, br\r\n\r\n");
    request
}

/// One keep-alive connection sending GETs until the deadline; returns each request's latency.
async fn client(
    address: String,
    request: Vec<u8>,
    deadline: Instant,
    errors: Arc<AtomicUsize>,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let Ok(mut connection) = Connection::open(&address).await else {
        errors.fetch_add(1, Ordering::Relaxed);
        return latencies;
    };
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
    load_as(address, path, seconds, connections, &[], false).await
}

/// The committee's bilan under load, every connection signed in as the committee member.
async fn committee_load(address: &str, path: &str, args: &Args, people: &paths::People) -> Measure {
    let committee = std::slice::from_ref(&people.committee);
    load_as(
        address,
        path,
        args.seconds,
        args.connections,
        committee,
        false,
    )
    .await
}

/// [`load`], connection `n` signed in with the session `cookies[n % len]`, perhaps asking for
/// the pages compressed.
async fn load_as(
    address: &str,
    path: &str,
    seconds: u64,
    connections: usize,
    cookies: &[String],
    compressed: bool,
) -> Measure {
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|n| {
            let cookie = (!cookies.is_empty()).then(|| cookies[n % cookies.len()].as_str());
            let request = get_request(address, path, cookie);
            let request = if compressed {
                accepting_compression(request)
            } else {
                request
            };
            tokio::spawn(client(
                address.to_string(),
                request,
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
    // The application's pool (its checks of idle connections), with more connections.
    let pool = migrated_pool(
        &admin,
        &name,
        spaser::db::pool_options().max_connections(16),
    )
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
    let app = router(AppState::new(pool.clone()))
        .route(
            "/floor",
            get(move || {
                let pool = floor_pool.clone();
                async move {
                    let rows: Vec<(i32, String)> =
                        sqlx::query_as("SELECT id, message FROM fortune")
                            .fetch_all(&pool)
                            .await
                            .unwrap_or_default();
                    Html(Fortunes { fortunes: rows }.render().unwrap_or_default())
                }
            }),
        )
        // The server time of each request, for the measure of the first render after a change.
        .layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let start = Instant::now();
                let response = next.run(request).await;
                paths::LAST_SERVER_MICROS
                    .store(start.elapsed().as_micros() as u64, Ordering::SeqCst);
                response
            },
        ));
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

    let people = paths::people(&pool, org, args.connections).await;
    let plan_150: i64 = sqlx::query_scalar("SELECT id FROM plan WHERE slug = 'plan-150'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let member_bilan = "/organisations/banc/plans/plan-150/bilan/2030";
    let entry_page = "/organisations/banc/plans/plan-150/saisie/2030";
    if let Some(only) = &args.only {
        let until = Instant::now() + Duration::from_secs(args.seconds);
        match only.as_str() {
            "saves" => {
                let path = (plan_150, entry_page, 2030);
                for pace in [None, Some(Duration::from_secs(1))] {
                    println!(
                        "saves of the entry page 2030, {} people, pace {pace:?}:",
                        args.connections
                    );
                    let saves =
                        paths::saves(&pool, &address, path, &people.staff, args.seconds, pace)
                            .await;
                    print_saves(&saves);
                }
            }
            "saves-by-pace" => {
                // The same people saving ever faster: where the p99 of a save passes the goal's
                // 50 ms on this machine, in saves a second.
                let path = (plan_150, entry_page, 2030);
                for every_ms in [1000, 500, 250, 200, 160, 125] {
                    let pace = Duration::from_millis(every_ms);
                    let saves = paths::saves(
                        &pool,
                        &address,
                        path,
                        &people.staff,
                        args.seconds,
                        Some(pace),
                    )
                    .await;
                    println!(
                        "{} people, one save every {every_ms} ms each (offered {:.0}/s): {:.0} saves/s, p50 {} p99 {} (from when each was due); {} conflicts, {} errors, {} lost, {} stray",
                        args.connections,
                        args.connections as f64 * 1000.0 / every_ms as f64,
                        saves.sent as f64 / args.seconds as f64,
                        ms(saves.p50),
                        ms(saves.p99),
                        saves.conflicts,
                        saves.errors,
                        saves.lost,
                        saves.stray,
                    );
                }
            }
            "first-render" => {
                let path = "/organisations/banc/plans/plan-150/bilan/2030";
                while Instant::now() < until {
                    let t = paths::first_render(&pool, &address, plan_150, path, &people.committee)
                        .await;
                    println!("first render after a change, 150 indicators: {}", ms(t));
                }
            }
            "member-bilan" => {
                let m = committee_load(&address, member_bilan, &args, &people).await;
                println!(
                    "member bilan (committee): {} requests {:.1} req/s p50 {} p99 {} errors {}",
                    m.requests,
                    m.per_second,
                    ms(m.p50),
                    ms(m.p99),
                    m.errors
                );
            }
            other => {
                eprintln!("--only: unknown measure {other} (saves, first-render, member-bilan)")
            }
        }
        drop_database(pool, &admin, &name).await;
        server.remove();
        return;
    }
    println!();
    println!("SQL queries for one signed-in page (the session's own included):");
    for size in [10usize, 150, 1000] {
        let mut line = format!("  {size:>5} indicators:");
        for (what, path, cookie) in [
            (
                "member bilan",
                format!("/organisations/banc/plans/plan-{size}/bilan/2030"),
                &people.committee,
            ),
            (
                "entry page",
                format!("/organisations/banc/plans/plan-{size}/saisie/2030"),
                &people.staff[0],
            ),
        ] {
            let mut connection = Connection::open(&address).await.unwrap();
            let request = get_request(&address, &path, Some(cookie));
            let _ = connection.round_trip(&request).await;
            let before = counter.load(Ordering::SeqCst);
            let (status, _) = connection.round_trip(&request).await.unwrap_or((0, 0));
            let n = counter.load(Ordering::SeqCst) - before;
            line.push_str(&format!(" {what} {n} (status {status});"));
        }
        // A whole-page save changing one value (every field of the page sent).
        let path = format!("/organisations/banc/plans/plan-{size}/saisie/2029");
        let before = counter.load(Ordering::SeqCst);
        let status = paths::one_save(&address, &path, &people.staff[1]).await;
        let n = counter.load(Ordering::SeqCst) - before;
        println!("{line} entry page and its save {n} (save status {status})");
    }

    println!();
    println!(
        "load, {} connections, {} s each:",
        args.connections, args.seconds
    );
    let (seconds, connections) = (args.seconds, args.connections);
    let floor = load(&address, "/floor", seconds, connections).await;
    let bilan_path = "/public/banc/plan-150/bilan/2030";
    let bilan = load(&address, bilan_path, seconds, connections).await;
    let fresh = load(&uncached_address, bilan_path, seconds, connections).await;
    let committee = std::slice::from_ref(&people.committee);
    let member = committee_load(&address, member_bilan, &args, &people).await;
    let entry = load_as(
        &address,
        entry_page,
        seconds,
        connections,
        &people.staff,
        false,
    )
    .await;
    // As a browser asks for it: compressed.
    let member_compressed = load_as(
        &address,
        member_bilan,
        seconds,
        connections,
        committee,
        true,
    )
    .await;
    let entry_compressed = load_as(
        &address,
        entry_page,
        seconds,
        connections,
        &people.staff,
        true,
    )
    .await;
    let vs_floor = |m: &Measure| {
        if floor.per_second > 0.0 {
            m.per_second / floor.per_second * 100.0
        } else {
            0.0
        }
    };
    for (name, m) in [
        ("floor (12 rows)", &floor),
        ("public bilan, 150 indicators", &bilan),
        ("public bilan, page cache off", &fresh),
        ("member bilan (committee)", &member),
        ("entry page (procurement)", &entry),
        ("member bilan, gzip/br asked", &member_compressed),
        ("entry page, gzip/br asked", &entry_compressed),
    ] {
        println!(
            "  {name:<29} {:>7} requests {:>8.1} req/s ({:>5.1} % of the floor)  p50 {:>9}  p99 {:>9}  errors {}",
            m.requests,
            m.per_second,
            vs_floor(m),
            ms(m.p50),
            ms(m.p99),
            m.errors
        );
    }
    println!(
        "queries per public bilan page when rendered: {} / {} / {} for 10 / 150 / 1 000 indicators",
        counts[0], counts[1], counts[2]
    );

    println!();
    println!(
        "whole-page saves of the entry page 2030, {connections} people at once, each changing one indicator of their own, {seconds} s:"
    );
    let saves = paths::saves(
        &pool,
        &address,
        (plan_150, entry_page, 2030),
        &people.staff,
        seconds,
        None,
    )
    .await;
    print_saves(&saves);
    let (rss, peak) = paths::rss_mb();
    println!(
        "memory of the bench process (server and its clients) at the end of the load: RSS {rss:.1} MB, peak {peak:.1} MB"
    );
    println!(
        "the same {connections} people, each saving once a second (a busy day's pace), {seconds} s:"
    );
    let paced = paths::saves(
        &pool,
        &address,
        (plan_150, entry_page, 2030),
        &people.staff,
        seconds,
        Some(Duration::from_secs(1)),
    )
    .await;
    print_saves(&paced);

    println!();
    println!("first render after a change (server time, median of 50), member bilan 2030:");
    let mut cold = Vec::new();
    for size in [150usize, 1000] {
        let plan: i64 = sqlx::query_scalar("SELECT id FROM plan WHERE slug = $1")
            .bind(format!("plan-{size}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        let path = format!("/organisations/banc/plans/plan-{size}/bilan/2030");
        let t = paths::first_render(&pool, &address, plan, &path, &people.committee).await;
        println!("  {size:>5} indicators: {}", ms(t));
        cold.push(t);
    }
    println!();
    println!("page weights (uncompressed / on the wire to a client accepting gzip and br):");
    let mut bilan_150 = 0;
    for (name, path, cookie) in [
        (
            "member bilan, 150 indicators",
            member_bilan.to_string(),
            Some(people.committee.as_str()),
        ),
        (
            "member bilan, 1 000 indicators",
            "/organisations/banc/plans/plan-1000/bilan/2030".into(),
            Some(&people.committee),
        ),
        ("public bilan, 150 indicators", bilan_path.into(), None),
        (
            "entry page, 150 indicators",
            entry_page.into(),
            Some(&people.staff[0]),
        ),
    ] {
        let (plain, wire, encoding) = paths::weight(&address, &path, cookie).await;
        println!(
            "  {name:<31} {:>8.1} kB / {:>7.1} kB ({encoding})",
            plain as f64 / 1000.0,
            wire as f64 / 1000.0
        );
        if bilan_150 == 0 {
            bilan_150 = plain;
        }
    }

    if !args.pages_only {
        decp::decp_bench(&pool, &address, org).await;
        spaser::tools::decp_file::streamed_bench(args.database_url.as_deref(), &name);
    }
    println!();
    println!(
        "summary: public_bilan_vs_floor={:.1}% member_bilan_vs_floor={:.1}% member_bilan_p99_ms={:.1} entry_page_vs_floor={:.1}% entry_save_p99_ms={:.1} cold_bilan_150_ms={:.1} cold_bilan_1000_ms={:.1} bilan_150_kb={:.1} rss_mb={:.1}",
        vs_floor(&bilan),
        vs_floor(&member),
        member.p99.as_secs_f64() * 1000.0,
        vs_floor(&entry),
        saves.p99.as_secs_f64() * 1000.0,
        cold[0].as_secs_f64() * 1000.0,
        cold[1].as_secs_f64() * 1000.0,
        bilan_150 as f64 / 1000.0,
        rss
    );

    drop_database(pool, &admin, &name).await;
    server.remove();
}

/// The bench's database dropped once it is done.
async fn drop_database(pool: sqlx::PgPool, admin: &sqlx::postgres::PgConnectOptions, name: &str) {
    pool.close().await;
    let mut admin_conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(admin)
        .await
        .ok();
    if let Some(conn) = admin_conn.as_mut() {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(conn)
            .await;
    }
}

/// What a load of saves gave, and what was checked after it.
fn print_saves(saves: &paths::Saves) {
    println!(
        "  {} saves: {} acknowledged (303), {} conflicts (409), {} errors; p50 {} p99 {}",
        saves.sent,
        saves.acknowledged,
        saves.conflicts,
        saves.errors,
        ms(saves.p50),
        ms(saves.p99)
    );
    println!(
        "  acknowledged saves whose value is not stored or not in the history (lost): {}; history lines from no acknowledged save: {}",
        saves.lost, saves.stray
    );
}
