//! Typed forms: a POST body deserialised into a struct of the handler's (repeated fields into a
//! `Vec`, actions into enums). A body that is not the form the page sends answers « requête
//! invalide » (400), never a panic or a silent default.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// A url-encoded form, deserialised with `serde_html_form`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The session layer has already read the body (within its limit) to check the token.
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| AppError::BadRequest)?;
        decode(&bytes).map(Form)
    }
}

/// A query string, deserialised like a form.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        decode(parts.uri.query().unwrap_or_default().as_bytes()).map(Query)
    }
}

/// Deserialises url-encoded fields; a value holding a NUL character (which no page sends and
/// PostgreSQL refuses in a text) is refused like any body that is not the page's form.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let refuse = |e: &dyn std::fmt::Display| {
        tracing::info!(error = %e, "formulaire illisible");
        AppError::BadRequest
    };
    let pairs: Vec<(String, String)> =
        serde_html_form::from_bytes(bytes).map_err(|e| refuse(&e))?;
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(refuse(&"caractère NUL"));
    }
    serde_html_form::from_bytes(bytes).map_err(|e| refuse(&e))
}

/// Every field of a form whose names are made from ids (the entry page, an import's
/// corrections): by name, the last value of each (a name sent twice is not an error).
#[derive(Debug, Default)]
pub struct Fields(std::collections::HashMap<String, String>);

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = serde::Deserialize::deserialize(deserializer)?;
        Ok(Fields(pairs.into_iter().collect()))
    }
}

impl std::ops::Deref for Fields {
    type Target = std::collections::HashMap<String, String>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
