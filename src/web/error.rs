//! The one error type of the web layer, rendered as a French error page.

use std::error::Error as StdError;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::layout::Layout;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What a handler can fail with. Internal causes go to the log, never to the page.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page introuvable")]
    NotFound,
    #[error("connexion requise")]
    SignInRequired { next: String },
    #[error("accès refusé")]
    Forbidden,
    /// The body is not the form the page sends.
    #[error("requête invalide")]
    BadRequest,
    /// The form is refused: the same page again, with the person's input and the messages
    /// beside the fields (422).
    #[error("formulaire refusé")]
    Invalid(Rendered),
    /// Someone changed what this person was changing: the page with both versions (409).
    #[error("modification concurrente")]
    Conflict(Rendered),
    #[error("base de données injoignable")]
    Unavailable(#[source] BoxError),
    #[error("erreur interne")]
    Internal(#[source] BoxError),
}

/// A page rendered for an [`AppError::Invalid`] or [`AppError::Conflict`].
pub struct Rendered(Box<Response>);

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rendered(..)")
    }
}

impl AppError {
    /// A refused form: `page` shows the input kept and what is wrong (422).
    pub fn invalid(page: impl IntoResponse) -> Self {
        AppError::Invalid(Rendered(Box::new(page.into_response())))
    }

    /// A conflict: `page` shows both versions (409).
    pub fn conflict(page: impl IntoResponse) -> Self {
        AppError::Conflict(Rendered(Box::new(page.into_response())))
    }
}

/// The cause of a failed request, left on its response for [`log_errors`] to write: errors are
/// logged in one place, with the request they belong to, not where they are turned into pages.
#[derive(Debug, Clone)]
struct Cause {
    unavailable: bool,
    chain: String,
}

/// The middleware that logs the causes of failed requests (5xx), inside the request's span.
pub async fn log_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    if let Some(cause) = response.extensions().get::<Cause>() {
        if cause.unavailable {
            tracing::warn!(error = %cause.chain, "base de données injoignable");
        } else {
            tracing::error!(error = %cause.chain, "requête en échec");
        }
    }
    response
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        // The database out of reach is not a bug: the user is told to come back shortly.
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                AppError::Unavailable(Box::new(e))
            }
            sqlx::Error::Database(ref d)
                if d.code()
                    .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
            {
                AppError::Unavailable(Box::new(e))
            }
            // A character PostgreSQL refuses in a text (NUL…), from any input a page did not
            // check: the request is refused, the server is not at fault.
            sqlx::Error::Database(ref d)
                if d.code().is_some_and(|c| c == "22021" || c == "22P05") =>
            {
                AppError::BadRequest
            }
            e => AppError::Internal(Box::new(e)),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(Box::new(e))
    }
}

/// An error and all its causes on one line.
pub fn cause_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(" : ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: &'static str,
    pub message: &'static str,
}

impl ErrorPage {
    pub fn for_status(status: StatusCode) -> Self {
        let (title, message) = match status {
            StatusCode::NOT_FOUND => (
                "Page non trouvée",
                "La page que vous cherchez est introuvable. Si vous avez saisi l'adresse, vérifiez \
                 qu'elle est correcte ; sinon, repartez de la page d'accueil.",
            ),
            StatusCode::FORBIDDEN => (
                "Accès refusé",
                "Vous n'avez pas les droits nécessaires pour cette action, ou le formulaire a expiré \
                 (par exemple après une déconnexion). Rechargez la page et recommencez.",
            ),
            StatusCode::BAD_REQUEST
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY => (
                "Requête invalide",
                "Le formulaire envoyé n'est pas celui de la page. Rechargez la page et recommencez.",
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "Service momentanément indisponible",
                "Le service est momentanément indisponible. Réessayez dans quelques instants.",
            ),
            _ => (
                "Erreur inattendue",
                "Désolé, le service rencontre un problème. Nous travaillons à le résoudre : \
                 réessayez dans quelques instants.",
            ),
        };
        Self {
            layout: Layout::default(),
            status: status.as_u16(),
            title,
            message,
        }
    }

    /// The page as a response with its status, for an anonymous visitor. The response is marked
    /// so that the session layer can render it again with the signed-in person's header
    /// ([`ErrorPage::for_session`]).
    pub fn response(status: StatusCode) -> Response {
        let mut response = Self::render_with(status, Layout::default());
        response.extensions_mut().insert(ErrorPageMarker(status));
        response
    }

    /// The page with this layout (the header of the person signed in).
    pub fn render_with(status: StatusCode, layout: Layout) -> Response {
        let page = Self {
            layout,
            ..Self::for_status(status)
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, page.title).into_response(),
        }
    }

    /// An error page rendered without the session, rendered again with it: same status, same
    /// headers (`Retry-After`…), the person's name and sign-out button in the header. Any other
    /// response is returned as it is.
    pub fn for_session(response: Response, layout: impl FnOnce() -> Option<Layout>) -> Response {
        let Some(ErrorPageMarker(status)) = response.extensions().get::<ErrorPageMarker>().copied()
        else {
            return response;
        };
        let Some(layout) = layout() else {
            return response;
        };
        let (mut parts, _) = response.into_parts();
        let (fresh, body) = Self::render_with(status, layout).into_parts();
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        if let Some(kind) = fresh.headers.get(axum::http::header::CONTENT_TYPE) {
            parts
                .headers
                .insert(axum::http::header::CONTENT_TYPE, kind.clone());
        }
        Response::from_parts(parts, body)
    }
}

/// The framework's own refusals (an address whose year is not a number, a method the route
/// does not take…) are plain English text: they become the French page of their status.
pub fn french_refusals(response: Response) -> Response {
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let framework = matches!(
        response.status(),
        StatusCode::BAD_REQUEST
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
    );
    if plain && framework {
        ErrorPage::response(response.status())
    } else {
        response
    }
}

/// Marks a response that is an error page rendered without the session.
#[derive(Debug, Clone, Copy)]
struct ErrorPageMarker(StatusCode);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => ErrorPage::response(StatusCode::NOT_FOUND),
            AppError::Forbidden => ErrorPage::response(StatusCode::FORBIDDEN),
            AppError::BadRequest => ErrorPage::response(StatusCode::BAD_REQUEST),
            AppError::SignInRequired { next } => {
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair("suite", &next)
                    .finish();
                Redirect::to(&format!("/connexion?{query}")).into_response()
            }
            AppError::Invalid(Rendered(page)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, *page).into_response()
            }
            AppError::Conflict(Rendered(page)) => (StatusCode::CONFLICT, *page).into_response(),
            AppError::Unavailable(cause) => {
                let mut response = ErrorPage::response(StatusCode::SERVICE_UNAVAILABLE);
                response.extensions_mut().insert(Cause {
                    unavailable: true,
                    chain: cause_chain(cause.as_ref()),
                });
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("5"),
                );
                response
            }
            AppError::Internal(cause) => {
                let mut response = ErrorPage::response(StatusCode::INTERNAL_SERVER_ERROR);
                response.extensions_mut().insert(Cause {
                    unavailable: false,
                    chain: cause_chain(cause.as_ref()),
                });
                response
            }
        }
    }
}
