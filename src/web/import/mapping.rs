//! The mapping step of the preview: the sheet read and what each column holds, changed by a
//! person (the file read again with those choices, remembered for the organisation's next
//! import); cancelling an import; the import template.

use crate::domain::columns::Field;
use crate::domain::model::HasPeriod;
use crate::domain::sheet::fold;
use crate::import::{self, Payload, ReadOptions};
use crate::web::AppState;
use crate::web::access::{OrgAccess, admin_of};
use crate::web::error::AppError;
use crate::web::form::{Fields, Form};
use crate::web::session::{CurrentUser, Session};
use crate::web::uploads::{self, Busy};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::draft::{changes_for, load_draft, preview_page};
use super::reading::{Target, read_upload};

/// One choice of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One column of the file in the mapping step.
pub struct ColumnView {
    pub name: String,
    pub letter: String,
    pub header: String,
    pub choices: Vec<Choice>,
}

pub struct MappingView {
    pub action: String,
    pub sheets: Vec<Choice>,
    pub header_row: usize,
    pub columns: Vec<ColumnView>,
    pub missing: Vec<String>,
}

fn column_field(i: usize) -> String {
    format!("col-{i}")
}

impl MappingView {
    pub fn of(payload: &Payload, access: &OrgAccess, id: i64) -> Self {
        // Fields offered: every field, and a target for each year of the period and each year a
        // column already holds.
        let mut fields: Vec<Field> = Field::CHOICES.to_vec();
        fields.extend(payload.header.period().years().map(Field::TargetYear));
        for column in &payload.columns {
            if let Some(Ok(Some(field))) = column.field.as_deref().map(Field::from_key)
                && !fields.contains(&field)
            {
                fields.push(field);
            }
        }
        let columns = payload
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.header.is_empty())
            .map(|(i, c)| {
                let mut choices = vec![Choice {
                    value: "ignore".into(),
                    label: "Ignorer cette colonne".into(),
                    selected: c.field.is_none(),
                }];
                choices.extend(fields.iter().map(|f| Choice {
                    value: f.key(),
                    label: f.label_fr(),
                    selected: c.field.as_deref() == Some(f.key().as_str()),
                }));
                ColumnView {
                    name: column_field(i),
                    letter: c.letter.clone(),
                    header: c.header.clone(),
                    choices,
                }
            })
            .collect();
        MappingView {
            action: format!(
                "/organisations/{}/import/{id}/colonnes",
                access.organisation.slug
            ),
            sheets: payload
                .sheets
                .iter()
                .map(|s| Choice {
                    value: s.clone(),
                    label: s.clone(),
                    selected: *s == payload.sheet,
                })
                .collect(),
            header_row: payload.header_row,
            columns,
            missing: payload.missing.clone(),
        }
    }
}

/// Reads the draft's file again with the sheet and columns chosen, keeps the choices for the
/// organisation's next import, and shows the preview again.
pub async fn remap(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, id)): Path<(String, i64)>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let draft = load_draft(&mut conn, &access, id).await?;
    let file = sqlx::query_scalar!("SELECT file FROM import_draft WHERE id = $1", id)
        .fetch_one(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let sheet = fields.get("feuille").cloned().filter(|s| !s.is_empty());
    let same_sheet = sheet.as_deref().is_none_or(|s| s == draft.payload.sheet);
    // The columns as chosen, by letter (only for the sheet they were shown for).
    let columns: Vec<(String, String)> = if same_sheet {
        draft
            .payload
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let key = fields.get(&column_field(i))?;
                Field::from_key(key).ok()?;
                Some((c.letter.clone(), key.clone()))
            })
            .collect()
    } else {
        Vec::new()
    };
    let options = ReadOptions {
        sheet,
        columns: columns.clone(),
    };
    let header = draft.payload.header.clone();
    let target = match draft.plan_id {
        Some(plan) => Target::Existing(plan, header),
        None => Target::New {
            title: header.title.clone(),
            first_year: header.first_year.to_string(),
            last_year: header.last_year.to_string(),
            adopted_on: header.adopted_on,
        },
    };
    let name = draft.file_name.clone();
    let reading = uploads::parse(&state, move || {
        read_upload(&file, &name, target, &options, &[])
    })
    .await?;
    let refuse = |message: String, changes| {
        let mut page = preview_page(
            &session,
            &access,
            id,
            draft.file_name.clone(),
            &draft.payload,
            changes,
        );
        page.error = Some(message);
        Err(AppError::invalid(page))
    };
    let payload = match reading {
        Err(Busy) => {
            let changes = changes_for(&mut conn, &access, &draft).await?;
            let mut page = preview_page(
                &session,
                &access,
                id,
                draft.file_name.clone(),
                &draft.payload,
                changes,
            );
            page.error = Some(Busy::MESSAGE.into());
            return Ok(Busy::response(page));
        }
        Ok((_, Err(message))) => {
            let changes = changes_for(&mut conn, &access, &draft).await?;
            return refuse(message, changes);
        }
        Ok((_, Ok(payload))) => payload,
    };
    // Remembered by header, for the next file of the organisation.
    let remembered: std::collections::BTreeMap<String, String> = payload
        .columns
        .iter()
        .filter(|c| !c.header.is_empty())
        .map(|c| {
            (
                fold(&c.header),
                c.field.clone().unwrap_or_else(|| "ignore".into()),
            )
        })
        .collect();
    let json = serde_json::to_value(&payload).map_err(|e| AppError::Internal(Box::new(e)))?;
    let remembered =
        serde_json::to_value(&remembered).map_err(|e| AppError::Internal(Box::new(e)))?;
    sqlx::query!(
        "UPDATE import_draft SET payload = $2 WHERE id = $1",
        id,
        json
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO import_mapping (organisation_id, columns) VALUES ($1, $2)
           ON CONFLICT (organisation_id) DO UPDATE SET columns = EXCLUDED.columns, updated_at = now()"#,
        access.organisation.id.get(),
        remembered
    )
    .execute(&mut *conn)
    .await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/import/{id}",
        access.organisation.slug
    ))
    .into_response())
}

/// Drops a preview: nothing was saved, nothing is.
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, id)): Path<(String, i64)>,
    Form(_): Form<Fields>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let deleted = sqlx::query!(
        "DELETE FROM import_draft WHERE id = $1 AND organisation_id = $2",
        id,
        access.organisation.id.get()
    )
    .execute(&mut *conn)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&format!(
        "/organisations/{}/import?annule=1",
        access.organisation.slug
    ))
    .into_response())
}

/// The import template (XLSX): the columns, an example row, a read-me sheet.
pub async fn template(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(organisation): Path<String>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    admin_of(&mut conn, &user, &organisation).await?;
    let body = import::template_xlsx().map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"modele-import-spaser.xlsx\"".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}
