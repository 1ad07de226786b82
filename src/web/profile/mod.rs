//! An organisation's profile (its names, kind and accent colour) and the style sheet that gives
//! its pages their accent.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::access::admin_of;
use super::error::AppError;
use super::form::{Form, Query};
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::{AppState, RouteDef, get_route, post_route};
use crate::domain::colour::{Rgb, theme_css};
use crate::plans::profile::{self, Identity};
use crate::plans::read::OrganisationRow;

/// The longest names the form takes.
const MAX_NAME: usize = 200;
const MAX_SHORT_NAME: usize = 80;

#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    accent: String,
    #[serde(default)]
    deadline: String,
}

impl ProfileForm {
    fn of(organisation: &OrganisationRow, deadline: Option<NaiveDate>) -> Self {
        Self {
            deadline: deadline.map(|d| d.to_string()).unwrap_or_default(),
            name: organisation.name.clone(),
            short_name: organisation.short_name.clone(),
            kind: organisation.kind.clone().unwrap_or_default(),
            accent: organisation
                .accent_color
                .as_deref()
                .map(|c| format!("#{c}"))
                .unwrap_or_default(),
        }
    }
}

/// A message beside each field the form refused.
#[derive(Debug, Default)]
pub struct ProfileErrors {
    name: Option<String>,
    short_name: Option<String>,
    kind: Option<String>,
    accent: Option<String>,
    deadline: Option<String>,
}

impl ProfileErrors {
    fn count(&self) -> usize {
        [
            &self.name,
            &self.short_name,
            &self.kind,
            &self.accent,
            &self.deadline,
        ]
        .iter()
        .filter(|e| e.is_some())
        .count()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "profile/profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub organisation_href: String,
    pub action: String,
    pub form: ProfileForm,
    pub errors: ProfileErrors,
    pub saved: bool,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    enregistre: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Result<ProfilePage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let deadline = profile::entry_deadline(&mut conn, access.organisation.id).await?;
    Ok(page(
        &session,
        &access.organisation,
        ProfileForm::of(&access.organisation, deadline),
        ProfileErrors::default(),
        query.enregistre.is_some(),
    ))
}

fn page(
    session: &Session,
    organisation: &OrganisationRow,
    form: ProfileForm,
    errors: ProfileErrors,
    saved: bool,
) -> ProfilePage {
    let organisation_href = format!("/organisations/{}", organisation.slug);
    ProfilePage {
        layout: Layout::of(session, organisation),
        action: format!("{organisation_href}/profil"),
        organisation_href,
        form,
        errors,
        saved,
    }
}

/// A name: trimmed, not empty, not longer than `max` characters.
fn name_field(value: &str, max: usize, what: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err(format!("Indiquez {what}."))
    } else if value.chars().count() > max {
        Err(format!("{max} caractères au plus."))
    } else {
        Ok(value.to_owned())
    }
}

pub async fn save(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let mut errors = ProfileErrors::default();
    let name = name_field(&form.name, MAX_NAME, "le nom de l'organisation")
        .map_err(|e| errors.name = Some(e));
    let short_name = name_field(&form.short_name, MAX_SHORT_NAME, "un nom court")
        .map_err(|e| errors.short_name = Some(e));
    let kind = form.kind.trim();
    if kind.chars().count() > MAX_NAME {
        errors.kind = Some(format!("{MAX_NAME} caractères au plus."));
    }
    let accent = if form.accent.trim().is_empty() {
        Ok(None)
    } else {
        Rgb::parse_accent(&form.accent)
            .map(|c| Some(c.hex()))
            .map_err(|e| errors.accent = Some(e.to_string()))
    };
    let deadline = read_date(&form.deadline).map_err(|e| errors.deadline = Some(e));
    let (Ok(name), Ok(short_name), Ok(accent), Ok(deadline), None) =
        (name, short_name, accent, deadline, &errors.kind)
    else {
        return Err(AppError::invalid(page(
            &session,
            &access.organisation,
            form,
            errors,
            false,
        )));
    };
    let identity = Identity {
        name: &name,
        short_name: &short_name,
        kind: (!kind.is_empty()).then_some(kind),
        accent_color: accent.as_deref(),
        entry_deadline: deadline,
    };
    profile::update_identity(&mut conn, access.organisation.id, &identity).await?;
    tracing::info!(
        organisation = access.organisation.id.get(),
        "profil enregistré"
    );
    Ok(Redirect::to(&format!("/organisations/{slug}/profil?enregistre=1")).into_response())
}

/// A date as the browser's date field sends it (2027-03-31) or as people write it (31/03/2027);
/// empty is none.
fn read_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| {
            format!(
                "« {text} » n'est pas une date : écrivez-la JJ/MM/AAAA, par exemple 31/03/2027."
            )
        })
}

/// `/theme/0f5e6b.css`: the accent and its tint. The address holds the colour, so the sheet
/// never changes and may be kept by browsers; a colour that fails the contrast rule is not served.
pub async fn theme(Path(file): Path<String>) -> Result<Response, AppError> {
    let hex = file.strip_suffix(".css").ok_or(AppError::NotFound)?;
    if hex.len() != 6 || hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(AppError::NotFound);
    }
    let accent = Rgb::parse_accent(hex).map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        theme_css(accent),
    )
        .into_response())
}

/// The routes of this feature.
pub fn routes() -> Vec<RouteDef> {
    vec![
        get_route("/theme/{file}", theme),
        get_route("/organisations/{organisation}/profil", show),
        post_route("/organisations/{organisation}/profil", save),
    ]
}
