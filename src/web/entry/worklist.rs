//! « À faire »: each person's worklist, across their organisations' plans, for the year being
//! filled. Procurement staff: actions submitted to validate, indicators awaiting judgement, values
//! still missing per service, whether the year may be locked. A pilot: their actions to fill,
//! those returned with a comment, those submitted. Each line links to the exact field.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::Datelike;

use super::page::missing_by_service;
use super::{Rights, context_of, plan_base};
use crate::domain::account::Role;
use crate::domain::model::HasPeriod;
use crate::domain::status::Status;
use crate::plans::read;
use crate::plans::values::{self, ReviewState};
use crate::web::AppState;
use crate::web::access::OrgAccess;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

/// One thing to do, with the address of the field it concerns.
pub struct Task {
    pub label: String,
    pub detail: Option<String>,
    pub href: String,
}

/// A list of tasks under a heading; empty lists are not shown.
pub struct TaskList {
    pub heading: &'static str,
    pub tasks: Vec<Task>,
}

/// One plan's worklist for one year.
pub struct PlanWork {
    pub organisation: String,
    pub plan_title: String,
    pub year: i32,
    pub entry_href: String,
    pub role: &'static str,
    pub lists: Vec<TaskList>,
    /// For procurement staff: what stands between the year and its lock.
    pub lock_readiness: Option<String>,
}

impl PlanWork {
    pub fn count(&self) -> usize {
        self.lists.iter().map(|l| l.tasks.len()).sum()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "entry/worklist.html")]
pub struct WorklistPage {
    pub layout: Layout,
    pub plans: Vec<PlanWork>,
    pub total: usize,
}

pub async fn worklist(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
) -> Result<WorklistPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let organisations = read::organisations(&mut conn).await?;
    let plans = read::plan_summaries(&mut conn, None).await?;
    let today = chrono::Utc::now().year();
    let mut works = Vec::new();
    // One plan after another: a person belongs to few organisations, each with few plans.
    for (organisation, membership) in organisations
        .iter()
        .filter_map(|o| Some((o, user.membership(o.id)?)))
    {
        for plan in plans
            .iter()
            .filter(|p| p.organisation_id == organisation.id)
        {
            let Some(tree) = read::plan_tree(&mut conn, &organisation.slug, &plan.slug).await?
            else {
                continue;
            };
            let year = tree.period().working_year(&tree.locked_years, today);
            let access = OrgAccess {
                organisation: organisation.clone(),
                membership: membership.clone(),
            };
            let ctx = context_of(&mut conn, access, tree, year).await?;
            works.push(plan_work(&ctx));
        }
    }
    Ok(WorklistPage {
        layout: Layout::new(&session),
        total: works.iter().map(PlanWork::count).sum(),
        plans: works,
    })
}

fn plan_work(ctx: &super::Context) -> PlanWork {
    let year = ctx.year;
    let base = plan_base(ctx);
    let entry = format!("{base}/saisie/{year}");
    let mine = format!("{base}/mes-actions/{year}");
    let role = ctx.access.membership.role;
    let rights = Rights {
        role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };
    let statuses = values::statuses(&ctx.tree, year, &ctx.values.overrides);
    let review = |id| ctx.values.reviews.get(&id).map(|r| r.state);
    let mut to_validate = Vec::new();
    let mut to_judge = Vec::new();
    let mut to_fill = Vec::new();
    let mut returned = Vec::new();
    let mut to_submit = Vec::new();
    let mut submitted = Vec::new();
    let (mut empty, mut unvalidated) = (0, 0);
    for group in &ctx.tree.groups {
        for objective in &group.objectives {
            for action in &objective.actions {
                let heading = match &action.code {
                    Some(code) => format!("Action {code} — {}", action.label),
                    None => action.label.clone(),
                };
                let state = review(action.id);
                let has_values = action
                    .indicators
                    .iter()
                    .any(|i| ctx.values.actuals.contains_key(&i.id));
                empty += action
                    .indicators
                    .iter()
                    .filter(|i| !ctx.values.actuals.contains_key(&i.id))
                    .count();
                if has_values && state != Some(ReviewState::Validated) {
                    unvalidated += 1;
                }
                let page = if role == Role::Pilot { &mine } else { &entry };
                let action_task = |detail: Option<String>| Task {
                    label: heading.clone(),
                    detail,
                    href: format!("{page}#action-{}", action.id),
                };
                match role {
                    Role::Procurement => {
                        if state == Some(ReviewState::Submitted) {
                            to_validate.push(action_task(None));
                        }
                        for indicator in &action.indicators {
                            if statuses
                                .indicators
                                .get(&indicator.id)
                                .is_some_and(|s| s.status == Status::ToAppraise)
                            {
                                to_judge.push(Task {
                                    label: indicator.label.clone(),
                                    detail: Some(heading.clone()),
                                    href: format!("{entry}#indicateur-{}", indicator.id),
                                });
                            }
                        }
                    }
                    Role::Pilot if rights.pilots(action) => {
                        let missing = action
                            .indicators
                            .iter()
                            .filter(|i| {
                                rights.can_edit_indicator(action, i, state)
                                    && !ctx.values.actuals.contains_key(&i.id)
                            })
                            .count();
                        if missing > 0 {
                            to_fill.push(action_task(Some(format!(
                                "{missing} indicateur{} sans valeur",
                                if missing > 1 { "s" } else { "" }
                            ))));
                        }
                        match state {
                            Some(ReviewState::Entered) if missing == 0 => {
                                to_submit.push(action_task(None));
                            }
                            Some(ReviewState::Returned) => {
                                let comment = ctx
                                    .values
                                    .reviews
                                    .get(&action.id)
                                    .and_then(|r| r.comment.clone());
                                returned.push(action_task(comment.map(|c| format!("« {c} »"))));
                            }
                            Some(ReviewState::Submitted) => submitted.push(action_task(None)),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let mut lists = Vec::new();
    let mut lock_readiness = None;
    match role {
        Role::Procurement => {
            lists.push(TaskList {
                heading: "Actions soumises, à valider",
                tasks: to_validate,
            });
            lists.push(TaskList {
                heading: "Indicateurs à apprécier",
                tasks: to_judge,
            });
            lists.push(TaskList {
                heading: "Valeurs manquantes, par service",
                tasks: missing_by_service(&ctx.tree, year)
                    .into_iter()
                    .filter(|(_, missing, _)| *missing > 0)
                    .map(|(service, missing, total)| Task {
                        href: format!(
                            "{mine}?service={}",
                            form_urlencoded::byte_serialize(service.as_bytes()).collect::<String>()
                        ),
                        detail: Some(format!("{missing} sur {total} indicateurs sans valeur")),
                        label: service,
                    })
                    .collect(),
            });
            lock_readiness = Some(match (&ctx.values.lock, empty, unvalidated) {
                (Some(lock), _, _) => format!("{year} est verrouillée (par {}).", lock.by),
                (None, 0, 0) => format!(
                    "Toutes les valeurs de {year} sont saisies et validées : l'année peut être verrouillée."
                ),
                (None, empty, unvalidated) => format!(
                    "Avant de verrouiller {year} : {empty} indicateur(s) sans valeur, {unvalidated} action(s) avec des valeurs non validées."
                ),
            });
        }
        Role::Pilot => {
            lists.push(TaskList {
                heading: "Mes actions à renseigner",
                tasks: to_fill,
            });
            lists.push(TaskList {
                heading: "Renvoyées avec un commentaire",
                tasks: returned,
            });
            lists.push(TaskList {
                heading: "Saisies, à soumettre pour validation",
                tasks: to_submit,
            });
            lists.push(TaskList {
                heading: "Soumises, en attente de validation",
                tasks: submitted,
            });
        }
        Role::Admin | Role::Committee => {}
    }
    PlanWork {
        organisation: ctx.access.organisation.short_name.clone(),
        plan_title: ctx.tree.title.clone(),
        year,
        entry_href: if role == Role::Pilot { mine } else { entry },
        role: role.label(),
        lists: lists.into_iter().filter(|l| !l.tasks.is_empty()).collect(),
        lock_readiness,
    }
}
