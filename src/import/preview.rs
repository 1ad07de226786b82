//! The preview of a file's plan, as text or as JSON, for the command line.

use super::{Changes, Payload};

/// The preview as text, for the command line.
pub fn preview_text(payload: &Payload, changes: Option<&Changes>) -> String {
    use std::fmt::Write;
    let d = &payload.draft;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "« {} » ({}–{}) : {} axe(s), {} objectif(s), {} action(s), {} indicateur(s), {} pilote(s)",
        payload.header.title,
        payload.header.first_year,
        payload.header.last_year,
        d.axes.len(),
        d.objectives.len(),
        d.actions().count(),
        d.indicators().count(),
        d.pilot_names().len()
    );
    for objective in &d.objectives {
        let _ = writeln!(out, "Objectif {} — {}", objective.code, objective.label);
        for action in &objective.actions {
            let _ = writeln!(
                out,
                "  Action {} — {}",
                action.code.as_deref().unwrap_or("—"),
                action.label
            );
            for indicator in &action.indicators {
                let _ = writeln!(out, "    Indicateur : {}", indicator.label);
                for t in &indicator.targets {
                    let value = t
                        .value
                        .map(|v| crate::domain::format::quantity_fr(v, indicator.unit.as_deref()));
                    let said = match (value, &t.text) {
                        (Some(v), Some(text)) => format!("{v} (« {text} »)"),
                        (Some(v), None) => v,
                        (None, Some(text)) => format!("« {text} » (texte)"),
                        (None, None) => "—".into(),
                    };
                    let _ = writeln!(
                        out,
                        "      {} : {}",
                        t.year,
                        said.replace(['\u{202F}', '\u{A0}'], " ")
                    );
                }
            }
        }
    }
    if !payload.notes.is_empty() {
        let _ = writeln!(out, "À vérifier :");
        for note in &payload.notes {
            let _ = writeln!(out, "  ligne {} : {}", note.line, note.message);
        }
    }
    if let Some(c) = changes {
        let _ = writeln!(
            out,
            "Mise à jour du plan existant : {} création(s), {} modification(s), {} retrait(s)",
            c.created.len(),
            c.updated.len(),
            c.removed.len()
        );
        for r in &c.removed {
            let _ = writeln!(out, "  retrait : {r}");
        }
    }
    out
}

/// A number for JSON: whole numbers as integers, others as decimals.
fn json_number(value: rust_decimal::Decimal) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    let value = value.normalize();
    if value.scale() == 0
        && let Some(n) = value.to_i64()
    {
        return n.into();
    }
    value
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// The whole preview as JSON: the plan, its axes, objectives, actions and indicators (label,
/// kind, unit, direction, baseline, threshold, pilots, targets per year), the sheet and columns
/// read, the warnings with their row and column, and what a re-import changes.
pub fn preview_json(payload: &Payload, changes: Option<&Changes>) -> serde_json::Value {
    use serde_json::json;
    let d = &payload.draft;
    let h = &payload.header;
    let objectives: Vec<serde_json::Value> = d
        .objectives
        .iter()
        .map(|o| {
            json!({
                "code": o.code,
                "label": o.label,
                "axis": o.axis.and_then(|n| d.axes.iter().find(|a| a.number == n)).map(|a| a.name()),
                "actions": o.actions.iter().map(|a| json!({
                    "code": a.code,
                    "label": a.label,
                    "indicators": a.indicators.iter().map(|i| json!({
                        "label": i.label,
                        "kind": i.kind.map(|k| k.as_db()),
                        "unit": i.unit,
                        "direction": i.direction.as_db(),
                        "baseline": i.baseline.as_ref().map(|b| json!({"year": b.year, "value": json_number(b.value)})),
                        // The share of the target that makes it « partiellement atteint »
                        // (the status rules' default, /regles).
                        "threshold": 0.8,
                        "pilots": i.pilots,
                        "targets_source": i.targets_source,
                        "targets": i.targets.iter().map(|t| json!({
                            "year": t.year,
                            "number": t.value.map(json_number),
                            "text": t.text,
                        })).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "plan": {
            "title": h.title,
            "first_year": h.first_year,
            "last_year": h.last_year,
            "adopted_on": h.adopted_on.map(|d| d.to_string()),
        },
        "sheet": payload.sheet,
        "sheets": payload.sheets,
        "header_row": payload.header_row,
        "columns": payload.columns,
        "axes": d.axes.iter().map(|a| json!({"number": a.number, "name": a.name(), "label": a.label})).collect::<Vec<_>>(),
        "objectives": objectives,
        "warnings": payload.notes.iter().map(|n| json!({
            "row": n.line,
            "column": n.column,
            "message": n.message,
        })).collect::<Vec<_>>(),
        "changes": changes,
    })
}
