//! The web application: one flat route table, pages server-rendered with askama.

pub mod error;
mod pages;

use std::path::PathBuf;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use error::ErrorPage;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

/// Where the CSS, fonts and icons are: `SPASER_STATIC_DIR`, else the crate's `static/`.
pub fn static_dir() -> PathBuf {
    std::env::var_os("SPASER_STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static")))
}

/// The whole application, as `main` serves it and the tests call it.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/organisations/{organisation}", get(pages::organisation))
        .route("/organisations/{organisation}/plans/{plan}", get(pages::plan))
        .nest_service("/static", ServeDir::new(static_dir()))
        .fallback(|| async { ErrorPage::response(StatusCode::NOT_FOUND) })
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
        .layer(TraceLayer::new_for_http())
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
