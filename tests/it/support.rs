//! Test support: a real PostgreSQL, one fresh database per test, the real router.
//!
//! With `DATABASE_URL` set, databases are created on that server. Without it, the tests start a
//! private cluster of their own, the same way the application's embedded default does, in a
//! temporary directory that is removed when the test process exits.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use scraper::{Html, Selector};
use spaser::db::MIGRATOR;
use spaser::db::embedded::Durability;
use spaser::tools::cluster::PgServer;
use spaser::web::{AppState, router};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tower::ServiceExt;

struct Server {
    admin: PgConnectOptions,
    /// How the `spaser` binary reaches a test database: a URL without the database name.
    url_base: String,
    template: String,
    postgres: PgServer,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

extern "C" fn stop_private_cluster() {
    if let Some(server) = SERVER.get() {
        server.postgres.remove();
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
    let url = std::env::var("DATABASE_URL").ok();
    let postgres = PgServer::open(url.as_deref(), "test", Durability::Throwaway)
        .expect("the test database server");
    let url_base = match &postgres {
        PgServer::Url(_) => {
            let url = url.unwrap_or_default();
            let before_query = url.split_once('?').map_or(url.as_str(), |(b, _)| b);
            let base = before_query
                .rsplit_once('/')
                .map_or(before_query, |(b, _)| b);
            format!("{base}/{{db}}")
        }
        PgServer::Private(cluster) => {
            // SAFETY: registering a plain extern "C" function with no captured state.
            unsafe { libc::atexit(stop_private_cluster) };
            format!(
                "postgres://postgres@localhost/{{db}}?host={}&port=5432",
                cluster.pgdata().display()
            )
        }
    };
    let admin = postgres.admin();
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
        url_base,
        template,
        postgres,
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
    fresh_database().await.0
}

/// A fresh, migrated, empty database, and the URL by which the binary reaches it.
pub async fn fresh_database() -> (PgPool, String) {
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
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(server.admin.clone().database(&name))
        .await
        .unwrap();
    (pool, server.url_base.replace("{db}", &name))
}

/// A fresh database with the demo plans loaded.
pub async fn demo_pool() -> PgPool {
    let pool = fresh_pool().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.expect("demo loads");
    drop(conn);
    pool
}

/// The office's demo plan (`spaser-2025-2027`) published: its pages readable by anyone.
pub async fn publish_office(pool: &PgPool) {
    sqlx::query("UPDATE plan SET published_at = now() WHERE slug = 'spaser-2025-2027'")
        .execute(pool)
        .await
        .unwrap();
}

pub fn app(pool: &PgPool) -> Router {
    router(AppState {
        public_url: PUBLIC_URL.into(),
        ..AppState::new(pool.clone())
    })
}

/// The password of the demo accounts.
pub const DEMO_PASSWORD: &str = spaser::demo::DEMO_PASSWORD;

/// The address the test application says it is reached at (`SPASER_PUBLIC_URL`); requests
/// carry another `Host`.
pub const PUBLIC_URL: &str = "https://spaser.exemple.fr";

/// A response, read.
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn texts(&self, selector: &str) -> Vec<String> {
        texts(&self.body, selector)
    }

    /// The values of one attribute of the elements `selector` finds, in order.
    pub fn attrs(&self, selector: &str, attribute: &str) -> Vec<String> {
        let document = Html::parse_document(&self.body);
        let selector = Selector::parse(selector).unwrap();
        document
            .select(&selector)
            .filter_map(|e| e.value().attr(attribute).map(str::to_string))
            .collect()
    }
}

/// A browser of sorts: keeps the session cookie and the last CSRF token a page gave it.
#[derive(Clone)]
pub struct Client {
    app: Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    /// Extra header sent with every request.
    pub forwarded_https: bool,
    /// The client's network address, as the server would see it (for the sign-in limits).
    pub address: Option<std::net::SocketAddr>,
    /// An `X-Forwarded-For` header sent with every request.
    pub forwarded_for: Option<String>,
}

impl Client {
    pub fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookie: None,
            csrf: None,
            forwarded_https: false,
            address: None,
            forwarded_for: None,
        }
    }

    /// The same browser (cookie and token) talking to another server.
    pub fn with_app(mut self, app: &Router) -> Self {
        self.app = app.clone();
        self
    }

    /// Signs in through the sign-in form.
    pub async fn signed_in(app: &Router, email: &str) -> Self {
        let mut client = Self::new(app);
        let page = client.sign_in(email, DEMO_PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{email} signs in: {}",
            page.body
        );
        // The signed-in session's own token, from the sign-out form of any page.
        client.get("/").await;
        client
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/connexion").await;
        self.post("/connexion", &[("email", email), ("password", password)])
            .await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    /// GETs a page asking for it encoded (`Accept-Encoding`): (status, headers, bytes as sent).
    pub async fn get_encoded(
        &mut self,
        path: &str,
        accept_encoding: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let request = self
            .request("GET", path)
            .header("accept-encoding", accept_encoding)
            .body(Body::empty())
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// GETs a file: (status, bytes, content type).
    pub async fn get_bytes(&mut self, path: &str) -> (StatusCode, Vec<u8>, String) {
        let request = self.request("GET", path).body(Body::empty()).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec(), content_type)
    }

    /// Posts a form with the current CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts a raw body with its content type.
    pub async fn post_bytes(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let request = self
            .request("POST", path)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Posts exactly these fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .request("POST", path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "spaser.test");
        if let Some(cookie) = &self.cookie {
            builder = builder.header("cookie", format!("spaser_session={cookie}"));
        }
        if self.forwarded_https {
            builder = builder.header("x-forwarded-proto", "https");
        }
        if let Some(forwarded) = &self.forwarded_for {
            builder = builder.header("x-forwarded-for", forwarded);
        }
        builder
    }

    async fn send(&mut self, mut request: Request<Body>) -> Page {
        if let Some(address) = self.address {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(address));
        }
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie") {
            let value = value.to_str().unwrap();
            if let Some(rest) = value.strip_prefix("spaser_session=") {
                let id = rest.split(';').next().unwrap_or_default();
                self.cookie = if id.is_empty() || value.contains("Max-Age=0") {
                    None
                } else {
                    Some(id.to_string())
                };
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let document = Html::parse_document(&body);
        let csrf = Selector::parse("input[name='_csrf']").unwrap();
        if let Some(token) = document
            .select(&csrf)
            .next()
            .and_then(|e| e.value().attr("value"))
            .filter(|t| !t.is_empty())
        {
            self.csrf = Some(token.to_string());
        }
        Page {
            status,
            headers,
            body,
        }
    }
}

/// GETs a path through the real router, anonymously; returns the status and the body.
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
    // Text nodes joined by a space, so that table cells and inline elements read apart.
    document
        .select(&selector)
        .map(|e| normalise(&e.text().collect::<Vec<_>>().join(" ")))
        .collect()
}

pub fn normalise(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{202F}' || c == '\u{00A0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id of the (first) indicator of an office action, by its number.
pub async fn indicator(pool: &PgPool, action: &str) -> String {
    sqlx::query_scalar::<_, i64>(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = $1 ORDER BY i.position LIMIT 1",
    )
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap()
    .to_string()
}

/// The id of an office action, by its number.
pub async fn action_id(pool: &PgPool, action: &str) -> String {
    sqlx::query_scalar::<_, i64>("SELECT id FROM action WHERE code = $1")
        .bind(action)
        .fetch_one(pool)
        .await
        .unwrap()
        .to_string()
}

/// An indicator's stored actual value for 2025, as plain digits.
pub async fn actual(pool: &PgPool, indicator: &str) -> Option<String> {
    sqlx::query_scalar::<_, Option<rust_decimal::Decimal>>(
        "SELECT value FROM indicator_actual WHERE indicator_id = $1::bigint AND year = 2025",
    )
    .bind(indicator)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
    .map(|d| d.normalize().to_string())
}

/// The `value` of the form field with this name, as the page gives it.
pub fn field_value(page: &Page, name: &str) -> Option<String> {
    let document = Html::parse_document(&page.body);
    let selector = Selector::parse(&format!("[name='{name}']")).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
}
