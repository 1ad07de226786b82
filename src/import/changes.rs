//! What a re-import changes in a stored plan.

use crate::domain::model::{PlanDraft, action_key};
use crate::plans::read::PlanTree;

/// What an import changes in an existing plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Changes {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// Items of the plan the file no longer has; removing them loses their values.
    pub removed: Vec<String>,
}

/// Compares a file's plan with the stored one.
pub fn changes(existing: &PlanTree, draft: &PlanDraft) -> Changes {
    let mut out = Changes::default();
    let old_objectives: Vec<_> = existing
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .collect();
    let old_actions: Vec<_> = old_objectives
        .iter()
        .flat_map(|o| o.actions.iter())
        .collect();
    for objective in &draft.objectives {
        match old_objectives.iter().find(|o| o.code == objective.code) {
            Some(o) if o.label != objective.label => out
                .updated
                .push(format!("Objectif {} : intitulé", objective.code)),
            Some(_) => {}
            None => out
                .created
                .push(format!("Objectif {} — {}", objective.code, objective.label)),
        }
        for action in &objective.actions {
            let key = action_key(action.code.as_deref(), &action.label);
            let name = action
                .code
                .as_ref()
                .map_or(action.label.clone(), |c| format!("Action {c}"));
            match old_actions
                .iter()
                .find(|a| action_key(a.code.as_deref(), &a.label) == key)
            {
                None => out.created.push(format!("{name} — {}", action.label)),
                Some(a) => {
                    if a.label != action.label {
                        out.updated.push(format!("{name} : intitulé"));
                    }
                    for (i, indicator) in action.indicators.iter().enumerate() {
                        match a.indicators.get(i) {
                            None => out
                                .created
                                .push(format!("{name} : indicateur « {} »", indicator.label)),
                            Some(old) => {
                                let old_targets: Vec<_> = old
                                    .targets
                                    .iter()
                                    .map(|t| (t.year, t.value, t.text.clone()))
                                    .collect();
                                let new_targets: Vec<_> = indicator
                                    .targets
                                    .iter()
                                    .map(|t| (t.year, t.value, t.text.clone()))
                                    .collect();
                                if old.label != indicator.label
                                    || old_targets != new_targets
                                    || old.unit != indicator.unit
                                    || old.kind != indicator.kind
                                {
                                    out.updated.push(format!(
                                        "{name} : indicateur « {} »",
                                        indicator.label
                                    ));
                                }
                            }
                        }
                    }
                    for old in a.indicators.iter().skip(action.indicators.len()) {
                        out.removed.push(format!(
                            "{name} : indicateur « {} » et ses valeurs saisies",
                            old.label
                        ));
                    }
                }
            }
        }
    }
    let new_keys: Vec<String> = draft
        .actions()
        .map(|a| action_key(a.code.as_deref(), &a.label))
        .collect();
    for old in &old_actions {
        if !new_keys.contains(&action_key(old.code.as_deref(), &old.label)) {
            let name = old
                .code
                .as_ref()
                .map_or(old.label.clone(), |c| format!("Action {c}"));
            out.removed
                .push(format!("{name} — {} et ses valeurs saisies", old.label));
        }
    }
    for old in &old_objectives {
        if !draft.objectives.iter().any(|o| o.code == old.code) {
            out.removed
                .push(format!("Objectif {} — {}", old.code, old.label));
        }
    }
    out
}
