//! Signing in and out, one's own account, and the activation link of an invited user.

use std::net::SocketAddr;

use crate::web::form::Form;
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use crate::auth::{self, FAILURE_WINDOW_MINUTES, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_EMAIL};
use crate::domain::account::check_new_password;
use crate::plans::read;

/// The network address of the client, for the sign-in rate limit: the connection's peer, or,
/// when that peer is a trusted reverse proxy (`SPASER_TRUSTED_PROXIES`), the right-most address of
/// `X-Forwarded-For` that is not one of the trusted proxies.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
                .collect::<Vec<_>>()
        };
        let client = match peer {
            Some(peer) if state.trusted_proxies.contains(&peer) => forwarded()
                .into_iter()
                .rev()
                .find(|a| !state.trusted_proxies.contains(a))
                .unwrap_or(peer),
            Some(peer) => peer,
            None => return Ok(ClientAddress("inconnue".into())),
        };
        Ok(ClientAddress(client.to_string()))
    }
}

/// Only paths of this site: never an open redirect. Browsers drop tabs and line breaks from a
/// URL and read `\\` as `/`, so a path is taken only when it is made of visible ASCII characters
/// other than `\\`, starts with one `/` and parses as a path (and query) alone; anything else
/// goes home.
pub(crate) fn local_path(suite: Option<&str>) -> String {
    let safe = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
            && p.parse::<axum::http::Uri>().is_ok_and(|uri| {
                uri.scheme().is_none()
                    && uri.authority().is_none()
                    && uri.path().starts_with('/')
                    && !uri.path().starts_with("//")
            })
    };
    match suite {
        Some(p) if safe(p) => p.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account/sign_in.html")]
pub struct SignInPage {
    pub layout: Layout,
    pub csrf: String,
    pub email: String,
    pub suite: String,
    pub error: Option<String>,
    pub max_per_email: i64,
    pub max_per_address: i64,
    pub window_minutes: i32,
}

impl SignInPage {
    fn new(
        layout: Layout,
        csrf: String,
        email: String,
        suite: String,
        error: Option<String>,
    ) -> Self {
        Self {
            layout,
            csrf,
            email,
            suite,
            error,
            max_per_email: MAX_FAILURES_PER_EMAIL,
            max_per_address: MAX_FAILURES_PER_ADDRESS,
            window_minutes: FAILURE_WINDOW_MINUTES,
        }
    }
}

#[derive(Deserialize)]
pub struct SuiteQuery {
    suite: Option<String>,
}

pub async fn sign_in_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<SuiteQuery>,
) -> Result<Response, AppError> {
    let suite = local_path(query.suite.as_deref());
    if session.user().is_some() {
        return Ok(Redirect::to(&suite).into_response());
    }
    let csrf = session.ensure_csrf(&state).await?;
    let layout = Layout::new(&session);
    Ok(SignInPage::new(layout, csrf, String::new(), suite, None).into_response())
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    suite: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let email = form.email.trim().to_lowercase();
    let suite = local_path(Some(&form.suite));
    let refuse = |status: StatusCode, message: String| -> Result<Response, AppError> {
        let csrf = session.csrf().unwrap_or_default();
        let page = SignInPage::new(
            Layout::new(&session),
            csrf,
            form.email.clone(),
            suite.clone(),
            Some(message),
        );
        Ok((status, page).into_response())
    };
    let mut conn = state.pool.acquire().await?;
    // The attempt takes its place before the password is checked: parallel attempts cannot get
    // more checks than the limit.
    if !auth::reserve_sign_in_attempt(&mut conn, &email, &address).await? {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Trop de tentatives de connexion : la connexion est suspendue pendant {FAILURE_WINDOW_MINUTES} minutes. \
                 Réessayez plus tard."
            ),
        );
    }
    let credentials = auth::credentials(&mut conn, &email).await?;
    let stored = credentials.as_ref().and_then(|(_, hash)| hash.clone());
    // The connection goes back to the pool while the password is checked (which may wait for
    // a place among the hashes under way).
    drop(conn);
    let valid = auth::verify_password_async(&form.password, stored).await;
    let mut conn = state.pool.acquire().await?;
    let user = match (valid, credentials) {
        (true, Some((id, _))) => auth::load_user(&mut conn, id).await?,
        _ => None,
    };
    let Some(user) = user else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Adresse e-mail ou mot de passe incorrect.".into(),
        );
    };
    auth::release_sign_in_attempt(&mut conn, &email, &address).await?;
    drop(conn);
    tracing::info!(user = user.id.get(), "connexion");
    session.sign_in(&state.pool, user).await?;
    Ok(Redirect::to(&suite).into_response())
}

pub async fn sign_out(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, AppError> {
    session.sign_out(&state.pool).await?;
    Ok(Redirect::to("/").into_response())
}

/// One line of « Mes organisations ».
pub struct MembershipLine {
    pub organisation: String,
    pub href: String,
    pub role: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub name: String,
    pub email: String,
    pub memberships: Vec<MembershipLine>,
    pub error: Option<String>,
    pub done: bool,
}

async fn account_page_for(
    state: &AppState,
    session: &Session,
    error: Option<String>,
    done: bool,
) -> Result<AccountPage, AppError> {
    let user = session.user().ok_or(AppError::Forbidden)?;
    let organisations = read::organisations(&mut *state.pool.acquire().await?).await?;
    let memberships = user
        .memberships
        .iter()
        .filter_map(|m| {
            let o = organisations.iter().find(|o| o.id == m.organisation_id)?;
            Some(MembershipLine {
                organisation: o.name.clone(),
                href: format!("/organisations/{}", o.slug),
                role: m.role.label(),
            })
        })
        .collect();
    Ok(AccountPage {
        layout: Layout::new(session),
        name: user.display_name.clone(),
        email: user.email.clone(),
        memberships,
        error,
        done,
    })
}

pub async fn account_page(
    State(state): State<AppState>,
    _user: CurrentUser,
    session: Session,
) -> Result<AccountPage, AppError> {
    account_page_for(&state, &session, None, false).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    if !auth::reserve_password_check(&mut conn, user.id).await? {
        drop(conn);
        let message = format!(
            "Trop de mots de passe actuels erronés : réessayez dans {FAILURE_WINDOW_MINUTES} minutes."
        );
        let page = account_page_for(&state, &session, Some(message), false).await?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    let stored = auth::password_hash_of(&mut conn, user.id).await?;
    let valid = auth::verify_password_async(&form.current, stored).await;
    if valid {
        auth::release_password_check(&mut conn, user.id).await?;
    }
    let problem = if !valid {
        Some("Le mot de passe actuel est incorrect.".to_string())
    } else {
        check_new_password(&form.password, &form.confirmation)
            .err()
            .map(str::to_string)
    };
    if let Some(message) = problem {
        drop(conn);
        let page = account_page_for(&state, &session, Some(message), false).await?;
        return Err(AppError::invalid(page));
    }
    auth::set_password(&mut conn, user.id, &form.password).await?;
    if let Some(id) = session.current_id() {
        auth::delete_other_sessions(&mut conn, user.id, &id).await?;
    }
    drop(conn);
    Ok(account_page_for(&state, &session, None, true)
        .await?
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "account/activation.html")]
pub struct ActivationPage {
    pub layout: Layout,
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub error: Option<String>,
}

pub async fn activation_form(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> Result<ActivationPage, AppError> {
    let (_, email) = auth::activation_user(&mut *state.pool.acquire().await?, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let csrf = session.ensure_csrf(&state).await?;
    Ok(ActivationPage {
        layout: Layout::new(&session),
        csrf,
        token,
        email,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ActivationForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

pub async fn activate(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    Form(form): Form<ActivationForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let (user_id, email) = auth::activation_user(&mut conn, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Err(message) = check_new_password(&form.password, &form.confirmation) {
        let page = ActivationPage {
            layout: Layout::new(&session),
            csrf: session.csrf().unwrap_or_default(),
            token,
            email,
            error: Some(message.to_string()),
        };
        return Err(AppError::invalid(page));
    }
    // The link is spent and the password written in one statement, only if the account still
    // has none: a link made for an account never sets the password of one already in use.
    let user_id = auth::activate(&mut conn, &token, &form.password)
        .await?
        .filter(|id| *id == user_id)
        .ok_or(AppError::NotFound)?;
    let user = auth::load_user(&mut conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    session.sign_in(&state.pool, user).await?;
    Ok(Redirect::to("/").into_response())
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::{get_route, post_route};
    vec![
        get_route("/connexion", sign_in_form),
        post_route("/connexion", sign_in),
        post_route("/deconnexion", sign_out),
        get_route("/compte", account_page),
        post_route("/compte/mot-de-passe", change_password),
        get_route("/activation/{token}", activation_form),
        post_route("/activation/{token}", activate),
    ]
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_same_origin_paths_are_followed() {
        for good in [
            "/",
            "/organisations/office-habitat",
            "/organisations/office-habitat/plans/p?annee=2025&x=%2F%2Fa",
            "/a//b",
            "/%09/evil.example",
        ] {
            assert_eq!(local_path(Some(good)), good, "{good:?}");
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/caf\u{e9}",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
