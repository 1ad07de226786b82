//! Uploaded files are parsed off the async runtime, a few at a time: a parse is CPU work that
//! would otherwise hold a runtime thread (and every request queued behind it), and each one in
//! flight holds its file and what it unpacks to in memory.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::AppState;
use super::error::AppError;

/// Files parsed at the same time, at most, by one server.
pub const PARALLEL_PARSES: usize = 2;

/// The permits of the parses in flight.
pub fn parsers() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(PARALLEL_PARSES))
}

/// Every permit was taken: the user is told to come back in a moment.
#[derive(Debug)]
pub struct Busy;

impl Busy {
    pub const MESSAGE: &str = "Le serveur analyse déjà deux fichiers envoyés (c'est sa limite) : \
                               réessayez dans quelques secondes.";

    /// The upload page, showing [`Busy::MESSAGE`] with the user's input kept: 503 and
    /// `Retry-After`.
    pub fn response(page: impl IntoResponse) -> Response {
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, page).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }
}

/// Runs `work` on a blocking thread once a permit is free, or answers [`Busy`] at once. The
/// permit goes with the work: a client that gives up does not free it before the parse ends.
pub async fn parse<T, F>(state: &AppState, work: F) -> Result<Result<T, Busy>, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let Ok(permit) = state.parsers.clone().try_acquire_owned() else {
        return Ok(Err(Busy));
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = work();
        drop(permit);
        outcome
    })
    .await
    .map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok(Ok(outcome))
}
