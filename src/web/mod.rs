//! The web application: one flat route table, pages server-rendered with askama.

mod access;
mod account;
mod bilan;
mod cache;
mod contracts;
mod entry;
pub mod error;
pub mod form;
mod home;
mod import;
pub mod layout;
mod parts;
mod plans;
mod profile;
mod services;
pub mod session;
mod setup;
mod shared;
mod structure;
pub mod uploads;
mod users;
pub mod view;

use std::path::PathBuf;

use axum::Router;
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use sqlx::PgPool;

use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use cache::{Marks, PageCache, PageKey, PageKind};
use error::ErrorPage;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// Mark the session cookie `Secure` on every response (behind a TLS proxy that does not say
    /// so with `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// Public pages already rendered, by plan revision.
    pub pages: std::sync::Arc<PageCache>,
    /// Plans' structures, by structure revision: what a save checks its rights against.
    pub structures: std::sync::Arc<crate::plans::kept::KeptStructures>,
    /// The address people reach the application at, without a final `/`: links given to be
    /// sent (activation) are made with it, never with the request's `Host` header.
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`SPASER_TRUSTED_PROXIES`).
    pub trusted_proxies: std::sync::Arc<Vec<std::net::IpAddr>>,
    /// The key that signs visitors' CSRF tokens, read from the database when first needed.
    pub instance_key: std::sync::Arc<tokio::sync::OnceCell<[u8; 32]>>,
    /// Permits of the uploaded files being parsed ([`uploads::parse`]).
    pub parsers: std::sync::Arc<tokio::sync::Semaphore>,
    /// Notices by e-mail (`SPASER_SMTP_URL`); off by default.
    pub mailer: crate::mail::Mailer,
}

impl AppState {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            secure_cookies: false,
            pages: Default::default(),
            structures: Default::default(),
            public_url: "http://127.0.0.1:3000".into(),
            trusted_proxies: Default::default(),
            instance_key: Default::default(),
            parsers: uploads::parsers(),
            mailer: Default::default(),
        }
    }

    /// The key that signs visitors' CSRF tokens.
    pub async fn instance_key(&self) -> Result<&[u8; 32], sqlx::Error> {
        self.instance_key
            .get_or_try_init(|| async {
                crate::auth::instance_key(&mut *self.pool.acquire().await?).await
            })
            .await
    }
}

/// One route: its method and path, for the router and for the authorisation matrix test.
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn get_route<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> RouteDef {
    RouteDef {
        method: Method::GET,
        path,
        handler: get(handler),
    }
}

fn post_route<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> RouteDef {
    RouteDef {
        method: Method::POST,
        path,
        handler: post(handler),
    }
}

/// Every route of the application (static files aside).
pub fn routes() -> Vec<RouteDef> {
    let mut all = vec![get_route("/sante", health)];
    // Each feature's routes, in one list: the authorisation matrix test reads it.
    for feature in [
        home::routes,
        account::routes,
        plans::routes,
        entry::routes,
        bilan::routes,
        import::routes,
        contracts::routes,
        users::routes,
        profile::routes,
        structure::routes,
        services::routes,
        setup::routes,
        shared::routes,
    ] {
        all.extend(feature());
    }
    all
}

/// Where the CSS, fonts and icons are: `SPASER_STATIC_DIR`, else the crate's `static/`.
pub fn static_dir() -> PathBuf {
    std::env::var_os("SPASER_STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static")))
}

/// The whole application, as `main` serves it and the tests call it.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    for route in routes() {
        app = app.route(route.path, route.handler);
    }
    app.fallback(|| async { ErrorPage::response(StatusCode::NOT_FOUND) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::layer))
        .layer(axum::middleware::from_fn(error::log_errors))
        .layer(axum::extract::DefaultBodyLimit::max(session::MAX_BODY))
        // Revalidated at each use (answered 304 while unchanged), so a new stylesheet is seen
        // at once after an upgrade: the URLs carry no version.
        .nest_service(
            "/static",
            tower_http::set_header::SetResponseHeader::if_not_present(
                ServeDir::new(static_dir()),
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ),
        )
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| -> Response {
            tracing::error!("panique pendant une requête");
            ErrorPage::response(StatusCode::INTERNAL_SERVER_ERROR)
        }))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        // Pages compressed for the clients that accept it (a bilan is mostly repeated markup).
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(4)))
        .layer(
            // One line per request, with its status and duration.
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        uri = %loggable_uri(request.uri()),
                        version = ?request.version(),
                    )
                })
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
}

/// For load balancers and supervisors: 200 when the database answers, 503 otherwise.
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    use axum::response::IntoResponse;
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"statut":"ok","base":"ok"}"#,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "santé : base de données injoignable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"statut":"indisponible","base":"injoignable"}"#,
            )
                .into_response()
        }
    }
}

/// The request's address as the log shows it: secrets left out (an activation link's token,
/// a CSRF token in a query string).
pub(crate) fn loggable_uri(uri: &axum::http::Uri) -> String {
    let path = if uri.path().starts_with("/activation/") {
        "/activation/…"
    } else if uri.path().starts_with("/installation/") {
        "/installation/…"
    } else {
        uri.path()
    };
    let Some(query) = uri.query() else {
        return path.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name == session::CSRF_FIELD => format!("{name}=…"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn logged_addresses_carry_no_secret() {
        let log = |uri: &str| super::loggable_uri(&uri.parse().unwrap());
        assert_eq!(log("/activation/abcdef0123"), "/activation/…");
        assert_eq!(log("/installation/abcdef0123"), "/installation/…");
        assert_eq!(
            log("/organisations/o/import?_csrf=secret&x=1"),
            "/organisations/o/import?_csrf=…&x=1"
        );
        assert_eq!(
            log("/organisations/o/contrats?annee=2025"),
            "/organisations/o/contrats?annee=2025"
        );
    }
}
