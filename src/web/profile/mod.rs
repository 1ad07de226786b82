//! An organisation's profile (its names, kind, accent colour and logo) and the style sheet that
//! gives its pages their accent.

mod logo;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::access::admin_of;
use super::error::AppError;
use super::form::{Form, Query};
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::{AppState, RouteDef, get_route, post_route};
use crate::domain::colour::{Rgb, theme_css};
use crate::domain::format::quantity_fr;
use crate::domain::number::parse_fr;
use crate::domain::organisation::{parse_siren, spaser_compulsory, spaser_threshold};
use crate::plans::profile::{self, Identity};
use crate::plans::read::OrganisationRow;
use rust_decimal::Decimal;

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
    #[serde(default)]
    siren: String,
    #[serde(default)]
    purchases: String,
}

impl ProfileForm {
    fn of(organisation: &OrganisationRow, details: &profile::Details) -> Self {
        Self {
            deadline: details
                .entry_deadline
                .map(|d| d.to_string())
                .unwrap_or_default(),
            siren: details.siren.clone().unwrap_or_default(),
            purchases: details
                .yearly_purchases
                .map(|p| quantity_fr(p, None))
                .unwrap_or_default(),
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
    siren: Option<String>,
    purchases: Option<String>,
}

impl ProfileErrors {
    fn count(&self) -> usize {
        [
            &self.name,
            &self.short_name,
            &self.kind,
            &self.accent,
            &self.deadline,
            &self.siren,
            &self.purchases,
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
    /// The short name as stored, for the breadcrumb (the form may hold a refused one).
    pub stored_short_name: String,
    pub form: ProfileForm,
    pub errors: ProfileErrors,
    pub saved: bool,
    /// Whether the law asks this buyer for a SPASER, from its stored yearly purchases.
    pub obligation: Option<String>,
    /// Where the logo form is sent.
    pub logo_action: String,
    pub logo_error: Option<String>,
    pub logo_notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    enregistre: Option<String>,
    #[serde(default)]
    logo: Option<String>,
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
    let mut page = stored_page(&mut conn, &session, &access.organisation).await?;
    page.saved = query.enregistre.is_some();
    page.logo_notice = match query.logo.as_deref() {
        Some("retire") => Some("Logo retiré : les pages montrent de nouveau les initiales."),
        Some(_) => Some("Logo enregistré : il figure désormais en tête des pages."),
        None => None,
    };
    Ok(page)
}

/// The page with the profile as stored.
async fn stored_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    organisation: &OrganisationRow,
) -> Result<ProfilePage, AppError> {
    let details = profile::details(conn, organisation.id).await?;
    Ok(page(
        session,
        organisation,
        ProfileForm::of(organisation, &details),
        ProfileErrors::default(),
        false,
        details.yearly_purchases,
    ))
}

fn page(
    session: &Session,
    organisation: &OrganisationRow,
    form: ProfileForm,
    errors: ProfileErrors,
    saved: bool,
    purchases: Option<Decimal>,
) -> ProfilePage {
    let organisation_href = format!("/organisations/{}", organisation.slug);
    ProfilePage {
        layout: Layout::of(session, organisation),
        action: format!("{organisation_href}/profil"),
        organisation_href,
        stored_short_name: organisation.short_name.clone(),
        form,
        errors,
        saved,
        obligation: Some(obligation(purchases)),
        logo_action: format!("/organisations/{}/profil/logo", organisation.slug),
        logo_error: None,
        logo_notice: None,
    }
}

/// What the law asks of this buyer, in a sentence.
fn obligation(purchases: Option<Decimal>) -> String {
    let threshold = quantity_fr(spaser_threshold(), Some("€"));
    match purchases {
        Some(p) if spaser_compulsory(p) => format!(
            "Avec {} HT d'achats par an, le SPASER est obligatoire (au-delà de {threshold} HT, article D2111-3 du code de la commande publique).",
            quantity_fr(p, Some("€"))
        ),
        Some(p) => format!(
            "Avec {} HT d'achats par an, le SPASER n'est pas obligatoire (il l'est au-delà de {threshold} HT) ; l'adopter reste possible.",
            quantity_fr(p, Some("€"))
        ),
        None => "Indiquez le montant estimé des achats annuels pour savoir si le SPASER est obligatoire.".into(),
    }
}

/// A name: trimmed, not empty, not longer than `max` characters, and made of visible text
/// (no control character, no invisible or direction-changing mark).
fn name_field(value: &str, max: usize, what: &str) -> Result<String, String> {
    let value = value.trim();
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if value.chars().any(invisible) {
        Err("Retirez les caractères invisibles ou de contrôle (retour à la ligne, marque de direction…).".into())
    } else if value.is_empty() {
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
    if !kind.is_empty()
        && let Err(e) = name_field(kind, MAX_NAME, "la nature")
    {
        errors.kind = Some(e);
    }
    let accent = if form.accent.trim().is_empty() {
        Ok(None)
    } else {
        Rgb::parse_accent(&form.accent)
            .map(|c| Some(c.hex()))
            .map_err(|e| errors.accent = Some(e.to_string()))
    };
    let deadline = read_date(&form.deadline).map_err(|e| errors.deadline = Some(e));
    let siren = match form.siren.trim() {
        "" => Ok(None),
        s => parse_siren(s).map(Some).map_err(|e| errors.siren = Some(e)),
    };
    let purchases = read_amount(&form.purchases).map_err(|e| errors.purchases = Some(e));
    let (Ok(name), Ok(short_name), Ok(accent), Ok(deadline), Ok(siren), Ok(purchases), None) = (
        name,
        short_name,
        accent,
        deadline,
        siren,
        purchases,
        &errors.kind,
    ) else {
        let stored = profile::details(&mut conn, access.organisation.id).await?;
        return Err(AppError::invalid(page(
            &session,
            &access.organisation,
            form,
            errors,
            false,
            stored.yearly_purchases,
        )));
    };
    let identity = Identity {
        name: &name,
        short_name: &short_name,
        kind: (!kind.is_empty()).then_some(kind),
        accent_color: accent.as_deref(),
        entry_deadline: deadline,
        siren: siren.as_deref(),
        yearly_purchases: purchases,
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
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| {
            format!("« {text} » n'est pas une date : choisissez-la dans le calendrier, ou écrivez-la JJ/MM/AAAA (31/03/2027).")
        })?;
    if !(2000..=2100).contains(&date.year()) {
        return Err(format!(
            "« {text} » : indiquez une date entre l'an 2000 et l'an 2100."
        ));
    }
    Ok(Some(date))
}

/// An amount in € HT as people write it (« 62 000 000 », « 62 000 000 € »); empty is none.
fn read_amount(text: &str) -> Result<Option<Decimal>, String> {
    match parse_fr(text) {
        Ok(None) => Ok(None),
        Ok(Some(n)) if n.value >= Decimal::ZERO && n.unit.as_deref().is_none_or(|u| u == "€") => {
            Ok(Some(n.value))
        }
        Ok(Some(_)) => Err(format!(
            "« {} » : indiquez un montant positif en euros, par exemple 62 000 000.",
            text.trim()
        )),
        Err(e) => Err(e.to_string()),
    }
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
        post_route("/organisations/{organisation}/profil/logo", logo::upload),
        post_route(
            "/organisations/{organisation}/profil/logo/retirer",
            logo::remove,
        ),
        get_route("/organisations/{organisation}/logo/{hash}", logo::serve),
    ]
}
