//! The structure page: the whole plan as a tree, each item with its links to change, move or
//! remove it and to add what goes under it; and the structure's history.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{Context, when};
use crate::domain::format::quantity_fr;
use crate::domain::ids::{ActionId, AxisId, ObjectiveId};
use crate::domain::structure::{ItemKind, threshold_percent};
use crate::plans::structure::read::{self, Structure};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

pub struct IndicatorLine {
    pub id: i64,
    pub href: String,
    pub label: String,
    pub facts: String,
    pub pilots: String,
}

pub struct ActionLine {
    pub id: i64,
    pub href: String,
    pub name: String,
    pub label: String,
    pub pilots: String,
    pub indicators: Vec<IndicatorLine>,
    pub add_indicator: String,
}

pub struct ObjectiveLine {
    pub id: i64,
    pub href: String,
    pub name: String,
    pub label: String,
    pub actions: Vec<ActionLine>,
    pub add_action: String,
}

pub struct AxisLine {
    /// `None` for the objectives outside any axis.
    pub id: Option<i64>,
    pub href: String,
    pub name: String,
    pub label: String,
    pub objectives: Vec<ObjectiveLine>,
    pub add_objective: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/overview.html")]
pub struct OverviewPage {
    pub layout: Layout,
    pub organisation_href: String,
    pub organisation: String,
    pub plan_href: String,
    pub structure_href: String,
    pub title: String,
    pub period: String,
    pub term: String,
    pub term_plural: String,
    pub has_axes: bool,
    pub axes: Vec<AxisLine>,
    pub counts: String,
    pub notice: Option<&'static str>,
    pub history: Vec<HistoryLine>,
}

pub struct HistoryLine {
    pub when: String,
    pub who: String,
    pub what: String,
    pub item: String,
    pub detail: Vec<String>,
}

impl From<read::StructureLogLine> for HistoryLine {
    fn from(l: read::StructureLogLine) -> Self {
        Self {
            when: when(l.at),
            who: l.user_name.clone(),
            what: l.operation_fr().to_string(),
            item: l.item_label.clone(),
            detail: l
                .detail
                .lines()
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    fait: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "plan-cree" => "Plan créé. Ajoutez maintenant ses axes, objectifs, actions et indicateurs.",
        "plan-copie" => {
            "Plan créé avec la structure du plan précédent : fixez maintenant les cibles de chaque indicateur."
        }
        "plan" => "Paramètres du plan enregistrés.",
        "ajoute" => "Élément ajouté.",
        "modifie" => "Modifications enregistrées.",
        "deplace" => "Élément déplacé.",
        "supprime" => "Élément supprimé.",
        _ => return None,
    })
}

fn indicator_facts(s: &Structure, i: &read::IndicatorRow) -> String {
    let mut facts = Vec::new();
    if let Some(k) = i.kind {
        facts.push(k.label().to_string());
    }
    if let Some(u) = &i.unit {
        facts.push(format!("unité {u}"));
    }
    facts.push(format!("sens : {}", i.direction.label().to_lowercase()));
    if let Some((v, y)) = i.baseline {
        facts.push(format!(
            "référence {} en {y}",
            quantity_fr(v, i.unit.as_deref())
        ));
    }
    facts.push(format!(
        "seuil {} %",
        threshold_percent(i.partial_threshold)
    ));
    let years = (s.plan.last_year - s.plan.first_year + 1) as usize;
    facts.push(format!("cibles {}/{years}", i.targets.len()));
    facts.join(" · ")
}

pub fn tree(ctx: &Context) -> Vec<AxisLine> {
    let s = &ctx.structure;
    let term = s.plan.objective_term;
    let href = |k: ItemKind, id: i64| ctx.item_href(k, id);
    let add = |k: ItemKind, parent: Option<i64>| {
        format!(
            "{}/{}/nouveau{}",
            ctx.structure_href(),
            k.segment(),
            parent.map(|p| format!("?parent={p}")).unwrap_or_default()
        )
    };
    let objective_lines = |axis: Option<AxisId>| -> Vec<ObjectiveLine> {
        s.objectives_of(axis)
            .map(|o| ObjectiveLine {
                id: o.id.get(),
                href: href(ItemKind::Objective, o.id.get()),
                name: format!("{} {}", term.label(), o.code),
                label: o.label.clone(),
                add_action: add(ItemKind::Action, Some(o.id.get())),
                actions: s
                    .actions_of(ObjectiveId(o.id.get()))
                    .map(|a| ActionLine {
                        id: a.id.get(),
                        href: href(ItemKind::Action, a.id.get()),
                        name: a
                            .code
                            .as_ref()
                            .map_or("Action".into(), |c| format!("Action {c}")),
                        label: a.label.clone(),
                        pilots: s.service_names(&a.pilots).join(", "),
                        add_indicator: add(ItemKind::Indicator, Some(a.id.get())),
                        indicators: s
                            .indicators_of(ActionId(a.id.get()))
                            .map(|i| IndicatorLine {
                                id: i.id.get(),
                                href: href(ItemKind::Indicator, i.id.get()),
                                label: i.label.clone(),
                                facts: indicator_facts(s, i),
                                pilots: s.service_names(&i.pilots).join(", "),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    };
    let mut axes: Vec<AxisLine> = s
        .axes
        .iter()
        .map(|a| AxisLine {
            id: Some(a.id.get()),
            href: href(ItemKind::Axis, a.id.get()),
            name: format!("Axe {}", a.name()),
            label: a.label.clone(),
            add_objective: add(ItemKind::Objective, Some(a.id.get())),
            objectives: objective_lines(Some(a.id)),
        })
        .collect();
    let loose = objective_lines(None);
    if !loose.is_empty() || !s.plan.has_axes {
        axes.push(AxisLine {
            id: None,
            href: String::new(),
            name: if s.plan.has_axes {
                "Hors axe".into()
            } else {
                String::new()
            },
            label: String::new(),
            add_objective: add(ItemKind::Objective, None),
            objectives: loose,
        });
    }
    axes
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Query(query): Query<Notice>,
) -> Result<OverviewPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
    let history = read::history(&mut conn, ctx.structure.plan.id, 10).await?;
    Ok(page(&ctx, &session, notice(query.fait.as_deref()), history))
}

fn page(
    ctx: &Context,
    session: &Session,
    notice: Option<&'static str>,
    history: Vec<read::StructureLogLine>,
) -> OverviewPage {
    let s = &ctx.structure;
    let term = s.plan.objective_term;
    OverviewPage {
        layout: Layout::of(session, &ctx.access.organisation),
        organisation_href: ctx.organisation_href(),
        organisation: ctx.access.organisation.short_name.clone(),
        plan_href: ctx.plan_href(),
        structure_href: ctx.structure_href(),
        title: s.plan.title.clone(),
        period: format!("{}-{}", s.plan.first_year, s.plan.last_year),
        term: term.label().to_lowercase(),
        term_plural: term.label_plural().to_lowercase(),
        has_axes: s.plan.has_axes,
        axes: tree(ctx),
        counts: format!(
            "{} axe(s), {} {}, {} action(s), {} indicateur(s)",
            s.axes.len(),
            s.objectives.len(),
            term.label_plural().to_lowercase(),
            s.actions.len(),
            s.indicators.len()
        ),
        notice,
        history: history.into_iter().map(HistoryLine::from).collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub organisation_href: String,
    pub organisation: String,
    pub plan_href: String,
    pub structure_href: String,
    pub title: String,
    pub history: Vec<HistoryLine>,
}

/// The structure's whole history (the latest 500 lines).
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
) -> Result<HistoryPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
    let history = read::history(&mut conn, ctx.structure.plan.id, 500).await?;
    Ok(HistoryPage {
        layout: Layout::of(&session, &ctx.access.organisation),
        organisation_href: ctx.organisation_href(),
        organisation: ctx.access.organisation.short_name.clone(),
        plan_href: ctx.plan_href(),
        structure_href: ctx.structure_href(),
        title: ctx.structure.plan.title.clone(),
        history: history.into_iter().map(HistoryLine::from).collect(),
    })
}
