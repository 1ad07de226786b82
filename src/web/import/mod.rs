//! Importing a plan from a spreadsheet: upload, preview (with corrections), commit; and the
//! plan's export in the same columns.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::Acquire;

use super::AppState;
use super::access::{OrgAccess, admin_of, member_of};
use super::error::AppError;
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use super::uploads::{self, Busy};
use crate::domain::format::quantity_fr;
use crate::domain::model::{ObjectiveTerm, PlanHeader, YearValue};
use crate::domain::targets::parse_target_cell;
use crate::import::{self, Changes, Payload};
use crate::plans::{read, store};

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
    pub error: Option<String>,
}

async fn upload_page(
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
        layout: Layout::new(session),
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
        error: None,
    })
}

pub async fn upload_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
) -> Result<UploadPage, AppError> {
    let access = admin_of(&mut *state.pool.acquire().await?, &user, &organisation).await?;
    upload_page(&state, &session, &access).await
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
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
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
                    return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
                }
            }
        } else {
            let value = field.text().await.unwrap_or_default();
            match name.as_str() {
                "plan" => page.chosen_plan = value,
                "titre" => page.title = value.trim().to_string(),
                "premiere_annee" => page.first_year = value.trim().to_string(),
                "derniere_annee" => page.last_year = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let refuse = |mut page: UploadPage, message: String| {
        page.error = Some(message);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refuse(
            page,
            "Choisissez un fichier à importer (le fichier envoyé est vide).".into(),
        );
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
    // The file is read off the runtime, within the import's limits.
    let name = file_name.clone();
    let reading = uploads::parse(&state, move || read_upload(&bytes, &name, target)).await?;
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
        r#"INSERT INTO import_draft (organisation_id, created_by, file_name, plan_id, payload)
           VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
        access.organisation.id,
        user.id,
        file_name,
        plan_id,
        json
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
enum Target {
    Existing(i64, PlanHeader),
    New {
        title: String,
        first_year: String,
        last_year: String,
    },
}

/// Reads an uploaded plan (CPU work, run off the runtime): its rows, then for a new plan the
/// period (the form's, else the one the targets name), then the plan. Gives the years read from
/// the file, for the form, and the plan or the message for the user.
fn read_upload(
    bytes: &[u8],
    file_name: &str,
    target: Target,
) -> (Option<(i32, i32)>, Result<Payload, String>) {
    let rows = match import::read_table(bytes, file_name) {
        Ok(rows) => rows,
        Err(e) => return (None, Err(e.to_string())),
    };
    let mut from_file = None;
    let header = match target {
        Target::Existing(_, header) => header,
        Target::New {
            title,
            first_year,
            last_year,
        } => {
            // Years left empty: the ones the file's targets name (« 2025: … 2027: … »).
            let marked = (first_year.is_empty() && last_year.is_empty())
                .then(|| crate::domain::sheet::marked_period(&rows))
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
                adopted_on: None,
                objective_term: ObjectiveTerm::Objectif,
            }
        }
    };
    (from_file, import::read_rows(&rows, header))
}

pub struct TargetInput {
    pub name: String,
    pub year: i32,
    pub value: String,
    pub is_number: bool,
}

pub struct PreviewIndicator {
    pub label: String,
    pub unit: Option<String>,
    pub pilots: Vec<String>,
    pub source: Option<String>,
    pub targets: Vec<TargetInput>,
}

pub struct PreviewAction {
    pub heading: String,
    pub indicators: Vec<PreviewIndicator>,
}

pub struct PreviewObjective {
    pub heading: String,
    pub axis: Option<String>,
    pub actions: Vec<PreviewAction>,
}

#[derive(Template, WebTemplate)]
#[template(path = "import/preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub organisation: String,
    pub file_name: String,
    pub title: String,
    pub period: String,
    pub counts: String,
    pub pilots: Vec<String>,
    pub notes: Vec<(usize, String)>,
    pub changes: Option<Changes>,
    pub objectives: Vec<PreviewObjective>,
    pub action: String,
    pub error: Option<String>,
}

fn input_name(o: usize, a: usize, i: usize, year: i32) -> String {
    format!("c-{o}-{a}-{i}-{year}")
}

fn preview_page(
    session: &Session,
    access: &OrgAccess,
    id: i64,
    file_name: String,
    payload: &Payload,
    changes: Option<Changes>,
) -> PreviewPage {
    let d = &payload.draft;
    let h = &payload.header;
    let years: Vec<i32> = (h.first_year..=h.last_year).collect();
    PreviewPage {
        layout: Layout::new(session),
        organisation: access.organisation.short_name.clone(),
        file_name,
        title: h.title.clone(),
        period: format!("{}–{}", h.first_year, h.last_year),
        counts: format!(
            "{} axe(s), {} objectif(s), {} action(s), {} indicateur(s)",
            d.axes.len(),
            d.objectives.len(),
            d.actions().count(),
            d.indicators().count()
        ),
        pilots: d.pilot_names(),
        notes: payload
            .notes
            .iter()
            .map(|n| (n.line, n.message.clone()))
            .collect(),
        changes,
        objectives: d
            .objectives
            .iter()
            .enumerate()
            .map(|(o, objective)| PreviewObjective {
                heading: format!("Objectif {} — {}", objective.code, objective.label),
                axis: objective
                    .axis
                    .and_then(|n| d.axes.iter().find(|a| a.number == n))
                    .map(|a| format!("Axe {} — {}", a.number, a.label)),
                actions: objective
                    .actions
                    .iter()
                    .enumerate()
                    .map(|(a, action)| PreviewAction {
                        heading: match &action.code {
                            Some(c) => format!("Action {c} — {}", action.label),
                            None => action.label.clone(),
                        },
                        indicators: action
                            .indicators
                            .iter()
                            .enumerate()
                            .map(|(i, indicator)| PreviewIndicator {
                                label: indicator.label.clone(),
                                unit: indicator.unit.clone(),
                                pilots: indicator.pilots.clone(),
                                source: indicator.targets_source.clone(),
                                targets: years
                                    .iter()
                                    .map(|year| {
                                        let t = indicator.targets.iter().find(|t| t.year == *year);
                                        let value = match t {
                                            Some(YearValue {
                                                text: Some(text), ..
                                            }) => text.clone(),
                                            Some(YearValue { value: Some(v), .. }) => {
                                                quantity_fr(*v, indicator.unit.as_deref())
                                                    .replace(['\u{202F}', '\u{A0}'], " ")
                                            }
                                            _ => String::new(),
                                        };
                                        TargetInput {
                                            name: input_name(o, a, i, *year),
                                            year: *year,
                                            value,
                                            is_number: t.is_some_and(|t| t.value.is_some()),
                                        }
                                    })
                                    .collect(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        action: format!("/organisations/{}/import/{id}", access.organisation.slug),
        error: None,
    }
}

struct Draft {
    file_name: String,
    plan_id: Option<i64>,
    payload: Payload,
}

async fn load_draft(
    conn: &mut sqlx::PgConnection,
    access: &OrgAccess,
    id: i64,
) -> Result<Draft, AppError> {
    let row = sqlx::query!(
        "SELECT file_name, plan_id, payload FROM import_draft WHERE id = $1 AND organisation_id = $2",
        id,
        access.organisation.id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let payload: Payload =
        serde_json::from_value(row.payload).map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok(Draft {
        file_name: row.file_name,
        plan_id: row.plan_id,
        payload,
    })
}

async fn changes_for(
    conn: &mut sqlx::PgConnection,
    access: &OrgAccess,
    draft: &Draft,
) -> Result<Option<Changes>, AppError> {
    if draft.plan_id.is_none() {
        return Ok(None);
    }
    let tree = read::plan_tree(conn, &access.organisation.slug, &draft.payload.header.slug)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some(import::changes(&tree, &draft.payload.draft)))
}

pub async fn preview(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, id)): Path<(String, i64)>,
) -> Result<PreviewPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let draft = load_draft(&mut conn, &access, id).await?;
    let changes = changes_for(&mut conn, &access, &draft).await?;
    Ok(preview_page(
        &session,
        &access,
        id,
        draft.file_name.clone(),
        &draft.payload,
        changes,
    ))
}

pub async fn commit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, id)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let mut draft = load_draft(&mut conn, &access, id).await?;
    let fields: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    // The targets as the user left them in the preview.
    let (first, last) = (
        draft.payload.header.first_year,
        draft.payload.header.last_year,
    );
    for (o, objective) in draft.payload.draft.objectives.iter_mut().enumerate() {
        for (a, action) in objective.actions.iter_mut().enumerate() {
            for (i, indicator) in action.indicators.iter_mut().enumerate() {
                let mut targets = Vec::new();
                for year in first..=last {
                    let Some(text) = fields.get(&input_name(o, a, i, year)) else {
                        if let Some(t) = indicator.targets.iter().find(|t| t.year == year) {
                            targets.push(t.clone());
                        }
                        continue;
                    };
                    if text.trim().is_empty() {
                        continue;
                    }
                    let parsed = parse_target_cell(year, text);
                    if indicator.unit.is_none() {
                        indicator.unit = parsed.unit.clone();
                    }
                    targets.push(YearValue {
                        year,
                        value: parsed.value,
                        text: parsed.text,
                    });
                }
                indicator.targets = targets;
            }
        }
    }
    let changes = changes_for(&mut conn, &access, &draft).await?;
    let confirmed = fields.get("confirmer_retraits").is_some_and(|v| v == "oui");
    let refuse = |message: &str, changes: Option<Changes>| {
        let mut page = preview_page(
            &session,
            &access,
            id,
            draft.file_name.clone(),
            &draft.payload,
            changes,
        );
        page.error = Some(message.to_string());
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if changes.as_ref().is_some_and(|c| !c.removed.is_empty()) && !confirmed {
        return refuse(
            "Des éléments du plan ne sont plus dans le fichier : cochez la confirmation de leur retrait (leurs valeurs saisies seront perdues), ou corrigez le fichier.",
            changes,
        );
    }
    let mut tx = conn.begin().await?;
    let mut plan_slug = draft.payload.header.slug.clone();
    match draft.plan_id {
        Some(plan_id) => {
            match store::sync_plan(
                &mut tx,
                access.organisation.id,
                plan_id,
                &draft.payload.draft,
                confirmed,
            )
            .await
            {
                Ok(()) => {}
                Err(locked @ store::SyncError::Locked(_)) => {
                    drop(tx);
                    return refuse(&locked.to_string(), changes);
                }
                Err(store::SyncError::Db(e)) => return Err(e.into()),
            }
        }
        None => {
            let header = &draft.payload.header;
            let Some(slug) =
                store::new_plan_slug(&mut tx, access.organisation.id, &header.title).await?
            else {
                drop(tx);
                return refuse(
                    "Un plan de ce titre existe déjà : importez le fichier dans ce plan (mise à jour) ou changez le titre.",
                    changes,
                );
            };
            plan_slug = slug;
            let header = PlanHeader {
                slug: plan_slug.clone(),
                ..header.clone()
            };
            store::insert_plan(
                &mut tx,
                access.organisation.id,
                &header,
                &draft.payload.draft,
            )
            .await?;
        }
    }
    sqlx::query!("DELETE FROM import_draft WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/plans/{plan_slug}",
        access.organisation.slug
    ))
    .into_response())
}

/// The plan (structure and targets) in the import's columns.
pub async fn export_plan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan, file)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    member_of(&mut conn, &user, &organisation).await?;
    let tree = read::plan_tree(&mut conn, &organisation, &plan)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = import::plan_rows(&tree);
    let (content_type, body) = match file.as_str() {
        "plan.csv" => ("text/csv; charset=utf-8", import::rows_to_csv(&rows)),
        "plan.xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            import::rows_to_xlsx(&rows).map_err(|e| AppError::Internal(Box::new(e)))?,
        ),
        _ => return Err(AppError::NotFound),
    };
    let extension = file.rsplit('.').next().unwrap_or("csv");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"plan-{}.{extension}\"", tree.slug),
            ),
        ],
        body,
    )
        .into_response())
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::{get_route, post_route};
    vec![
        get_route("/organisations/{organisation}/import", upload_form),
        post_route("/organisations/{organisation}/import", upload),
        get_route("/organisations/{organisation}/import/{draft}", preview),
        post_route("/organisations/{organisation}/import/{draft}", commit),
        get_route(
            "/organisations/{organisation}/plans/{plan}/export/{file}",
            export_plan,
        ),
    ]
}
