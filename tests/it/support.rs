//! Test support: a real PostgreSQL, one fresh database per test, the real router.
//!
//! With `DATABASE_URL` set, databases are created on that server. Without it, the tests start a
//! private cluster of their own, the same way the application's embedded default does, in a
//! temporary directory that is removed when the test process exits.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use scraper::{Html, Selector};
use spaser::db::MIGRATOR;
use spaser::db::embedded::{Durability, EmbeddedPostgres};
use spaser::web::{AppState, router};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tower::ServiceExt;

struct Server {
    admin: PgConnectOptions,
    template: String,
    cluster: Option<(EmbeddedPostgres, PathBuf)>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

extern "C" fn stop_private_cluster() {
    if let Some(Server {
        cluster: Some((cluster, dir)),
        ..
    }) = SERVER.get()
    {
        let _ = cluster.stop();
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        // Its own thread and runtime: each test has a runtime of its own, and this set-up
        // outlives them all.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(start_server())
        })
        .join()
        .expect("test database server")
    })
}

async fn start_server() -> Server {
    let (admin, cluster) = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => (
            PgConnectOptions::from_str(&url).expect("DATABASE_URL"),
            None,
        ),
        _ => {
            let dir = std::env::temp_dir().join(format!("spaser-test-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            // Reachable by the `postgres` user, which runs the cluster when we are root.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            let cluster =
                EmbeddedPostgres::start(&dir, Durability::Throwaway).expect("private test cluster");
            // SAFETY: registering a plain extern "C" function with no captured state.
            unsafe { libc::atexit(stop_private_cluster) };
            (cluster.connect_options("postgres"), Some((cluster, dir)))
        }
    };
    let template = format!("spaser_tpl_{}", std::process::id());
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .expect("admin connection");
    sweep_leftovers(&mut conn).await;
    sqlx::query(&format!("CREATE DATABASE {template}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut tpl = PgConnection::connect_with(&admin.clone().database(&template))
        .await
        .unwrap();
    MIGRATOR.run(&mut tpl).await.expect("migrations");
    tpl.close().await.unwrap();
    Server {
        admin,
        template,
        cluster,
    }
}

/// Drops the databases of earlier test processes that are gone.
async fn sweep_leftovers(conn: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        r"SELECT datname FROM pg_database WHERE datname LIKE 'spaser\_t\_%' OR datname LIKE 'spaser\_tpl\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for name in names {
        let pid = name.split('_').nth(2).unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// A fresh, migrated, empty database.
pub async fn fresh_pool() -> PgPool {
    let server = server();
    let name = format!(
        "spaser_t_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = PgConnection::connect_with(&server.admin).await.unwrap();
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE {}",
        server.template
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    PgPoolOptions::new()
        .max_connections(4)
        .connect_with(server.admin.clone().database(&name))
        .await
        .unwrap()
}

/// A fresh database with the demo plans loaded.
pub async fn demo_pool() -> PgPool {
    let pool = fresh_pool().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.expect("demo loads");
    drop(conn);
    pool
}

pub fn app(pool: &PgPool) -> Router {
    router(AppState { pool: pool.clone() })
}

/// GETs a path through the real router; returns the status and the body.
pub async fn get(app: &Router, path: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The text of every element matching `selector`, whitespace (no-break spaces included)
/// collapsed to single spaces.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .map(|e| normalise(&e.text().collect::<String>()))
        .collect()
}

pub fn normalise(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{202F}' || c == '\u{00A0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
