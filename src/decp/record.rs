//! One record checked against the schema, the same for the JSON and the CSV form: every problem
//! of a record is reported, never silently dropped.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{ABSURD_AMOUNT, Contract};
use crate::domain::number::{NumberError, parse_fr};

const SOCIAL: [&str; 4] = [
    "Clause sociale",
    "Critère social",
    "Marché réservé",
    "Pas de considération sociale",
];
const ENVIRONMENTAL: [&str; 3] = [
    "Clause environnementale",
    "Critère environnemental",
    "Pas de considération environnementale",
];

/// Whether a text stands for « unknown » in the published files: empty, « NC » (non
/// communiqué), or what a pandas pipeline writes for a missing value.
pub(super) fn absent(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || [
            "nc",
            "nan",
            "null",
            "none",
            "n/a",
            "inf",
            "-inf",
            "infinity",
            "-infinity",
        ]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// A value as text, `None` when absent (see [`absent`]).
pub(super) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if absent(s) => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A SIRET as a spreadsheet or pandas may have written it: `21750001630066.0` is read as
/// `21750001630066`.
pub(super) fn siret_text(v: &Value) -> Option<String> {
    let text = as_text(v)?;
    Some(match text.strip_suffix(".0") {
        Some(digits) if digits.chars().all(|c| c.is_ascii_digit()) => digits.to_string(),
        _ => text,
    })
}

/// The buyer a record names, before anything else of it is read (to set aside other buyers').
pub(super) fn buyer_of(record: &Value, concession: bool) -> Option<String> {
    let key = if concession {
        "autoriteConcedante"
    } else {
        "acheteur"
    };
    record
        .get(key)
        .and_then(|b| b.get("id"))
        .and_then(siret_text)
}

fn amount_of(v: Option<&Value>, what: &str, problems: &mut Vec<String>) -> Option<Decimal> {
    // Absent, null (a `NaN` of the file), « NC » or empty: missing, not unreadable.
    let Some(v) = v.filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !absent(s),
        _ => true,
    }) else {
        problems.push(format!("{what} manquant"));
        return None;
    };
    let value = match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        // Written by a person or a spreadsheet: French writing (`95 000,50`), in euros.
        Value::String(s) => match parse_fr(s) {
            Ok(Some(n)) if n.unit.is_none() || n.unit.as_deref() == Some("€") => Some(n.value),
            Err(NumberError::TooLarge(_)) => {
                problems.push(format!("{what} invraisemblable (« {} »)", s.trim()));
                return None;
            }
            _ => None,
        },
        _ => None,
    };
    match value {
        None => {
            problems.push(format!("{what} illisible"));
            None
        }
        Some(a) if a.is_sign_negative() => {
            problems.push(format!("{what} négatif ({a})"));
            None
        }
        Some(a) if a > Decimal::from(ABSURD_AMOUNT) => {
            problems.push(format!("{what} invraisemblable ({a} €)"));
            None
        }
        Some(a) => Some(a),
    }
}

fn date_of(v: Option<&Value>, what: &str, problems: &mut Vec<String>) -> Option<NaiveDate> {
    let Some(text) = v.and_then(as_text) else {
        problems.push(format!("{what} manquante"));
        return None;
    };
    // Dates sometimes carry a time or a zone: the day is what counts.
    let day: String = text.chars().take(10).collect();
    match NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
        Ok(d) if (1990..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            problems.push(format!("{what} illisible (« {text} »)"));
            None
        }
    }
}

fn ids(list: Option<&Value>, key: &str) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get(key).and_then(|h| h.get("id")).and_then(as_text))
                .collect()
        })
        .unwrap_or_default()
}

/// The considerations of a record, each checked against the schema's values.
fn considerations(
    values: &[String],
    allowed: &[&str],
    what: &str,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for v in values {
        let v = v.trim();
        if absent(v) || v.eq_ignore_ascii_case("sans objet") {
            continue;
        }
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(v)) {
            Some(a) => out.push(a.to_string()),
            None => problems.push(format!("{what} inconnue : « {v} »")),
        }
    }
    out
}

fn list_of(record: &Value, outer: &str, inner: &str) -> Vec<String> {
    match record.get(outer) {
        Some(Value::Object(o)) => o
            .get(inner)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(as_text).collect())
            .unwrap_or_default(),
        Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn read_record(record: &Value, concession: bool) -> Result<Contract, Vec<String>> {
    let mut problems = Vec::new();
    if !record.is_object() {
        return Err(vec!["ce n'est pas un objet JSON".into()]);
    }
    let id = record.get("id").and_then(as_text);
    if id.is_none() {
        problems.push("id manquant".into());
    }
    let buyer_key = if concession {
        "autoriteConcedante"
    } else {
        "acheteur"
    };
    let buyer = buyer_of(record, concession);
    match &buyer {
        None => problems.push(format!("{buyer_key}.id manquant")),
        Some(b) if !(b.len() == 14 && b.chars().all(|c| c.is_ascii_digit())) => problems.push(
            format!("{buyer_key}.id n'est pas un SIRET (14 chiffres) : « {b} »"),
        ),
        _ => {}
    }
    let (amount_key, date_key, holders_key, holder_key) = if concession {
        (
            "valeurGlobale",
            "dateSignature",
            "concessionnaires",
            "concessionnaire",
        )
    } else {
        ("montant", "dateNotification", "titulaires", "titulaire")
    };
    let mut amount = amount_of(record.get(amount_key), amount_key, &mut problems);
    let notified_on = date_of(record.get(date_key), date_key, &mut problems);
    let social = considerations(
        &list_of(record, "considerationsSociales", "considerationSociale"),
        &SOCIAL,
        "considération sociale",
        &mut problems,
    );
    let environmental = considerations(
        &list_of(
            record,
            "considerationsEnvironnementales",
            "considerationEnvironnementale",
        ),
        &ENVIRONMENTAL,
        "considération environnementale",
        &mut problems,
    );
    let mut holders = ids(record.get(holders_key), holder_key);
    // Modifications, in their order: the latest amount and holders are the contract's.
    let mut modifications: Vec<&Value> = record
        .get("modifications")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|x| x.get("modification")).collect())
        .unwrap_or_default();
    modifications.sort_by_key(|m| m.get("id").and_then(Value::as_i64).unwrap_or(0));
    // The latest modification's date, when one is given and readable (never an error: it only
    // orders two versions of a contract).
    let revised_on = modifications
        .iter()
        .flat_map(|m| {
            [
                "dateNotificationModification",
                "datePublicationDonneesModification",
                "dateSignatureModification",
            ]
            .map(|k| m.get(k).and_then(as_text))
        })
        .flatten()
        .filter_map(|t| {
            NaiveDate::parse_from_str(&t.chars().take(10).collect::<String>(), "%Y-%m-%d").ok()
        })
        .max();
    for m in &modifications {
        if let Some(v) = m.get(amount_key) {
            let mut local = Vec::new();
            match amount_of(
                Some(v),
                &format!("{amount_key} de la modification"),
                &mut local,
            ) {
                Some(a) => amount = amount.map(|_| a),
                None => problems.extend(local),
            }
        }
        let new_holders = ids(m.get(holders_key), holder_key);
        if !new_holders.is_empty() {
            holders = new_holders;
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (Some(id), Some(buyer), Some(amount), Some(notified_on)) = (id, buyer, amount, notified_on)
    else {
        return Err(vec!["champs obligatoires manquants".into()]);
    };
    let text = |k: &str| record.get(k).and_then(as_text).unwrap_or_default();
    Ok(Contract {
        id,
        buyer,
        concession,
        object: text("objet"),
        amount,
        notified_on,
        procedure: text("procedure"),
        nature: text("nature"),
        cpv: record.get("codeCPV").and_then(as_text),
        holders,
        social_clause: social.iter().any(|s| s == "Clause sociale"),
        social_criterion: social.iter().any(|s| s == "Critère social"),
        reserved: social.iter().any(|s| s == "Marché réservé"),
        env_clause: environmental.iter().any(|s| s == "Clause environnementale"),
        env_criterion: environmental.iter().any(|s| s == "Critère environnemental"),
        modifications: modifications.len(),
        revised_on,
    })
}
