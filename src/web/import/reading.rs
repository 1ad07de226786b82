//! Uploading a plan file: the form, the bounded reading, the draft kept for the preview.

use crate::domain::ids::PlanId;
use crate::domain::model::{ObjectiveTerm, PlanHeader};
use crate::import::{self, Payload, ReadOptions};
use crate::plans::read;
use crate::web::AppState;
use crate::web::access::{OrgAccess, admin_of};
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};
use crate::web::uploads::{self, Busy};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template, WebTemplate)]
#[template(path = "import/upload.html")]
pub struct UploadPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub action: String,
    pub plans: Vec<(String, String)>,
    pub chosen_plan: String,
    pub title: String,
    pub first_year: String,
    pub last_year: String,
    pub adopted_on: String,
    pub template_href: String,
    /// Said after a cancelled preview.
    pub notice: Option<String>,
    pub error: Option<String>,
}

pub(super) async fn upload_page(
    state: &AppState,
    session: &Session,
    access: &OrgAccess,
) -> Result<UploadPage, AppError> {
    let plans = read::plan_summaries(
        &mut *state.pool.acquire().await?,
        Some(access.organisation.id),
    )
    .await?;
    Ok(UploadPage {
        layout: Layout::of(session, &access.organisation),
        organisation: access.organisation.short_name.clone(),
        organisation_href: format!("/organisations/{}", access.organisation.slug),
        action: format!("/organisations/{}/import", access.organisation.slug),
        plans: plans
            .iter()
            .map(|p| {
                (
                    p.slug.clone(),
                    format!("{} ({}–{})", p.title, p.first_year, p.last_year),
                )
            })
            .collect(),
        chosen_plan: String::new(),
        title: String::new(),
        first_year: String::new(),
        last_year: String::new(),
        adopted_on: String::new(),
        template_href: format!(
            "/organisations/{}/import/modele.xlsx",
            access.organisation.slug
        ),
        notice: None,
        error: None,
    })
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    annule: Option<String>,
}

pub async fn upload_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Query(query): Query<UploadQuery>,
) -> Result<UploadPage, AppError> {
    let access = admin_of(&mut *state.pool.acquire().await?, &user, &organisation).await?;
    let mut page = upload_page(&state, &session, &access).await?;
    if query.annule.is_some() {
        page.notice = Some("Import annulé : rien n'a été enregistré.".into());
    }
    Ok(page)
}

pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let mut page = upload_page(&state, &session, &access).await?;
    // The form is read once the user is known to be allowed to send it.
    let Ok(mut multipart) = Multipart::from_request(request, &state).await else {
        page.error = Some(
            "Le formulaire envoyé est illisible : choisissez le fichier et recommencez.".into(),
        );
        return Err(AppError::invalid(page));
    };
    let mut file: Option<(String, Bytes)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        if name == "fichier" {
            let file_name = field.file_name().unwrap_or("fichier").to_string();
            match field.bytes().await {
                Ok(bytes) => file = Some((file_name, bytes)),
                Err(_) => {
                    page.error =
                        Some("Le fichier n'a pas pu être reçu en entier : réessayez.".into());
                    return Err(AppError::invalid(page));
                }
            }
        } else {
            let value = field.text().await.unwrap_or_default();
            match name.as_str() {
                "plan" => page.chosen_plan = value,
                "titre" => page.title = value.trim().to_string(),
                "premiere_annee" => page.first_year = value.trim().to_string(),
                "derniere_annee" => page.last_year = value.trim().to_string(),
                "date_adoption" => page.adopted_on = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let refuse = |mut page: UploadPage, message: String| {
        page.error = Some(message);
        Err(AppError::invalid(page))
    };
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refuse(
            page,
            "Choisissez un fichier à importer (le fichier envoyé est vide).".into(),
        );
    };
    let adopted_on = if page.adopted_on.is_empty() {
        None
    } else {
        match chrono::NaiveDate::parse_from_str(&page.adopted_on, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                return refuse(
                    page,
                    "La date d'adoption est illisible : choisissez-la dans le calendrier (par exemple 16/09/2025).".into(),
                );
            }
        }
    };
    // The plan to update, or what the form says of the new plan.
    let target = if page.chosen_plan.is_empty() {
        if page.title.is_empty() || page.title.chars().count() > 200 {
            return refuse(
                page,
                "Donnez au plan un titre (200 caractères au plus).".into(),
            );
        }
        Target::New {
            title: page.title.clone(),
            first_year: page.first_year.clone(),
            last_year: page.last_year.clone(),
            adopted_on,
        }
    } else {
        let Some(existing) =
            read::plan_head(&mut conn, &access.organisation.slug, &page.chosen_plan).await?
        else {
            return Err(AppError::NotFound);
        };
        Target::Existing(
            existing.id,
            PlanHeader {
                slug: existing.slug,
                title: existing.title,
                first_year: existing.first_year,
                last_year: existing.last_year,
                adopted_on: existing.adopted_on,
                objective_term: existing.objective_term,
            },
        )
    };
    let plan_id = match &target {
        Target::Existing(id, _) => Some(*id),
        Target::New { .. } => None,
    };
    let remembered = remembered_mapping(&mut conn, &access).await?;
    // The file is read off the runtime, within the import's limits.
    let name = file_name.clone();
    let file = bytes.clone();
    let reading = uploads::parse(&state, move || {
        read_upload(&file, &name, target, &ReadOptions::default(), &remembered)
    })
    .await?;
    let (years, payload) = match reading {
        Ok(reading) => reading,
        Err(Busy) => {
            page.error = Some(Busy::MESSAGE.into());
            return Ok(Busy::response(page));
        }
    };
    if let Some((first, last)) = years {
        page.first_year = first.to_string();
        page.last_year = last.to_string();
    }
    let payload = match payload {
        Ok(p) => p,
        Err(message) => return refuse(page, message),
    };
    let json = serde_json::to_value(&payload).map_err(|e| AppError::Internal(Box::new(e)))?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO import_draft (organisation_id, created_by, file_name, plan_id, payload, file)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"#,
        access.organisation.id.get(),
        user.id.get(),
        file_name,
        plan_id.map(PlanId::get),
        json,
        &bytes[..]
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/import/{id}",
        access.organisation.slug
    ))
    .into_response())
}

/// What an upload imports into: a plan of the organisation, or a new plan as the form
/// describes it (its years may be left to the file).
pub(super) enum Target {
    Existing(PlanId, PlanHeader),
    New {
        title: String,
        first_year: String,
        last_year: String,
        adopted_on: Option<chrono::NaiveDate>,
    },
}

/// The organisation's remembered mapping: (folded header, field key).
pub(super) async fn remembered_mapping(
    conn: &mut sqlx::PgConnection,
    access: &OrgAccess,
) -> Result<Vec<(String, String)>, AppError> {
    let columns = sqlx::query_scalar!(
        "SELECT columns FROM import_mapping WHERE organisation_id = $1",
        access.organisation.id.get()
    )
    .fetch_optional(conn)
    .await?;
    Ok(columns
        .and_then(|c| serde_json::from_value::<std::collections::BTreeMap<String, String>>(c).ok())
        .map(|m| m.into_iter().collect())
        .unwrap_or_default())
}

/// Reads an uploaded plan (CPU work, run off the runtime): its rows, then for a new plan the
/// period (the form's, else the one the targets name), then the plan. Gives the years read from
/// the file, for the form, and the plan or the message for the user.
pub(super) fn read_upload(
    bytes: &[u8],
    file_name: &str,
    target: Target,
    options: &ReadOptions,
    remembered: &[(String, String)],
) -> (Option<(i32, i32)>, Result<Payload, String>) {
    let sheets = match import::read_sheets(bytes, file_name) {
        Ok(sheets) => sheets,
        Err(e) => return (None, Err(e.to_string())),
    };
    let mut table = match import::locate(sheets, options) {
        Ok(table) => table,
        Err(e) => return (None, Err(e)),
    };
    if options.columns.is_empty() {
        import::apply_remembered(&mut table, remembered);
    }
    let mut from_file = None;
    let header = match target {
        Target::Existing(_, header) => header,
        Target::New {
            title,
            first_year,
            last_year,
            adopted_on,
        } => {
            // Years left empty: the ones the file's targets name (« 2025: … 2027: … »).
            let marked = (first_year.is_empty() && last_year.is_empty())
                .then(|| table.marked_period())
                .flatten();
            let (first, last) = match marked {
                Some(years) => years,
                None => match (first_year.parse::<i32>(), last_year.parse::<i32>()) {
                    (Ok(first), Ok(last)) => (first, last),
                    _ => {
                        return (
                            None,
                            Err("Indiquez la première et la dernière année du plan, par exemple 2025 et 2027 \
                                 (le fichier ne les écrit pas dans ses valeurs cibles)."
                                .into()),
                        );
                    }
                },
            };
            from_file = marked;
            if !(2000..=2100).contains(&first) || last < first || last - first > 15 {
                return (from_file, Err("La période du plan est invalide : la dernière année suit la première, sur 15 ans au plus.".into()));
            }
            PlanHeader {
                slug: import::slugify(&title),
                title,
                first_year: first,
                last_year: last,
                adopted_on: adopted_on.or_else(|| table.adopted_on()),
                objective_term: ObjectiveTerm::Objectif,
            }
        }
    };
    (from_file, import::read_located_or_ask(&table, header))
}
