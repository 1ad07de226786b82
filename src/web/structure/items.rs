//! The form of one item of the structure — an axis, an objective, an action or an indicator —
//! to add it or to change it. A change names the version it was read at: when someone else saved
//! the item meanwhile, the page says who and when, shows what they saved, and keeps what this
//! person wrote (409), never overwriting either silently.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Choice, Context, author, kind_of, when};
use crate::domain::format::number_fr;
use crate::domain::ids::{ActionId, AxisId, IndicatorId, ObjectiveId, ServiceId};
use crate::domain::model::YearValue;
use crate::domain::structure::{
    self, FieldErrors, IndicatorInput, ItemKind, UNITS, item_text, target_text_field,
    target_value_field, threshold_percent,
};
use crate::plans::structure::read::Structure;
use crate::plans::structure::{EditError, write};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::form::{Form, Query};
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

/// The form as sent: every field by name (the pilots repeated, the targets by year).
#[derive(Debug, Default, Clone)]
pub struct ItemForm {
    pub code: String,
    pub label: String,
    pub parent: String,
    pub kind: String,
    pub unit: String,
    pub direction: String,
    pub baseline_value: String,
    pub baseline_year: String,
    pub baseline_source: String,
    pub threshold: String,
    pub pilots: Vec<String>,
    pub version: String,
    /// (number, text) as written, by year.
    pub targets: HashMap<i32, (String, String)>,
}

impl ItemForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "code" => form.code = value,
                "label" => form.label = value,
                "parent" => form.parent = value,
                "kind" => form.kind = value,
                "unit" => form.unit = value,
                "direction" => form.direction = value,
                "baseline_value" => form.baseline_value = value,
                "baseline_year" => form.baseline_year = value,
                "baseline_source" => form.baseline_source = value,
                "threshold" => form.threshold = value,
                "pilot" => form.pilots.push(value),
                "version" => form.version = value,
                other => {
                    let (year, is_text) = match other.strip_prefix("target_text_") {
                        Some(y) => (y, true),
                        None => match other.strip_prefix("target_") {
                            Some(y) => (y, false),
                            None => continue,
                        },
                    };
                    if let Ok(year) = year.parse::<i32>() {
                        let slot = form.targets.entry(year).or_default();
                        if is_text {
                            slot.1 = value;
                        } else {
                            slot.0 = value;
                        }
                    }
                }
            }
        }
        form
    }

    /// The form of a new item, under `parent`.
    fn new_item(s: &Structure, kind: ItemKind, parent: Option<i64>) -> Self {
        let mut form = Self {
            parent: parent.map(|p| p.to_string()).unwrap_or_default(),
            direction: "up".into(),
            threshold: threshold_percent(structure::default_threshold()),
            ..Default::default()
        };
        if kind == ItemKind::Objective {
            // The next number, as most plans number their objectives 1, 2, 3…
            let next = s
                .objectives
                .iter()
                .filter_map(|o| o.code.parse::<i64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            form.code = next.to_string();
        }
        if kind == ItemKind::Action && s.actions.iter().any(|a| a.code.is_some()) {
            let next = s
                .actions
                .iter()
                .filter_map(|a| a.code.as_deref()?.parse::<i64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            form.code = next.to_string();
        }
        form
    }

    /// The form of a stored item.
    fn stored(s: &Structure, kind: ItemKind, id: i64) -> Option<Self> {
        let ids = |p: &[ServiceId]| p.iter().map(|p| p.get().to_string()).collect();
        Some(match kind {
            ItemKind::Axis => {
                let a = s.axis(id)?;
                Self {
                    code: a.code.clone().unwrap_or_default(),
                    label: a.label.clone(),
                    version: a.version.to_string(),
                    ..Default::default()
                }
            }
            ItemKind::Objective => {
                let o = s.objective(id)?;
                Self {
                    code: o.code.clone(),
                    label: o.label.clone(),
                    parent: o.axis_id.map(|a| a.get().to_string()).unwrap_or_default(),
                    version: o.version.to_string(),
                    ..Default::default()
                }
            }
            ItemKind::Action => {
                let a = s.action(id)?;
                Self {
                    code: a.code.clone().unwrap_or_default(),
                    label: a.label.clone(),
                    parent: a.objective_id.get().to_string(),
                    pilots: ids(&a.pilots),
                    version: a.version.to_string(),
                    ..Default::default()
                }
            }
            ItemKind::Indicator => {
                let i = s.indicator(id)?;
                Self {
                    label: i.label.clone(),
                    parent: i.action_id.get().to_string(),
                    kind: i.kind.map(|k| k.as_db().to_string()).unwrap_or_default(),
                    unit: i.unit.clone().unwrap_or_default(),
                    direction: i.direction.as_db().into(),
                    baseline_value: i.baseline.map(|b| number_fr(b.0)).unwrap_or_default(),
                    baseline_year: i.baseline.map(|b| b.1.to_string()).unwrap_or_default(),
                    baseline_source: i.baseline_source.clone().unwrap_or_default(),
                    threshold: threshold_percent(i.partial_threshold),
                    pilots: ids(&i.pilots),
                    version: i.version.to_string(),
                    targets: i
                        .targets
                        .iter()
                        .map(|t| {
                            (
                                t.year,
                                (
                                    t.value.map(number_fr).unwrap_or_default(),
                                    t.text.clone().unwrap_or_default(),
                                ),
                            )
                        })
                        .collect(),
                    ..Default::default()
                }
            }
        })
    }
}

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

/// What the form asks to write, checked.
enum Checked {
    Axis(structure::ItemText),
    Objective(Option<AxisId>, structure::ItemText),
    Action(ObjectiveId, structure::ItemText, Vec<ServiceId>),
    Indicator(ActionId, structure::IndicatorSettings, Vec<ServiceId>),
}

fn check(s: &Structure, kind: ItemKind, form: &ItemForm) -> Result<Checked, FieldErrors> {
    let term = s.plan.objective_term;
    let mut errors = FieldErrors::default();
    let parent: Option<i64> = form.parent.trim().parse().ok();
    let pilots: Vec<ServiceId> = form
        .pilots
        .iter()
        .filter_map(|p| p.parse().ok())
        .filter(|p| s.services.iter().any(|(id, _)| id.get() == *p))
        .map(ServiceId)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let merge = |errors: &mut FieldErrors, e: FieldErrors| {
        for (f, m) in e.iter() {
            errors.add(f, m);
        }
    };
    match kind {
        ItemKind::Axis => {
            item_text(&form.code, &form.label, false, "l'intitulé de l'axe").map(Checked::Axis)
        }
        ItemKind::Objective => {
            // An axis is asked for where the plan has some (an imported plan may say it has
            // axes and hold none).
            let axis = if s.plan.has_axes && !s.axes.is_empty() {
                match parent.and_then(|p| s.axis(p)) {
                    Some(a) => Some(a.id),
                    None => {
                        errors.add("parent", "Choisissez l'axe.");
                        None
                    }
                }
            } else {
                None
            };
            let text = item_text(
                &form.code,
                &form.label,
                true,
                &format!("l'intitulé de {}", kind.the(term)),
            )
            .map_err(|e| merge(&mut errors, e));
            match text {
                Ok(text) => errors.or(Checked::Objective(axis, text)),
                Err(()) => Err(errors),
            }
        }
        ItemKind::Action => {
            let objective = parent.and_then(|p| s.objective(p)).map(|o| o.id);
            if objective.is_none() {
                errors.add(
                    "parent",
                    format!("Choisissez {}.", ItemKind::Objective.the(term)),
                );
            }
            let text = item_text(&form.code, &form.label, false, "l'intitulé de l'action")
                .map_err(|e| merge(&mut errors, e));
            match (objective, text) {
                (Some(o), Ok(text)) => errors.or(Checked::Action(o, text, pilots)),
                _ => Err(errors),
            }
        }
        ItemKind::Indicator => {
            let action = parent.and_then(|p| s.action(p)).map(|a| a.id);
            if action.is_none() {
                errors.add("parent", "Choisissez l'action que l'indicateur mesure.");
            }
            let open_years: Vec<i32> = (s.plan.first_year..=s.plan.last_year)
                .filter(|y| !s.locked_years.contains(y))
                .collect();
            let input = IndicatorInput {
                label: &form.label,
                kind: &form.kind,
                unit: &form.unit,
                direction: &form.direction,
                baseline_value: &form.baseline_value,
                baseline_year: &form.baseline_year,
                baseline_source: &form.baseline_source,
                threshold: &form.threshold,
                targets: open_years
                    .iter()
                    .map(|y| {
                        let (v, t) = form
                            .targets
                            .get(y)
                            .map(|(v, t)| (v.as_str(), t.as_str()))
                            .unwrap_or(("", ""));
                        (*y, v, t)
                    })
                    .collect(),
            };
            let settings = structure::indicator_settings(&input).map_err(|e| merge(&mut errors, e));
            match (action, settings) {
                (Some(a), Ok(settings)) => errors.or(Checked::Indicator(a, settings, pilots)),
                _ => Err(errors),
            }
        }
    }
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
