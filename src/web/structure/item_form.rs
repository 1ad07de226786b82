//! The item form as sent, read back from what is stored, and checked into what the store writes.

use std::collections::HashMap;

use crate::domain::format::number_fr;
use crate::domain::ids::{ActionId, AxisId, ObjectiveId, ServiceId};
use crate::domain::structure::{
    self, FieldErrors, IndicatorInput, ItemKind, item_text, threshold_percent,
};
use crate::plans::structure::read::Structure;

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
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
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
    pub fn new_item(s: &Structure, kind: ItemKind, parent: Option<i64>) -> Self {
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
    pub fn stored(s: &Structure, kind: ItemKind, id: i64) -> Option<Self> {
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

/// What the form asks to write, checked.
pub enum Checked {
    Axis(structure::ItemText),
    Objective(Option<AxisId>, structure::ItemText),
    Action(ObjectiveId, structure::ItemText, Vec<ServiceId>),
    Indicator(ActionId, structure::IndicatorSettings, Vec<ServiceId>),
}

pub fn check(s: &Structure, kind: ItemKind, form: &ItemForm) -> Result<Checked, FieldErrors> {
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
