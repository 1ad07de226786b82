//! The bilan as files: CSV for Excel in France (UTF-8 with BOM, `;`, decimal comma, no text cell a
//! spreadsheet would run as a formula), XLSX (real numbers with number formats, frozen header),
//! JSON for open data (documented in `static/schema/bilan-v2.json`).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use serde_json::{Value, json};

use super::{Bilan, Row};
use crate::plans::values::StatusView;

/// The columns, in order, for a given year.
/// The XLSX's column widths, in characters, in the order of [`headers`]: long texts wide
/// (and wrapped), codes and numbers narrow.
const WIDTHS: [f64; 20] = [
    24.0, 9.0, 44.0, 14.0, 9.0, 44.0, 22.0, 14.0, 44.0, 9.0, 12.0, 28.0, 12.0, 28.0, 12.0, 14.0,
    14.0, 36.0, 70.0, 28.0,
];

fn headers(bilan: &Bilan) -> Vec<String> {
    let y = bilan.year;
    let previous = bilan.previous_year.map_or_else(
        || "Réalisé année précédente".to_string(),
        |p| format!("Réalisé {p}"),
    );
    vec![
        "Axe".into(),
        format!("N° {}", bilan.objective_term.label().to_lowercase()),
        bilan.objective_term.label().into(),
        format!("Statut {}", bilan.objective_term.label().to_lowercase()),
        "N° action".into(),
        "Action".into(),
        "Pilotes".into(),
        "Statut action".into(),
        "Indicateur".into(),
        "Unité".into(),
        format!("Cible {y}"),
        format!("Cible {y} (texte)"),
        format!("Réalisé {y}"),
        format!("Réalisé {y} (texte)"),
        previous,
        "Statut indicateur".into(),
        "Statut fixé à la main".into(),
        "Justification".into(),
        format!("Mis en œuvre {y}"),
        format!("Publication des valeurs {y}"),
    ]
}

/// What the public export says of an action whose values are left out.
pub const WITHHELD: &str = "Valeurs en cours de validation : non publiées";

/// A cell: text, or a number.
enum Cell {
    Text(String),
    Number(Option<Decimal>),
}

fn status_label(status: &StatusView) -> String {
    status.label().to_string()
}

/// The justification of the status set by hand nearest the indicator: its own, else its
/// action's, else its objective's.
fn by_hand(row: &Row<'_>) -> Option<String> {
    [
        row.indicator.map(|i| &i.status),
        Some(&row.action.status),
        Some(&row.objective.status),
    ]
    .into_iter()
    .flatten()
    .find_map(|s| s.overridden.as_ref())
    .map(|o| o.justification.clone())
}

fn cells(row: &Row<'_>) -> Vec<Cell> {
    let text = |s: Option<&str>| Cell::Text(s.unwrap_or_default().to_string());
    let i = row.indicator;
    let hand = by_hand(row);
    vec![
        text(row.axis),
        Cell::Text(row.objective.code.clone()),
        Cell::Text(row.objective.label.clone()),
        Cell::Text(status_label(&row.objective.status)),
        text(row.action.code.as_deref()),
        Cell::Text(row.action.label.clone()),
        Cell::Text(row.action.pilots.join(" / ")),
        Cell::Text(status_label(&row.action.status)),
        text(i.map(|i| i.label.as_str())),
        text(i.and_then(|i| i.unit.as_deref())),
        Cell::Number(i.and_then(|i| i.target)),
        text(i.and_then(|i| i.target_text.as_deref())),
        Cell::Number(i.and_then(|i| i.actual)),
        text(i.and_then(|i| i.actual_text.as_deref())),
        Cell::Number(i.and_then(|i| i.previous)),
        text(i.map(|i| i.status.label())),
        Cell::Text(if hand.is_some() {
            "oui".into()
        } else {
            "non".into()
        }),
        Cell::Text(hand.unwrap_or_default()),
        text(row.action.narrative.as_deref()),
        text(row.action.withheld.then_some(WITHHELD)),
    ]
}

/// A number as Excel in France reads it: decimal comma, no thousands separator.
fn csv_number(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

pub fn to_csv(bilan: &Bilan) -> Vec<u8> {
    use crate::domain::csv_file::{self, Cell as CsvCell};
    let header = headers(bilan).into_iter().map(CsvCell::Text).collect();
    let rows = bilan.rows().into_iter().map(|row| {
        cells(&row)
            .into_iter()
            .map(|c| match c {
                Cell::Text(t) => CsvCell::Text(t),
                Cell::Number(n) => CsvCell::Number(n.map(csv_number).unwrap_or_default()),
            })
            .collect()
    });
    csv_file::write(std::iter::once(header).chain(rows))
}

pub fn to_xlsx(bilan: &Bilan) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("Bilan {}", bilan.year))?;
    let top = Format::new().set_align(FormatAlign::Top);
    let bold = top.clone().set_bold().set_text_wrap();
    let text = top.clone().set_text_wrap();
    let integer = top.clone().set_num_format("#,##0");
    let decimal = top.set_num_format("#,##0.00");
    for (col, header) in headers(bilan).iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, header, &bold)?;
    }
    for (r, row) in bilan.rows().iter().enumerate() {
        let r = r as u32 + 1;
        for (col, cell) in cells(row).into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(t) if !t.is_empty() => {
                    sheet.write_string_with_format(r, col, &t, &text)?;
                }
                Cell::Number(Some(n)) => {
                    let format = if n.fract().is_zero() {
                        &integer
                    } else {
                        &decimal
                    };
                    sheet.write_number_with_format(
                        r,
                        col,
                        n.to_f64().unwrap_or_default(),
                        format,
                    )?;
                }
                _ => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, width) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.autofilter(0, 0, bilan.rows().len() as u32, WIDTHS.len() as u16 - 1)?;
    workbook.save_to_buffer()
}

fn number(value: Option<Decimal>) -> Value {
    value
        .and_then(|v| v.normalize().to_string().parse::<serde_json::Number>().ok())
        .map_or(Value::Null, Value::Number)
}

fn code(status: &StatusView) -> &'static str {
    status.status.as_db()
}

/// The bilan for open data, field names documented in `static/schema/bilan-v2.json`.
pub fn to_json(bilan: &Bilan) -> Value {
    let summary: Vec<Value> = bilan
        .summary
        .iter()
        .map(|s| {
            json!({
                "scope": s.label,
                "achieved": s.counts.achieved,
                "partial": s.counts.partial,
                "not_achieved": s.counts.not_achieved,
                "to_appraise": s.counts.to_appraise,
                "unknown": s.counts.unknown,
            })
        })
        .collect();
    let rows: Vec<Value> = bilan
        .rows()
        .iter()
        .map(|row| {
            let i = row.indicator;
            json!({
                "axis": row.axis,
                "objective_code": row.objective.code,
                "objective": row.objective.label,
                "objective_status": code(&row.objective.status),
                "action_code": row.action.code,
                "action": row.action.label,
                "action_status": code(&row.action.status),
                "pilots": row.action.pilots,
                "indicator": i.map(|i| i.label.clone()),
                "unit": i.and_then(|i| i.unit.clone()),
                "target": number(i.and_then(|i| i.target)),
                "target_text": i.and_then(|i| i.target_text.clone()),
                "actual": number(i.and_then(|i| i.actual)),
                "actual_text": i.and_then(|i| i.actual_text.clone()),
                "previous_actual": number(i.and_then(|i| i.previous)),
                "status": i.map(|i| code(&i.status)),
                "status_set_by_hand": by_hand(row).is_some(),
                "justification": by_hand(row),
                "narrative": row.action.narrative,
                "values_withheld": row.action.withheld,
            })
        })
        .collect();
    json!({
        "schema": "spaser-bilan/2",
        "organisation": bilan.organisation,
        "plan": {
            "title": bilan.plan_title,
            "first_year": bilan.first_year,
            "last_year": bilan.last_year,
        },
        "year": bilan.year,
        "previous_year": bilan.previous_year,
        "validation": match &bilan.validated {
            Some(lock) => json!({
                "state": "validated",
                "validated_on": lock.at.date_naive().to_string(),
                "validated_by": lock.by,
            }),
            None => json!({ "state": "provisional" }),
        },
        "summary": summary,
        "rows": rows,
    })
}
