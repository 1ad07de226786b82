//! The form of one item of the structure — an axis, an objective, an action or an indicator —
//! to add it or to change it. A change names the version it was read at: when someone else saved
//! the item meanwhile, the page says who and when, shows what they saved, and keeps what this
//! person wrote (409), never overwriting either silently.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::item_form::{Checked, ItemForm, check};
use super::{Choice, Context, author, kind_of, when};
use crate::domain::format::number_fr;
use crate::domain::ids::{ActionId, AxisId, IndicatorId, ObjectiveId};
use crate::domain::model::YearValue;
use crate::domain::structure::{
    FieldErrors, ItemKind, UNITS, target_text_field, target_value_field, threshold_percent,
};
use crate::plans::structure::{EditError, write};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::form::{Form, Query};
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

/// One year's target fields.
pub struct TargetRow {
    pub year: i32,
    pub value: String,
    pub text: String,
    pub value_name: String,
    pub text_name: String,
    pub locked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/item.html")]
pub struct ItemPage {
    pub layout: Layout,
    pub organisation_href: String,
    pub organisation: String,
    pub plan_href: String,
    pub plan_title: String,
    pub structure_href: String,
    pub heading: String,
    pub action: String,
    pub is_new: bool,
    pub kind: ItemKind,
    pub form: ItemForm,
    pub errors: FieldErrors,
    pub code_required: bool,
    pub parent_label: &'static str,
    pub parents: Vec<Choice>,
    pub services: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub units: &'static [&'static str],
    pub targets: Vec<TargetRow>,
    pub remove_href: Option<String>,
    /// Someone saved the item meanwhile: who, when, and what they saved.
    pub conflict: Option<Conflict>,
}

pub struct Conflict {
    pub who: String,
    pub when: String,
    pub stored: Vec<(String, String)>,
}

impl ItemPage {
    pub fn is_indicator(&self) -> bool {
        self.kind == ItemKind::Indicator
    }

    pub fn has_pilots(&self) -> bool {
        matches!(self.kind, ItemKind::Action | ItemKind::Indicator)
    }

    pub fn has_code(&self) -> bool {
        self.kind != ItemKind::Indicator
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    pub fn code_hint(&self) -> &'static str {
        if self.code_required {
            "Tel que le plan l'écrit : 3, FA1…"
        } else {
            "Facultatif : tel que le plan l'écrit (7, II, A…)"
        }
    }

    /// The label of a refused field, for the summary at the top.
    pub fn field_label(&self, field: &str) -> String {
        match field {
            "code" => "Numéro".into(),
            "label" => "Intitulé".into(),
            "parent" => self.parent_label.into(),
            "kind" => "Type".into(),
            "unit" => "Unité".into(),
            "direction" => "Sens d'amélioration".into(),
            "baseline_value" => "Valeur de référence".into(),
            "baseline_year" => "Année de référence".into(),
            "baseline_source" => "Source de la référence".into(),
            "threshold" => "Seuil d'atteinte partielle".into(),
            f => match f.strip_prefix("target_text_") {
                Some(y) => format!("Cible {y} (texte)"),
                None => f
                    .strip_prefix("target_")
                    .map_or(f.to_string(), |y| format!("Cible {y}")),
            },
        }
    }
}

fn parents(ctx: &Context, kind: ItemKind, selected: &str) -> (Vec<Choice>, &'static str) {
    let s = &ctx.structure;
    let term = s.plan.objective_term;
    let choice = |value: i64, label: String| Choice {
        selected: value.to_string() == selected,
        value: value.to_string(),
        label,
    };
    match kind {
        ItemKind::Axis => (Vec::new(), ""),
        ItemKind::Objective => (
            s.axes
                .iter()
                .map(|a| choice(a.id.get(), format!("Axe {} — {}", a.name(), a.label)))
                .collect(),
            "Axe",
        ),
        ItemKind::Action => (
            s.objectives
                .iter()
                .map(|o| {
                    choice(
                        o.id.get(),
                        format!("{} {} — {}", term.label(), o.code, short(&o.label)),
                    )
                })
                .collect(),
            if term == crate::domain::model::ObjectiveTerm::FicheAction {
                "Fiche action"
            } else {
                "Objectif"
            },
        ),
        ItemKind::Indicator => (
            s.objectives
                .iter()
                .flat_map(|o| s.actions_of(o.id).map(move |a| (o, a)))
                .map(|(o, a)| {
                    let action = a
                        .code
                        .as_ref()
                        .map_or("Action".to_string(), |c| format!("Action {c}"));
                    choice(
                        a.id.get(),
                        format!(
                            "{} {} › {action} — {}",
                            term.label(),
                            o.code,
                            short(&a.label)
                        ),
                    )
                })
                .collect(),
            "Action",
        ),
    }
}

/// A long label cut for a list of choices.
fn short(label: &str) -> String {
    if label.chars().count() > 90 {
        format!("{}…", label.chars().take(89).collect::<String>())
    } else {
        label.to_string()
    }
}

fn page(
    ctx: &Context,
    session: &Session,
    kind: ItemKind,
    item: Option<i64>,
    form: ItemForm,
    errors: FieldErrors,
    conflict: Option<Conflict>,
) -> ItemPage {
    let s = &ctx.structure;
    let term = s.plan.objective_term;
    let (parents, parent_label) = parents(ctx, kind, &form.parent);
    let services = s
        .services
        .iter()
        .map(|(id, name)| Choice {
            selected: form.pilots.contains(&id.get().to_string()),
            value: id.get().to_string(),
            label: name.clone(),
        })
        .collect();
    let kinds = [
        ("", "Non précisé"),
        ("quantitative", "Quantitatif"),
        ("qualitative", "Qualitatif"),
        ("both", "Les deux"),
    ]
    .into_iter()
    .map(|(v, l)| Choice {
        selected: form.kind == v,
        value: v.into(),
        label: l.into(),
    })
    .collect();
    let stored = item.and_then(|id| s.indicator(id).filter(|_| kind == ItemKind::Indicator));
    let targets = (s.plan.first_year..=s.plan.last_year)
        .map(|year| {
            let locked = s.locked_years.contains(&year);
            let (value, text) = if locked {
                // A locked year's target is as stored, whatever was sent.
                stored
                    .and_then(|i| i.targets.iter().find(|t| t.year == year))
                    .map(|t| {
                        (
                            t.value.map(number_fr).unwrap_or_default(),
                            t.text.clone().unwrap_or_default(),
                        )
                    })
                    .unwrap_or_default()
            } else {
                form.targets.get(&year).cloned().unwrap_or_default()
            };
            TargetRow {
                year,
                value,
                text,
                value_name: target_value_field(year),
                text_name: target_text_field(year),
                locked,
            }
        })
        .collect();
    let (heading, action) = match item {
        Some(id) => (
            format!("Modifier {}", kind.the(term)),
            ctx.item_href(kind, id),
        ),
        None => (
            format!("Ajouter {}", kind.a(term)),
            format!("{}/{}/nouveau", ctx.structure_href(), kind.segment()),
        ),
    };
    ItemPage {
        layout: Layout::of(session, &ctx.access.organisation),
        organisation_href: ctx.organisation_href(),
        organisation: ctx.access.organisation.short_name.clone(),
        plan_href: ctx.plan_href(),
        plan_title: s.plan.title.clone(),
        structure_href: ctx.structure_href(),
        heading,
        action,
        is_new: item.is_none(),
        kind,
        code_required: kind == ItemKind::Objective,
        parent_label,
        parents,
        services,
        kinds,
        units: UNITS,
        targets,
        remove_href: item.map(|id| format!("{}/supprimer", ctx.item_href(kind, id))),
        form,
        errors,
        conflict,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    parent: Option<i64>,
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, kind)): Path<(String, String, String)>,
    Query(query): Query<NewQuery>,
) -> Result<ItemPage, AppError> {
    let kind = kind_of(&kind)?;
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
    if kind == ItemKind::Axis && !ctx.structure.plan.has_axes {
        return Err(AppError::NotFound);
    }
    let form = ItemForm::new_item(&ctx.structure, kind, query.parent);
    Ok(page(
        &ctx,
        &session,
        kind,
        None,
        form,
        FieldErrors::default(),
        None,
    ))
}

pub async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, kind, item)): Path<(String, String, String, i64)>,
) -> Result<ItemPage, AppError> {
    let kind = kind_of(&kind)?;
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
    let form = ItemForm::stored(&ctx.structure, kind, item).ok_or(AppError::NotFound)?;
    Ok(page(
        &ctx,
        &session,
        kind,
        Some(item),
        form,
        FieldErrors::default(),
        None,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, kind)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let mut tx = state.pool.begin().await?;
    let ctx = Context::load_for_change(&mut tx, &user, &organisation, &plan).await?;
    if kind == ItemKind::Axis && !ctx.structure.plan.has_axes {
        return Err(AppError::NotFound);
    }
    let form = ItemForm::from_pairs(pairs);
    let s = &ctx.structure;
    let checked = match check(s, kind, &form) {
        Ok(c) => c,
        Err(errors) => {
            return Err(AppError::invalid(page(
                &ctx, &session, kind, None, form, errors, None,
            )));
        }
    };
    let who = author(&user);
    let created = match &checked {
        Checked::Axis(text) => write::create_axis(&mut tx, s, text, who)
            .await
            .map(AxisId::get),
        Checked::Objective(axis, text) => write::create_objective(&mut tx, s, *axis, text, who)
            .await
            .map(ObjectiveId::get),
        Checked::Action(o, text, pilots) => write::create_action(&mut tx, s, *o, text, pilots, who)
            .await
            .map(ActionId::get),
        Checked::Indicator(a, settings, pilots) => {
            write::create_indicator(&mut tx, s, *a, settings, pilots, who)
                .await
                .map(IndicatorId::get)
        }
    };
    match created {
        Ok(id) => {
            ctx.commit(tx).await?;
            Ok(ctx.done("ajoute", Some((kind, id))).into_response())
        }
        Err(EditError::Fields(errors)) => Err(AppError::invalid(page(
            &ctx, &session, kind, None, form, errors, None,
        ))),
        Err(e) => Err(edit_error(e)),
    }
}

/// An error of the store that no form field explains.
fn edit_error(e: EditError) -> AppError {
    match e {
        EditError::NotFound => AppError::NotFound,
        EditError::Db(e) => e.into(),
        other => AppError::Internal(Box::new(other)),
    }
}

pub async fn save(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, kind, item)): Path<(String, String, String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let mut tx = state.pool.begin().await?;
    let ctx = Context::load_for_change(&mut tx, &user, &organisation, &plan).await?;
    let s = &ctx.structure;
    if !s.has(kind, item) {
        return Err(AppError::NotFound);
    }
    let form = ItemForm::from_pairs(pairs);
    let Ok(version) = form.version.trim().parse::<i32>() else {
        return Err(AppError::BadRequest);
    };
    let checked = match check(s, kind, &form) {
        Ok(c) => c,
        Err(errors) => {
            return Err(AppError::invalid(page(
                &ctx,
                &session,
                kind,
                Some(item),
                form,
                errors,
                None,
            )));
        }
    };
    let who = author(&user);
    let saved = match &checked {
        Checked::Axis(text) => {
            write::update_axis(&mut tx, s, AxisId(item), version, text, who).await
        }
        Checked::Objective(axis, text) => {
            write::update_objective(&mut tx, s, ObjectiveId(item), version, *axis, text, who).await
        }
        Checked::Action(o, text, pilots) => {
            write::update_action(&mut tx, s, ActionId(item), version, *o, text, pilots, who).await
        }
        Checked::Indicator(a, settings, pilots) => {
            write::update_indicator(
                &mut tx,
                s,
                IndicatorId(item),
                version,
                *a,
                settings,
                pilots,
                who,
            )
            .await
        }
    };
    match saved {
        Ok(()) => {
            ctx.commit(tx).await?;
            Ok(ctx.done("modifie", Some((kind, item))).into_response())
        }
        Err(EditError::Fields(errors)) => Err(AppError::invalid(page(
            &ctx,
            &session,
            kind,
            Some(item),
            form,
            errors,
            None,
        ))),
        Err(EditError::Conflict) => {
            drop(tx);
            conflict(
                &state,
                &user,
                &session,
                &organisation,
                &plan,
                kind,
                item,
                form,
            )
            .await
        }
        Err(e) => Err(edit_error(e)),
    }
}

/// The page of a conflict: what the other person saved, and this person's input kept, ready to
/// be saved over it knowingly (the form now carries the current version).
#[allow(clippy::too_many_arguments)]
async fn conflict(
    state: &AppState,
    user: &crate::auth::User,
    session: &Session,
    organisation: &str,
    plan: &str,
    kind: ItemKind,
    item: i64,
    mut form: ItemForm,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, user, organisation, plan).await?;
    let Some(current) = ItemForm::stored(&ctx.structure, kind, item) else {
        return Err(AppError::NotFound);
    };
    let last =
        crate::plans::structure::read::last_change(&mut conn, ctx.structure.plan.id, kind, item)
            .await?;
    let (who, at) = last.map_or(
        (String::from("Une autre personne"), String::new()),
        |(w, a)| (w, when(a)),
    );
    let mut stored = vec![("Intitulé".to_string(), current.label.clone())];
    if kind != ItemKind::Indicator && !current.code.is_empty() {
        stored.insert(0, ("Numéro".into(), current.code.clone()));
    }
    if kind == ItemKind::Indicator {
        let i = ctx.structure.indicator(item).expect("read above");
        stored.push(("Sens d'amélioration".into(), i.direction.label().into()));
        stored.push(("Unité".into(), i.unit.clone().unwrap_or_default()));
        stored.push((
            "Seuil d'atteinte partielle".into(),
            format!("{} %", threshold_percent(i.partial_threshold)),
        ));
        let targets: Vec<YearValue> = i.targets.clone();
        stored.push((
            "Cibles".into(),
            targets
                .iter()
                .map(|t| {
                    format!(
                        "{} : {}{}",
                        t.year,
                        t.value.map(number_fr).unwrap_or_default(),
                        t.text.as_ref().map(|x| format!(" {x}")).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(" ; "),
        ));
    }
    form.version = current.version;
    let page = page(
        &ctx,
        session,
        kind,
        Some(item),
        form,
        FieldErrors::default(),
        Some(Conflict {
            who,
            when: at,
            stored,
        }),
    );
    Err(AppError::conflict(page))
}
