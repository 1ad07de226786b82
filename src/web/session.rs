//! Sessions and CSRF: a middleware that loads the session named by the cookie, refuses every
//! state-changing request whose CSRF token does not match the session's, and sets or clears the
//! cookie after the handler ran.
//!
//! A visitor who is not signed in has no session row: the forms they may post (sign-in,
//! activation) carry a token signed with the instance's key over a random nonce that the same
//! cookie holds (`v` followed by the nonce), so that nothing is stored for anonymous visits.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use super::AppState;
use super::error::{AppError, ErrorPage};
use super::layout::Layout;
use crate::auth::{self, SessionRow, SharedUser};
use crate::plans::read::PlanHead;

pub const COOKIE: &str = "spaser_session";
/// Largest request body read when looking for the CSRF field: a signed-in person's upload (plan
/// or contract file)…
pub const MAX_BODY: usize = 12 * 1024 * 1024;
/// …any other form of a signed-in person (the entry page of a large plan)…
pub const MAX_FORM_BODY: usize = 2 * 1024 * 1024;
/// …and a visitor's (sign-in, activation).
pub const MAX_VISITOR_BODY: usize = 64 * 1024;

/// How much of a request body the middleware may hold before the CSRF token is checked: only a
/// signed-in person may send a large body, and only to the two upload forms.
fn body_limit(path: &str, signed_in: bool) -> usize {
    let upload = path
        .strip_prefix("/organisations/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, page)| page == "import" || page == "contrats");
    match (signed_in, upload) {
        (false, _) => MAX_VISITOR_BODY,
        (true, true) => MAX_BODY,
        (true, false) => MAX_FORM_BODY,
    }
}
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

#[derive(Debug, Default)]
struct State_ {
    row: Option<SessionRow>,
    user: Option<SharedUser>,
    /// A visitor without a session: the nonce of their cookie and the token signed over it.
    visitor_token: Option<String>,
    /// A form token was handed out in this response: it must not be kept by any cache.
    token_shown: bool,
    /// What to tell the browser after the response: a new cookie, or to forget it.
    cookie: Option<Option<String>>,
    /// The head of the plan the address names, read with the session.
    plan: Option<PlanHead>,
}

/// What the session cookie holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CookieValue {
    /// The id of a stored session.
    Session(String),
    /// A visitor's nonce, for their form tokens.
    Visitor(String),
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The form token of a visitor: the instance key's MAC of their nonce, hex-encoded.
fn visitor_token(key: &[u8; 32], nonce: &str) -> String {
    use blake2::digest::Mac;
    let mut mac = blake2::Blake2bMac::<blake2::digest::consts::U32>::new_from_slice(key)
        .expect("a 32-byte key fits BLAKE2b");
    mac.update(b"spaser visitor csrf\0");
    mac.update(nonce.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two tokens in a time that does not depend on where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The request's session, shared between the middleware and the handler.
#[derive(Debug, Clone, Default)]
pub struct Session(Arc<Mutex<State_>>);

impl Session {
    fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn user(&self) -> Option<SharedUser> {
        self.lock().user.clone()
    }

    /// The CSRF token of the session, or of the visitor, when there is one.
    pub fn csrf(&self) -> Option<String> {
        let state = self.lock();
        state
            .row
            .as_ref()
            .map(|r| r.csrf_token.clone())
            .or_else(|| state.visitor_token.clone())
    }

    fn id(&self) -> Option<String> {
        self.lock().row.as_ref().map(|r| r.id.clone())
    }

    /// The CSRF token for a form; a visitor without one gets a nonce in their cookie and the
    /// token signed over it (nothing is stored).
    pub async fn ensure_csrf(&self, app: &AppState) -> Result<String, AppError> {
        if let Some(token) = self.csrf() {
            self.lock().token_shown = true;
            return Ok(token);
        }
        let key = app.instance_key().await?;
        let nonce = auth::random_token();
        let token = visitor_token(key, &nonce);
        let mut state = self.lock();
        state.cookie = Some(Some(format!("v{nonce}")));
        state.visitor_token = Some(token.clone());
        state.token_shown = true;
        Ok(token)
    }

    /// Signs the user in on a new session id; the old session, anonymous or not, is dropped.
    pub async fn sign_in(&self, pool: &PgPool, user: auth::User) -> Result<(), AppError> {
        let mut conn = pool.acquire().await?;
        if let Some(old) = self.id() {
            auth::delete_session(&mut conn, &old).await?;
        }
        let row = auth::create_session(&mut conn, Some(user.id)).await?;
        let mut state = self.lock();
        state.cookie = Some(Some(row.id.clone()));
        state.row = Some(row);
        state.visitor_token = None;
        state.user = Some(Arc::new(user));
        Ok(())
    }

    pub async fn sign_out(&self, pool: &PgPool) -> Result<(), AppError> {
        if let Some(old) = self.id() {
            auth::delete_session(&mut *pool.acquire().await?, &old).await?;
        }
        let mut state = self.lock();
        state.row = None;
        state.user = None;
        state.visitor_token = None;
        state.cookie = Some(None);
        Ok(())
    }

    /// The head of this plan when it was read with the session (the plan the address names),
    /// taken: a handler reads it once, as it would have read it itself.
    fn take_plan(&self, organisation: &str, plan: &str) -> Option<PlanHead> {
        let mut state = self.lock();
        let matches = state
            .plan
            .as_ref()
            .is_some_and(|h| h.organisation.slug == organisation && h.slug == plan);
        if matches { state.plan.take() } else { None }
    }

    /// The head of a plan: the one read with the session when the address names it (no
    /// statement), else read now.
    pub async fn plan_head(
        &self,
        pool: &PgPool,
        organisation: &str,
        plan: &str,
    ) -> Result<Option<PlanHead>, sqlx::Error> {
        match self.take_plan(organisation, plan) {
            Some(head) => Ok(Some(head)),
            None => {
                crate::plans::read::plan_head(&mut *pool.acquire().await?, organisation, plan).await
            }
        }
    }

    /// The session's id, for keeping it when the user's other sessions are dropped.
    pub fn current_id(&self) -> Option<String> {
        self.id()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Session>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The signed-in user; anyone else is sent to the sign-in page.
pub struct CurrentUser(pub SharedUser);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        match session.user() {
            Some(user) => Ok(CurrentUser(user)),
            None => Err(AppError::SignInRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/".into(), |p| p.to_string()),
            }),
        }
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<CookieValue> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)?;
    match value.strip_prefix('v') {
        Some(nonce) if is_token(nonce) => Some(CookieValue::Visitor(nonce.to_string())),
        _ if is_token(value) => Some(CookieValue::Session(value.to_string())),
        _ => None,
    }
}

/// The organisation's and the plan's slugs of an address `/organisations/{org}/plans/{plan}/…`.
fn plan_slugs(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/organisations/")?;
    let (organisation, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("plans/")?;
    let plan = rest.split('/').next()?;
    (!organisation.is_empty() && !plan.is_empty()).then_some((organisation, plan))
}

fn is_tls(headers: &HeaderMap, state: &AppState) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The middleware.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match handle(&state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn handle(state: &AppState, request: Request, next: Next) -> Result<Response, Response> {
    let internal = |e: sqlx::Error| AppError::from(e).into_response();
    let session = Session::default();
    let cookie = session_cookie(request.headers());
    if let Some(CookieValue::Visitor(nonce)) = &cookie {
        let key = state.instance_key().await.map_err(internal)?;
        session.lock().visitor_token = Some(visitor_token(key, nonce));
    }
    if let Some(CookieValue::Session(id)) = cookie {
        let mut conn = state.pool.acquire().await.map_err(internal)?;
        // The session, its user, their memberships and the head of the plan the address names:
        // one statement.
        let plan = plan_slugs(request.uri().path());
        if let Some(start) = auth::session_and_user(&mut conn, &id, plan)
            .await
            .map_err(internal)?
        {
            let mut kept = session.lock();
            kept.user = start.user.map(Arc::new);
            kept.row = Some(start.session);
            kept.plan = start.plan;
        } else {
            // Unknown or expired: forget it.
            session.lock().cookie = Some(None);
        }
    }
    let secure = is_tls(request.headers(), state);

    let mut request = if is_safe(request.method()) {
        request
    } else {
        let (parts, body) = request.into_parts();
        if session.csrf().is_none() {
            // No session and no visitor token: no token can match; the body is not read.
            tracing::warn!(path = %super::loggable_uri(&parts.uri), "requête sans session : refusée");
            return Err(ErrorPage::render_with(
                StatusCode::FORBIDDEN,
                Layout::new(&session),
            ));
        }
        let limit = body_limit(parts.uri.path(), session.user().is_some());
        let bytes = to_bytes(body, limit).await.map_err(|_| {
            let message = if limit >= 1024 * 1024 {
                format!(
                    "Requête trop volumineuse ({} Mo au plus).",
                    limit / (1024 * 1024)
                )
            } else {
                format!("Requête trop volumineuse ({} Ko au plus).", limit / 1024)
            };
            (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
        })?;
        let sent = csrf_sent(&parts, &bytes).await;
        let matches = match (sent, session.csrf()) {
            (Some(sent), Some(expected)) => same_token(&sent, &expected),
            _ => false,
        };
        if !matches {
            tracing::warn!(path = %super::loggable_uri(&parts.uri), "jeton CSRF absent ou faux : requête refusée");
            return Err(ErrorPage::render_with(
                StatusCode::FORBIDDEN,
                Layout::new(&session),
            ));
        }
        Request::from_parts(parts, Body::from(bytes))
    };
    request.extensions_mut().insert(session.clone());
    let signed_in_before = session.user().is_some();
    let response = next.run(request).await;
    // Error pages are rendered without the session; a signed-in person gets theirs with their
    // own header.
    let response = super::error::french_refusals(response);
    let mut response = ErrorPage::for_session(response, || {
        session.user().is_some().then(|| Layout::new(&session))
    });

    // Pages for a signed-in person, and any page holding a form token, are kept by no cache;
    // behind TLS, browsers are told to come back over TLS only.
    let private = session.user().is_some() || session.lock().token_shown || signed_in_before;
    // A file whose address names its content (a theme, a logo) holds nothing of the person's:
    // it keeps the long cache its handler gave it.
    let immutable = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public") && v.contains("immutable"));
    if private && !immutable {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    if secure {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }

    if let Some(change) = session.lock().cookie.take() {
        let secure = if secure { "; Secure" } else { "" };
        let value = match change {
            Some(id) => format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"),
            None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
        };
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The token the request carries: the `X-CSRF-Token` header, or the `_csrf` field of a
/// url-encoded or multipart form. Never the address: it would be written in logs and browser
/// history, and kept by the page that answers.
async fn csrf_sent(parts: &Parts, body: &Bytes) -> Option<String> {
    if let Some(v) = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.to_string());
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        // Only the token is looked for here, before any handler runs.
        #[allow(clippy::disallowed_methods)]
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
    }
    let boundary = multer::parse_boundary(content_type).ok()?;
    // The body is already in memory (at most MAX_BODY): the parts before the token are
    // skipped, not kept.
    let mut form = multer::Multipart::new(Body::from(body.clone()).into_data_stream(), boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_an_address_names() {
        assert_eq!(
            plan_slugs("/organisations/gosb/plans/spaser-2024/bilan/2025"),
            Some(("gosb", "spaser-2024"))
        );
        assert_eq!(
            plan_slugs("/organisations/gosb/plans/spaser-2024"),
            Some(("gosb", "spaser-2024"))
        );
        assert_eq!(plan_slugs("/organisations/gosb/plans/"), None);
        assert_eq!(plan_slugs("/organisations/gosb/import"), None);
        assert_eq!(plan_slugs("/public/gosb/spaser-2024/bilan/2025"), None);
    }

    #[test]
    fn only_members_uploads_may_be_large() {
        assert_eq!(body_limit("/organisations/o/import", true), MAX_BODY);
        assert_eq!(body_limit("/organisations/o/contrats", true), MAX_BODY);
        assert_eq!(
            body_limit("/organisations/o/import", false),
            MAX_VISITOR_BODY
        );
        assert_eq!(body_limit("/connexion", false), MAX_VISITOR_BODY);
        assert_eq!(
            body_limit("/organisations/o/plans/p/saisie/2025", true),
            MAX_FORM_BODY
        );
        assert_eq!(
            body_limit("/organisations/o/plans/import", true),
            MAX_FORM_BODY
        );
    }
}
