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
    if decodes_to_nul(bytes) {
        return Err(refuse(&"caractère NUL"));
    }
    serde_html_form::from_bytes(bytes).map_err(|e| refuse(&e))
}

/// Whether url-decoding `bytes` gives a NUL character: only a NUL byte or `%00` does (the `%` of
/// `%00` cannot be one of another escape's two hex digits). Looked for in the bytes, so that a
/// form is decoded once (the entry page's whole-page save sends a thousand fields).
fn decodes_to_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0) || bytes.windows(3).any(|w| w == b"%00")
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every body of up to six bytes over an alphabet of escapes, separators, hex digits and a
    /// NUL: the bytes say NUL exactly when the decoded fields hold one.
    #[test]
    fn a_nul_is_found_in_the_bytes_exactly_when_decoding_gives_one() {
        const ALPHABET: &[u8] = b"%0a=&+\0";
        let mut body = Vec::new();
        let (mut checked, mut with_nul) = (0, 0);
        for len in 0..=6u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                body.clear();
                for _ in 0..len {
                    body.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                let pairs: Vec<(String, String)> =
                    serde_html_form::from_bytes(&body).expect("any bytes decode");
                let decoded = pairs
                    .iter()
                    .any(|(k, v)| k.contains('\0') || v.contains('\0'));
                assert_eq!(decodes_to_nul(&body), decoded, "{body:?}");
                checked += 1;
                with_nul += usize::from(decoded);
            }
        }
        assert_eq!(checked, (0..=6).map(|l| 7usize.pow(l)).sum::<usize>());
        assert!(with_nul > 1000, "{with_nul}");
    }
}
