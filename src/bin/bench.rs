//! Benchmark of the bilan page: generates plans of 10, 150 and 1 000 indicators over six years,
//! counts the SQL queries one bilan page runs for each, then loads the bilan of the 150-indicator
//! plan with 64 concurrent connections beside a floor handler (one query of 12 rows rendered by a
//! tiny askama template, the TechEmpower « Fortunes » shape), and prints throughput and latency.
//!
//! `cargo run --release --bin bench [-- --seconds 10 --connections 64]`; it uses `DATABASE_URL`
//! when set (creating a database `spaser_bench_<pid>` there), else a private cluster like the tests'.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use askama::Template;
use axum::response::Html;
use axum::routing::get;
use rust_decimal::Decimal;
use spaser::db::embedded::{Durability, EmbeddedPostgres};
use spaser::db::{MIGRATOR, ensure_database};
use spaser::domain::model::{
    ActionDraft, AxisDraft, Direction, IndicatorDraft, IndicatorKind, ObjectiveDraft,
    ObjectiveTerm, PlanDraft, PlanHeader, YearValue,
};
use spaser::web::{AppState, router};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
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

struct Args {
    seconds: u64,
    connections: usize,
}

fn args() -> Args {
    let mut args = Args {
        seconds: 10,
        connections: 64,
    };
    let list: Vec<String> = std::env::args().collect();
    for pair in list.windows(2) {
        match pair[0].as_str() {
            "--seconds" => args.seconds = pair[1].parse().unwrap_or(args.seconds),
            "--connections" => args.connections = pair[1].parse().unwrap_or(args.connections),
            _ => {}
        }
    }
    args
}

/// Reads one HTTP/1.1 response (head, then Content-Length bytes); returns its status and size.
async fn read_response(stream: &mut TcpStream, buffer: &mut [u8]) -> Option<(u16, usize)> {
    let mut head = Vec::new();
    let (status, length, mut have) = loop {
        let n = match stream.read(buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        head.extend_from_slice(&buffer[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&head[..end]).to_lowercase();
            let status: u16 = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            let length: usize = text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            break (status, length, head.len() - end - 4);
        }
    };
    while have < length {
        match stream.read(buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => have += n,
        }
    }
    Some((status, length))
}

/// One keep-alive connection sending GETs until the deadline; returns each request's latency.
async fn client(
    address: String,
    path: String,
    extra: &'static str,
    deadline: Instant,
    errors: Arc<AtomicUsize>,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        errors.fetch_add(1, Ordering::Relaxed);
        return latencies;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{extra}\r\n");
    let mut buffer = vec![0u8; 1 << 16];
    while Instant::now() < deadline {
        let start = Instant::now();
        if stream.write_all(request.as_bytes()).await.is_err() {
            errors.fetch_add(1, Ordering::Relaxed);
            break;
        }
        match read_response(&mut stream, &mut buffer).await {
            Some((200, _)) => latencies.push(start.elapsed()),
            Some(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
                latencies.push(start.elapsed());
            }
            None => {
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

async fn load(
    address: &str,
    path: &str,
    extra: &'static str,
    seconds: u64,
    connections: usize,
) -> Measure {
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(client(
                address.to_string(),
                path.to_string(),
                extra,
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
    let saved = spaser::contracts::save(&mut conn, org, &reading.contracts)
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
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut buffer = vec![0u8; 1 << 16];
    let mut times = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        stream
            .write_all(
                format!(
                    "GET /organisations/banc/indicateurs-legaux?annee=2025&seuil=90000 HTTP/1.1\r\nHost: {address}\r\nCookie: spaser_session={session}\r\n\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let (status, _) = read_response(&mut stream, &mut buffer)
            .await
            .unwrap_or((0, 0));
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
    let args = args();
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::TRACE),
        )
        .with(QueryCounter(counter.clone()));
    tracing::subscriber::set_global_default(subscriber).expect("subscriber");

    // The database: DATABASE_URL's server, or a private cluster.
    let mut cluster_dir = None;
    let (admin, cluster) = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => (
            PgConnectOptions::from_str(&url).expect("DATABASE_URL"),
            None,
        ),
        _ => {
            let dir = std::env::temp_dir().join(format!("spaser-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            let cluster =
                EmbeddedPostgres::start(&dir, Durability::Throwaway).expect("private cluster");
            cluster_dir = Some(dir);
            (cluster.connect_options("postgres"), Some(cluster))
        }
    };
    let name = format!("spaser_bench_{}", std::process::id());
    ensure_database(&admin, &name)
        .await
        .expect("bench database");
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(16)
        .connect_with(admin.clone().database(&name))
        .await
        .expect("connect");
    MIGRATOR.run(&pool).await.expect("migrations");

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
        spaser::plans::store::insert_plan(&mut conn, org, &header, &plan(size, 2025..=2030))
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    // The same application without its page cache: every public page rendered afresh (no client
    // can ask for that: the cache ignores what clients send).
    let uncached = router(AppState {
        pages: std::sync::Arc::new(spaser::web::PageCache::with_capacity(0)),
        ..AppState::new(pool.clone())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uncached_address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, uncached).await });

    println!();
    println!("SQL queries for one public bilan page (no session):");
    let mut counts = Vec::new();
    let mut buffer = vec![0u8; 1 << 16];
    for size in [10usize, 150, 1000] {
        let path = format!("/public/banc/plan-{size}/bilan/2030");
        let mut stream = TcpStream::connect(&address).await.unwrap();
        // Warm the pool's connections first, so the count is the page's own.
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        read_response(&mut stream, &mut buffer).await;
        let before = counter.load(Ordering::SeqCst);
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let (status, bytes) = read_response(&mut stream, &mut buffer)
            .await
            .unwrap_or((0, 0));
        let cached = counter.load(Ordering::SeqCst) - before;
        // Rendered afresh, on the server without its page cache.
        let mut fresh = TcpStream::connect(&uncached_address).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {uncached_address}\r\n\r\n");
        fresh.write_all(request.as_bytes()).await.unwrap();
        read_response(&mut fresh, &mut buffer).await;
        let before = counter.load(Ordering::SeqCst);
        fresh.write_all(request.as_bytes()).await.unwrap();
        read_response(&mut fresh, &mut buffer).await;
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
    let floor = load(&address, "/floor", "", args.seconds, args.connections).await;
    let bilan_path = "/public/banc/plan-150/bilan/2030";
    let bilan = load(&address, bilan_path, "", args.seconds, args.connections).await;
    let fresh = load(
        &uncached_address,
        bilan_path,
        "",
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

    pool.close().await;
    let mut admin_conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(&admin)
        .await
        .ok();
    if let Some(conn) = admin_conn.as_mut() {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(conn)
            .await;
    }
    if let Some(cluster) = cluster {
        let _ = cluster.stop();
    }
    if let Some(dir) = cluster_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
