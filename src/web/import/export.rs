//! The plan exported in the import's columns (XLSX or CSV).

use crate::import::{self};
use crate::plans::read;
use crate::web::AppState;
use crate::web::access::member_of;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

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
