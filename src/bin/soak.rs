//! Load and faults, as operators will meet them: concurrent connections for a while, mixing reads
//! of the plan and bilan pages with saves of values (several clients saving the same values at
//! once), and PostgreSQL stopped then started again in the middle of it. Prints throughput and
//! latency, what users got while the database was away, how soon the service recovered, and
//! whether any save was lost; exits with 1 when a check fails.
//!
//! `cargo run --release --bin soak [-- --seconds 60 --connections 64 --outage 3]`
//! (`--outage 0`: no restart). It runs on a private PostgreSQL cluster of its own (it has to stop
//! and start it), in a temporary directory removed at the end; the application is the real router
//! on the application's own pool settings, served on 127.0.0.1.

use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use spaser::db::embedded::Durability;
use spaser::tools::cluster::{PrivateCluster, migrated_pool};
use spaser::tools::http::{self, Request, Response, TIMEOUT, form_value};
use spaser::web::{AppState, router};

const PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const YEAR: i32 = 2025;

/// Load and faults on the demo: reads, concurrent saves, PostgreSQL restarted under load.
#[derive(Parser)]
struct Args {
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// How many clients at once.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// How long PostgreSQL stays stopped, a third of the way in (0: no outage), in seconds.
    #[arg(long, default_value_t = 3)]
    outage: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Op {
    Bilan,
    Plan,
    EntryPage,
    Save,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Bilan => "bilan 2025 (lecture)",
            Op::Plan => "plan (lecture)",
            Op::EntryPage => "page de saisie (lecture)",
            Op::Save => "enregistrement d'une valeur",
        }
    }
}

/// What came back: a status (and whether a 503 was the French page), or nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Status(u16),
    French503,
    NoAnswer,
}

struct Record {
    op: Op,
    start: Instant,
    end: Instant,
    outcome: Outcome,
    /// For a save: the value it sent (unique to that save).
    value: Option<String>,
}

async fn exchange(address: &str, request: Request<'_>) -> std::io::Result<Response> {
    http::exchange(address, &request, TIMEOUT).await
}

async fn sign_in(address: &str, email: &str) -> String {
    http::sign_in(address, email, spaser::demo::DEMO_PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("sign-in of {email}: {e}"))
}

struct Shared {
    address: String,
    readers: Vec<String>,
    writers: Vec<String>,
    indicators: Vec<i64>,
    deadline: Instant,
    next_value: AtomicUsize,
}

fn outcome_of(answer: &std::io::Result<Response>) -> Outcome {
    match answer {
        Ok(r) if r.status == 503 && r.body.contains("Service momentanément indisponible") => {
            Outcome::French503
        }
        Ok(r) => Outcome::Status(r.status),
        Err(_) => Outcome::NoAnswer,
    }
}

/// One simulated user: reads the bilan, reads the plan, saves a value, in turn, until the end.
async fn client(n: usize, shared: Arc<Shared>) -> Vec<Record> {
    let mut records = Vec::new();
    let reader = &shared.readers[n % shared.readers.len()];
    let writer = &shared.writers[n % shared.writers.len()];
    let bilan = format!("{PLAN}/bilan/{YEAR}");
    let entry = format!("{PLAN}/saisie/{YEAR}");
    let mut turn = n;
    while Instant::now() < shared.deadline {
        turn += 1;
        match turn % 10 {
            0..=3 => {
                let start = Instant::now();
                let answer =
                    exchange(&shared.address, Request::get(&bilan).cookie(Some(reader))).await;
                records.push(Record {
                    op: Op::Bilan,
                    start,
                    end: Instant::now(),
                    outcome: outcome_of(&answer),
                    value: None,
                });
            }
            4..=6 => {
                let start = Instant::now();
                let answer =
                    exchange(&shared.address, Request::get(PLAN).cookie(Some(reader))).await;
                records.push(Record {
                    op: Op::Plan,
                    start,
                    end: Instant::now(),
                    outcome: outcome_of(&answer),
                    value: None,
                });
            }
            _ => {
                // Read the entry page for the version, then save a value of one of a few
                // indicators: other clients save the same ones at the same time.
                let id = shared.indicators[turn % shared.indicators.len()];
                let start = Instant::now();
                let answer =
                    exchange(&shared.address, Request::get(&entry).cookie(Some(writer))).await;
                records.push(Record {
                    op: Op::EntryPage,
                    start,
                    end: Instant::now(),
                    outcome: outcome_of(&answer),
                    value: None,
                });
                let page = match answer {
                    Ok(r) if r.status == 200 => r.body,
                    _ => continue,
                };
                let version = form_value(&page, &format!("ver-{id}"))
                    .expect("the indicator's version on the entry page");
                let csrf = http::csrf_token(&page).expect("a CSRF token");
                let value =
                    (1_000_000 + shared.next_value.fetch_add(1, Ordering::SeqCst)).to_string();
                let form = form_urlencoded::Serializer::new(String::new())
                    .append_pair("_csrf", csrf)
                    .append_pair(&format!("ver-{id}"), version)
                    .append_pair(&format!("v-{id}"), &value)
                    .finish();
                let start = Instant::now();
                let save = Request::post_form(&entry, &form).cookie(Some(writer));
                let answer = exchange(&shared.address, save).await;
                records.push(Record {
                    op: Op::Save,
                    start,
                    end: Instant::now(),
                    outcome: outcome_of(&answer),
                    value: Some(value),
                });
            }
        }
    }
    records
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn outcome_label(outcome: Outcome) -> String {
    match outcome {
        Outcome::Status(s) => s.to_string(),
        Outcome::French503 => "503 (page française)".into(),
        Outcome::NoAnswer => "sans réponse".into(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut cluster = PrivateCluster::start("soak", Durability::Durable).expect("private cluster");
    let pool = migrated_pool(
        &cluster.connect_options("postgres"),
        "spaser",
        spaser::db::pool_options(),
    )
    .await
    .expect("database");
    {
        let mut conn = pool.acquire().await.unwrap();
        spaser::demo::load(&mut conn).await.expect("demo");
    }
    let indicators: Vec<i64> = sqlx::query_scalar(
        "SELECT i.id FROM indicator i JOIN plan p ON p.id = i.plan_id \
         WHERE p.slug = 'spaser-2025-2027' AND i.kind = 'quantitative' \
         AND i.unit IS DISTINCT FROM '%' ORDER BY i.id LIMIT 4",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    let (address, server) = spaser::tools::serve(router(AppState::new(pool.clone())))
        .await
        .expect("the application listens");

    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..4 {
        readers.push(sign_in(&address, "comite@office-habitat.demo").await);
        writers.push(sign_in(&address, "commande-publique@office-habitat.demo").await);
    }
    println!(
        "spaser soak — {} connections for {} s: bilan and plan pages read, values of {} indicators \
         saved by several clients at once{}",
        args.connections,
        args.seconds,
        indicators.len(),
        if args.outage > 0 {
            format!(
                "; PostgreSQL stopped at {} s for {} s",
                args.seconds / 3,
                args.outage
            )
        } else {
            String::new()
        }
    );

    let begun = Instant::now();
    let shared = Arc::new(Shared {
        address: address.clone(),
        readers,
        writers,
        indicators: indicators.clone(),
        deadline: begun + Duration::from_secs(args.seconds),
        next_value: AtomicUsize::new(0),
    });
    let clients: Vec<_> = (0..args.connections)
        .map(|n| tokio::spawn(client(n, shared.clone())))
        .collect();

    // The fault: PostgreSQL stopped (fast shutdown: sessions cut, open transactions rolled back)
    // while the load runs, then started again on the same data.
    let mut outage = None;
    if args.outage > 0 {
        tokio::time::sleep(Duration::from_secs(args.seconds / 3)).await;
        let stopping = Instant::now();
        cluster = tokio::task::spawn_blocking(move || {
            cluster.stop_server().expect("PostgreSQL stops");
            cluster
        })
        .await
        .unwrap();
        let down = Instant::now();
        tokio::time::sleep(Duration::from_secs(args.outage)).await;
        cluster = tokio::task::spawn_blocking(move || {
            cluster.start_server().expect("PostgreSQL starts again");
            cluster
        })
        .await
        .unwrap();
        let up = Instant::now();
        outage = Some((stopping, down, up));
    }

    let mut records = Vec::new();
    for c in clients {
        records.extend(c.await.unwrap());
    }
    let elapsed = begun.elapsed();
    let mut failures = Vec::new();

    // Throughput and latency, by kind of request.
    println!(
        "\n{} requests in {:.1} s: {:.0} requests/s",
        records.len(),
        elapsed.as_secs_f64(),
        records.len() as f64 / elapsed.as_secs_f64()
    );
    let end = begun + elapsed;
    let phases: Vec<(&str, Instant, Instant)> = match outage {
        Some((stopping, _, up)) => vec![
            ("before the outage", begun, stopping),
            (
                "from 5 s after the restart",
                up + Duration::from_secs(5),
                end,
            ),
        ],
        None => vec![("whole run", begun, end)],
    };
    for (name, from, to) in phases {
        let done: Vec<&Record> = records
            .iter()
            .filter(|r| r.start >= from && r.end <= to)
            .collect();
        let normal = done
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Status(s) if s < 500))
            .count();
        let seconds = (to - from).as_secs_f64();
        println!(
            "{name} ({seconds:.1} s): {:.0} requests/s answered normally ({normal} of {})",
            normal as f64 / seconds,
            done.len()
        );
    }
    let steady = |r: &Record| {
        outage.is_none_or(|(stopping, _, up)| {
            r.end < stopping || r.start > up + Duration::from_secs(5)
        })
    };
    let mut by_op: BTreeMap<Op, Vec<&Record>> = BTreeMap::new();
    for r in &records {
        by_op.entry(r.op).or_default().push(r);
    }
    println!(
        "{:<30} {:>8} {:>10} {:>10}   réponses",
        "requête", "nombre", "p50", "p99"
    );
    for (op, list) in &by_op {
        let mut latencies: Vec<Duration> = list
            .iter()
            .filter(|r| steady(r))
            .map(|r| r.end - r.start)
            .collect();
        latencies.sort();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in list {
            *counts.entry(outcome_label(r.outcome)).or_default() += 1;
        }
        let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} : {v}")).collect();
        println!(
            "{:<30} {:>8} {:>10} {:>10}   {}",
            op.label(),
            list.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            counts.join(", ")
        );
    }
    let mut all: Vec<Duration> = records
        .iter()
        .filter(|r| steady(r))
        .map(|r| r.end - r.start)
        .collect();
    all.sort();
    println!(
        "all requests outside the outage: p50 {}, p99 {}",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99))
    );

    // No 5xx but the French 503 while the database is away; nothing unanswered.
    let window = |r: &Record| {
        outage.is_some_and(|(stopping, _, up)| {
            r.end >= stopping && r.start <= up + Duration::from_secs(5)
        })
    };
    let bad_outside = records
        .iter()
        .filter(|r| !window(r))
        .filter(|r| !matches!(r.outcome, Outcome::Status(s) if s < 500))
        .count();
    let bad_inside = records
        .iter()
        .filter(|r| window(r))
        .filter(|r| {
            matches!(r.outcome, Outcome::NoAnswer)
                || matches!(r.outcome, Outcome::Status(s) if s >= 500)
        })
        .count();
    println!("5xx or no answer outside the outage: {bad_outside}");
    if bad_outside > 0 {
        failures.push(format!("{bad_outside} requests failed outside the outage"));
    }

    if let Some((stopping, down, up)) = outage {
        let during: Vec<&Record> = records
            .iter()
            .filter(|r| r.start >= down && r.start <= up)
            .collect();
        let french = during
            .iter()
            .filter(|r| r.outcome == Outcome::French503)
            .count();
        let slowest = during
            .iter()
            .map(|r| r.end - r.start)
            .max()
            .unwrap_or_default();
        println!(
            "\nPostgreSQL stopped in {} and down for {}: {} requests began while it was down, \
             {french} answered with the French 503 page, the slowest answer took {}",
            ms(down - stopping),
            ms(up - down),
            during.len(),
            ms(slowest)
        );
        println!(
            "around the outage (from the stop to 5 s after the start): {bad_inside} answers other \
             than the French 503 among the failures (500s or no answer)"
        );
        if bad_inside > 0 {
            failures.push(format!(
                "{bad_inside} requests around the outage got a 500 or no answer"
            ));
        }
        if slowest > Duration::from_secs(7) {
            failures.push(format!("a request hung {} during the outage", ms(slowest)));
        }
        let recovered = records
            .iter()
            .filter(|r| r.start >= up && matches!(r.outcome, Outcome::Status(s) if s < 500))
            .map(|r| r.end)
            .min();
        match recovered {
            Some(at) => {
                println!(
                    "service back {} after PostgreSQL came back (first request begun after the \
                     start and answered normally), with no restart of the application",
                    ms(at - up)
                );
                if at - up > Duration::from_secs(5) {
                    failures.push("the service took over 5 s to recover".into());
                }
            }
            None => failures.push("the service never recovered".into()),
        }
    }

    // Zero lost writes: every acknowledged save is in the history; every history entry is a
    // save that was acknowledged, or one whose answer never came; the stored value is the last.
    let saves: Vec<&Record> = records.iter().filter(|r| r.op == Op::Save).collect();
    let acknowledged: HashSet<&str> = saves
        .iter()
        .filter(|r| r.outcome == Outcome::Status(303))
        .filter_map(|r| r.value.as_deref())
        .collect();
    let conflicts = saves
        .iter()
        .filter(|r| r.outcome == Outcome::Status(409))
        .count();
    let refused = saves
        .iter()
        .filter(|r| r.outcome == Outcome::French503)
        .count();
    let unanswered: HashSet<&str> = saves
        .iter()
        .filter(|r| r.outcome == Outcome::NoAnswer)
        .filter_map(|r| r.value.as_deref())
        .collect();
    let history: Vec<(i64, String)> = sqlx::query_as(
        "SELECT indicator_id, after FROM change_log \
         WHERE indicator_id = ANY($1) AND year = $2 AND field = 'Valeur réalisée' ORDER BY id",
    )
    .bind(&indicators)
    .bind(YEAR)
    .fetch_all(&pool)
    .await
    .expect("history");
    let plain = |v: &str| {
        v.split('\u{A0}')
            .next()
            .unwrap_or_default()
            .replace('\u{202F}', "")
    };
    let logged: HashSet<String> = history.iter().map(|(_, v)| plain(v)).collect();
    let lost = acknowledged
        .iter()
        .filter(|v| !logged.contains(**v))
        .count();
    let unexplained = logged
        .iter()
        .filter(|v| !acknowledged.contains(v.as_str()) && !unanswered.contains(v.as_str()))
        .count();
    let mut half_written = 0;
    for &id in &indicators {
        let last = history
            .iter()
            .rev()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| plain(v));
        let stored: Option<rust_decimal::Decimal> = sqlx::query_scalar(
            "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = $2",
        )
        .bind(id)
        .bind(YEAR)
        .fetch_optional(&pool)
        .await
        .expect("stored value")
        .flatten();
        if last != stored.map(|d| d.to_string()) {
            half_written += 1;
        }
    }
    println!(
        "\nsaves: {} sent, {} acknowledged, {conflicts} answered with a conflict (409), {refused} \
         refused with the 503 page, {} without an answer",
        saves.len(),
        acknowledged.len(),
        unanswered.len()
    );
    println!(
        "history: {} entries; acknowledged saves missing from it (lost writes): {lost}; entries \
         from no acknowledged save: {unexplained}; indicators whose stored value differs from \
         their last history entry: {half_written}",
        history.len()
    );
    if lost > 0 {
        failures.push(format!("{lost} acknowledged saves are not in the history"));
    }
    if unexplained > 0 {
        failures.push(format!("{unexplained} history entries come from no save"));
    }
    if half_written > 0 {
        failures.push(format!("{half_written} indicators are half written"));
    }
    if acknowledged.is_empty() {
        failures.push("no save went through".into());
    }

    server.abort();
    pool.close().await;
    cluster.remove();
    if failures.is_empty() {
        println!("\nall checks passed");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("ÉCHEC : {f}");
        }
        ExitCode::FAILURE
    }
}
