//! The first-run page of a fresh instance started without the demo: through the one-time address
//! the server prints (`/installation/{token}`), the first person creates the organisation and its
//! administrator, and is signed in. Any other use of the address answers « page non trouvée ».

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::AppError;
use super::form::Form;
use super::layout::Layout;
use super::session::Session;
use super::{AppState, RouteDef, get_route, post_route};
use crate::auth::{self, CreateUserError, NewUser};
use crate::domain::account::{Email, Role, check_new_password, parse_display_name};
use crate::domain::organisation::{OrganisationKind, parse_siren, parse_slug, propose_slug};
use crate::plans::profile::{self, NewOrganisation};
use crate::plans::read;

/// The longest names taken, as on the profile page.
const MAX_NAME: usize = 200;
const MAX_SHORT_NAME: usize = 80;

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    siren: String,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

#[derive(Debug, Default)]
pub struct SetupErrors {
    name: Option<String>,
    short_name: Option<String>,
    slug: Option<String>,
    kind: Option<String>,
    siren: Option<String>,
    admin_name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

impl SetupErrors {
    fn any(&self) -> bool {
        [
            &self.name,
            &self.short_name,
            &self.slug,
            &self.kind,
            &self.siren,
            &self.admin_name,
            &self.email,
            &self.password,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "setup/setup.html")]
pub struct SetupPage {
    pub layout: Layout,
    pub csrf: String,
    pub action: String,
    /// (code, label) of each kind of buyer.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub form: SetupForm,
    pub errors: SetupErrors,
}

fn setup_page(session: &Session, csrf: String, token: &str, form: SetupForm) -> SetupPage {
    SetupPage {
        layout: Layout::new(session),
        csrf,
        action: format!("/installation/{token}"),
        kinds: OrganisationKind::CODES
            .iter()
            .zip(OrganisationKind::ALL)
            .map(|(code, kind)| (*code, kind.label()))
            .collect(),
        form,
        errors: SetupErrors::default(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> Result<SetupPage, AppError> {
    if !auth::setup_token_valid(&mut *state.pool.acquire().await?, &token).await? {
        return Err(AppError::NotFound);
    }
    let csrf = session.ensure_csrf(&state).await?;
    Ok(setup_page(&session, csrf, &token, SetupForm::default()))
}

/// A name: trimmed, not empty, at most `max` characters.
fn name_field(value: &str, max: usize, what: &str) -> Result<String, String> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        Err(format!("Indiquez {what}."))
    } else if value.chars().count() > max {
        Err(format!("{max} caractères au plus."))
    } else {
        Ok(value)
    }
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    Form(mut form): Form<SetupForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    if !auth::setup_token_valid(&mut conn, &token).await? {
        return Err(AppError::NotFound);
    }
    let mut errors = SetupErrors::default();
    let name = name_field(&form.name, MAX_NAME, "le nom de l'organisation")
        .map_err(|e| errors.name = Some(e));
    let short_name = if form.short_name.trim().is_empty() {
        name.clone().map_err(|_| ())
    } else {
        name_field(&form.short_name, MAX_SHORT_NAME, "un nom court")
            .map_err(|e| errors.short_name = Some(e))
    };
    // The address, proposed from the name when left empty.
    if form.slug.trim().is_empty() {
        form.slug = propose_slug(&form.name);
    }
    let slug = parse_slug(&form.slug).map_err(|e| errors.slug = Some(capitalised(&e)));
    let kind = match form.kind.trim() {
        "" => Ok(None),
        code => OrganisationKind::parse(code)
            .map(Some)
            .ok_or_else(|| errors.kind = Some("Choisissez une nature dans la liste.".into())),
    };
    let siren = match form.siren.trim() {
        "" => Ok(None),
        s => parse_siren(s)
            .map(Some)
            .map_err(|e| errors.siren = Some(capitalised(&e))),
    };
    let admin_name =
        parse_display_name(&form.admin_name).map_err(|e| errors.admin_name = Some(e.into()));
    let email = Email::parse(&form.email).map_err(|e| errors.email = Some(e.into()));
    if let Err(e) = check_new_password(&form.password, &form.confirmation) {
        errors.password = Some(e.into());
    }
    // Passwords are never sent back in a page.
    let password = std::mem::take(&mut form.password);
    form.confirmation.clear();
    let (Ok(name), Ok(short_name), Ok(slug), Ok(kind), Ok(siren), Ok(admin_name), Ok(email), false) = (
        name,
        short_name,
        slug,
        kind,
        siren,
        admin_name,
        email,
        errors.any(),
    ) else {
        let mut page = setup_page(&session, session.csrf().unwrap_or_default(), &token, form);
        page.errors = errors;
        return Err(AppError::invalid(page));
    };
    let hash = auth::hash_password_async(&password).await;
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    // Spent first: of two people racing through the address, one gets past this line.
    if !auth::spend_setup_token(&mut tx, &token).await? {
        return Err(AppError::NotFound);
    }
    let organisation = NewOrganisation {
        slug: &slug,
        name: &name,
        short_name: &short_name,
        kind: kind.map(OrganisationKind::label),
        siren: siren.as_deref(),
    };
    if !profile::create_organisation(&mut tx, &organisation).await? {
        return Err(AppError::NotFound);
    }
    let organisation = read::organisation(&mut tx, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let user_id = match auth::create_user(
        &mut tx,
        &NewUser {
            email: email.as_str(),
            display_name: &admin_name,
            password_hash: Some(&hash),
            organisation_id: organisation.id,
            role: Role::Admin,
            services: &[],
        },
    )
    .await
    {
        Ok(created) => created.user_id(),
        Err(CreateUserError::Db(e)) => return Err(e.into()),
        // No account exists on a fresh instance: the transaction saw none.
        Err(_) => return Err(AppError::NotFound),
    };
    let user = auth::load_user(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    drop(conn);
    tracing::info!(organisation = %slug, "instance installée : organisation et administrateur créés");
    session.sign_in(&state.pool, user).await?;
    Ok(Redirect::to(&format!("/organisations/{slug}")).into_response())
}

fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The routes of this feature.
pub fn routes() -> Vec<RouteDef> {
    vec![
        get_route("/installation/{token}", show),
        post_route("/installation/{token}", create),
    ]
}
