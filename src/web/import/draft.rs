//! The preview of an imported plan, its corrections, and the commit (new plan or re-import).

use crate::domain::format::quantity_fr;
use crate::domain::ids::PlanId;
use crate::domain::model::HasPeriod;
use crate::domain::model::{PlanHeader, YearValue};
use crate::domain::targets::parse_target_cell;
use crate::import::{self, Changes, Payload};
use crate::plans::{read, store};
use crate::web::AppState;
use crate::web::access::{OrgAccess, admin_of};
use crate::web::error::AppError;
use crate::web::form::{Fields, Form};
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::Acquire;

pub struct TargetInput {
    pub name: String,
    pub year: i32,
    pub value: String,
    pub is_number: bool,
}

pub struct PreviewIndicator {
    pub label: String,
    pub unit: Option<String>,
    /// The baseline and the direction, when the file gives them.
    pub details: Vec<String>,
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
    /// (line, message, column)
    pub notes: Vec<(usize, String, Option<String>)>,
    pub adopted: Option<String>,
    pub changes: Option<Changes>,
    pub objectives: Vec<PreviewObjective>,
    pub action: String,
    /// The mapping step: the sheet, each column and the field it holds.
    pub mapping: super::mapping::MappingView,
    pub cancel_action: String,
    pub error: Option<String>,
}

/// What the preview says of an indicator beside its unit: its baseline, a downward direction.
fn details(indicator: &crate::domain::model::IndicatorDraft) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(b) = &indicator.baseline {
        out.push(format!(
            "référence : {} en {}",
            quantity_fr(b.value, indicator.unit.as_deref()).replace(['\u{202F}', '\u{A0}'], " "),
            b.year
        ));
    }
    if indicator.direction == crate::domain::model::Direction::Down {
        out.push("sens : à la baisse".into());
    }
    out
}

pub(super) fn input_name(o: usize, a: usize, i: usize, year: i32) -> String {
    format!("c-{o}-{a}-{i}-{year}")
}

pub(super) fn preview_page(
    session: &Session,
    access: &OrgAccess,
    id: i64,
    file_name: String,
    payload: &Payload,
    changes: Option<Changes>,
) -> PreviewPage {
    let d = &payload.draft;
    let h = &payload.header;
    let years: Vec<i32> = h.period().years().collect();
    PreviewPage {
        layout: Layout::of(session, &access.organisation),
        organisation: access.organisation.short_name.clone(),
        file_name,
        title: h.title.clone(),
        period: format!("{}–{}", h.first_year, h.last_year),
        adopted: h.adopted_on.map(crate::domain::format::date_fr),
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
            .map(|n| (n.line, n.message.clone(), n.column.clone()))
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
                    .map(|a| format!("Axe {} — {}", a.name(), a.label)),
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
                                details: details(indicator),
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
        mapping: super::mapping::MappingView::of(payload, access, id),
        cancel_action: format!(
            "/organisations/{}/import/{id}/annuler",
            access.organisation.slug
        ),
        error: None,
    }
}

pub(super) struct Draft {
    pub(super) file_name: String,
    pub(super) plan_id: Option<PlanId>,
    pub(super) payload: Payload,
}

pub(super) async fn load_draft(
    conn: &mut sqlx::PgConnection,
    access: &OrgAccess,
    id: i64,
) -> Result<Draft, AppError> {
    let row = sqlx::query!(
        r#"SELECT file_name, plan_id AS "plan_id: PlanId", payload FROM import_draft
            WHERE id = $1 AND organisation_id = $2"#,
        id,
        access.organisation.id.get()
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

pub(super) async fn changes_for(
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
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let mut draft = load_draft(&mut conn, &access, id).await?;
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
    if !draft.payload.missing.is_empty() {
        let mut page = preview_page(
            &session,
            &access,
            id,
            draft.file_name.clone(),
            &draft.payload,
            changes,
        );
        page.error = Some(format!(
            "Choisissez d'abord les colonnes qui contiennent : {}.",
            draft.payload.missing.join(", ")
        ));
        return Err(AppError::invalid(page));
    }
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
        Err(AppError::invalid(page))
    };
    if changes.as_ref().is_some_and(|c| !c.removed.is_empty()) && !confirmed {
        return refuse(
            "Des éléments du plan ne sont plus dans le fichier : cochez la confirmation de leur retrait (leurs valeurs saisies seront perdues), ou corrigez le fichier.",
            changes,
        );
    }
    let mut tx = conn.begin().await?;
    let mut plan_slug = draft.payload.header.slug.clone();
    let stored_plan = match draft.plan_id {
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
                Err(locked @ (store::SyncError::Locked(_) | store::SyncError::SharedMember)) => {
                    drop(tx);
                    return refuse(&locked.to_string(), changes);
                }
                Err(store::SyncError::Db(e)) => return Err(e.into()),
            }
            plan_id
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
            .await?
        }
    };
    // The structure's history says who imported what, as it does of the editor's changes.
    let d = &draft.payload.draft;
    let detail = format!(
        "{} axe(s), {} objectif(s), {} action(s), {} indicateur(s){}",
        d.axes.len(),
        d.objectives.len(),
        d.actions().count(),
        d.indicators().count(),
        if confirmed {
            " ; retraits confirmés"
        } else {
            ""
        }
    );
    crate::plans::structure::write::log(
        &mut tx,
        stored_plan,
        &draft.payload.header.title,
        None,
        Some(stored_plan.get()),
        &format!("Plan « {} »", draft.payload.header.title),
        "imported",
        &detail,
        crate::plans::structure::Author {
            id: user.id,
            name: &user.display_name,
        },
    )
    .await?;
    sqlx::query!("DELETE FROM import_draft WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/organisations/{}/plans/{plan_slug}?importe=1",
        access.organisation.slug
    ))
    .into_response())
}
