//! The organisation's logo: uploaded on the profile page (PNG or SVG, checked off the async
//! runtime by `domain::logo`), removed, and served at an address that names its hash.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::super::AppState;
use super::super::access::admin_of;
use super::super::error::AppError;
use super::super::session::{CurrentUser, Session};
use super::super::uploads::{self, Busy};
use crate::domain::logo::{self, read_logo};
use crate::plans::organisation_log::log;
use crate::plans::profile;

/// The form's file field.
const FIELD: &str = "logo";

/// Reads the file field, holding at most one byte past the limit: a larger file is known to be
/// too large without being kept.
async fn file_of(multipart: &mut Multipart) -> Result<Option<Bytes>, String> {
    let unreadable = || "Le fichier n'a pas pu être reçu en entier : réessayez.".to_string();
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if field.name() != Some(FIELD) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
            let room = logo::MAX_BYTES + 1 - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() > logo::MAX_BYTES {
                return Err(format!(
                    "Le logo dépasse {} Ko : {} Ko au plus pour une image PNG, {} Ko pour une image SVG.",
                    logo::MAX_BYTES / 1024,
                    logo::PNG_MAX_BYTES / 1024,
                    logo::SVG_MAX_BYTES / 1024
                ));
            }
        }
        return Ok(Some(bytes.into()));
    }
    Ok(None)
}

pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let refuse = async |conn: &mut sqlx::PgConnection, message: String| {
        let mut page = super::stored_page(conn, &session, &access.organisation).await?;
        page.logo_error = Some(message);
        Err(AppError::invalid(page))
    };
    // The form is read once the person is known to be allowed to send it.
    let Ok(mut multipart) = Multipart::from_request(request, &state).await else {
        return refuse(
            &mut conn,
            "Le formulaire envoyé est illisible : choisissez le fichier du logo et recommencez."
                .into(),
        )
        .await;
    };
    let bytes = match file_of(&mut multipart).await {
        Ok(Some(bytes)) if !bytes.is_empty() => bytes,
        Ok(_) => {
            return refuse(
                &mut conn,
                "Choisissez le fichier du logo (PNG ou SVG).".into(),
            )
            .await;
        }
        Err(message) => return refuse(&mut conn, message).await,
    };
    let checked = match uploads::parse(&state, move || read_logo(&bytes)).await? {
        Ok(checked) => checked,
        Err(Busy) => {
            let mut page = super::stored_page(&mut conn, &session, &access.organisation).await?;
            page.logo_error = Some(Busy::MESSAGE.into());
            return Ok(Busy::response(page));
        }
    };
    let logo = match checked {
        Ok(logo) => logo,
        Err(message) => return refuse(&mut conn, message).await,
    };
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    profile::set_logo(&mut tx, access.organisation.id, &logo).await?;
    let what = format!(
        "{} ({} Ko)",
        if logo.mime == "image/png" {
            "PNG"
        } else {
            "SVG"
        },
        logo.content.len().div_ceil(1024)
    );
    log(
        &mut tx,
        access.organisation.id,
        user.id,
        "Logo changé",
        None,
        Some(&what),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/organisations/{slug}/profil?logo=1")).into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    if profile::remove_logo(&mut tx, access.organisation.id).await? {
        log(
            &mut tx,
            access.organisation.id,
            user.id,
            "Logo retiré",
            None,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/organisations/{slug}/profil?logo=retire")).into_response())
}

/// `/organisations/{slug}/logo/{hash}`: the logo, for anyone (public pages show it). The address
/// changes with the logo, so it is kept a year; it is an image only: no style sheet, script or
/// request of its own may run from it.
pub async fn serve(
    State(state): State<AppState>,
    Path((slug, hash)): Path<(String, String)>,
) -> Result<Response, AppError> {
    if hash.len() != 32
        || !hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.acquire().await?;
    let logo = profile::logo(&mut conn, &slug, &hash)
        .await?
        .ok_or(AppError::NotFound)?;
    let content_type = match logo.mime.as_str() {
        "image/png" => "image/png",
        _ => "image/svg+xml",
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        logo.content,
    )
        .into_response())
}
