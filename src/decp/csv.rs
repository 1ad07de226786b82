//! The flat CSV form, each line read as the JSON record it stands for.

use serde_json::Value;

use super::record::read_record;
use super::{MAX_RECORD_BYTES, MAX_RECORDS, Reading, RecordError, too_many_records};

/// Reads the flat CSV form: one line per contract, list values joined with `, `, « Sans objet »
/// for none. Headers are matched whatever their punctuation (`acheteur.id`, `acheteur_id`).
pub fn read_csv(bytes: &[u8]) -> Result<Reading, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| "Le fichier CSV n'est pas en UTF-8.".to_string())?;
    let text = text.trim_start_matches('\u{FEFF}');
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("En-têtes illisibles : {e}"))?
        .iter()
        .map(|h| {
            h.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .collect();
    let col = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n))
    };
    let (Some(id), Some(buyer), Some(amount), Some(date)) = (
        col(&["id"]),
        col(&["acheteurid", "acheteur"]),
        col(&["montant"]),
        col(&["datenotification"]),
    ) else {
        return Err("Colonnes introuvables : il faut au moins id, acheteur.id, montant et dateNotification.".into());
    };
    let optional = |names: &[&str]| col(names);
    let (object, procedure, nature, cpv, holders, social, env) = (
        optional(&["objet"]),
        optional(&["procedure"]),
        optional(&["nature"]),
        optional(&["codecpv"]),
        optional(&["titulaireid", "titulaires", "titulairesid"]),
        optional(&["considerationssociales"]),
        optional(&["considerationsenvironnementales"]),
    );
    let mut reading = Reading::default();
    let mut record = ::csv::StringRecord::new();
    for i in 0.. {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) | Err(_) if i >= MAX_RECORDS => return Err(too_many_records()),
            Ok(true) => {}
            Err(e) => {
                reading.bad(RecordError {
                    index: i + 1,
                    id: None,
                    problems: vec![format!("ligne illisible : {e}")],
                });
                continue;
            }
        }
        // A line is checked before anything is made of it.
        if record.as_slice().len() > MAX_RECORD_BYTES {
            reading.bad(RecordError {
                index: i + 1,
                id: None,
                problems: vec![format!(
                    "ligne trop longue (plus de {} Ko) : c'est la limite d'un enregistrement",
                    MAX_RECORD_BYTES / 1024
                )],
            });
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let split = |c: Option<usize>| -> Vec<Value> {
            get(c)
                .split(", ")
                .filter(|s| !s.trim().is_empty())
                .map(|s| Value::String(s.trim().to_string()))
                .collect()
        };
        // Build the JSON record and read it the same way.
        let json = serde_json::json!({
            "id": get(Some(id)),
            "acheteur": {"id": get(Some(buyer))},
            "montant": get(Some(amount)),
            "dateNotification": get(Some(date)),
            "objet": get(object),
            "procedure": get(procedure),
            "nature": get(nature),
            "codeCPV": get(cpv),
            "titulaires": split(holders).into_iter().map(|h| serde_json::json!({"titulaire": {"id": h}})).collect::<Vec<_>>(),
            "considerationsSociales": {"considerationSociale": split(social)},
            "considerationsEnvironnementales": {"considerationEnvironnementale": split(env)},
        });
        match read_record(&json, false) {
            Ok(c) => reading.contracts.push(c),
            Err(problems) => reading.bad(RecordError {
                index: i + 1,
                id: Some(get(Some(id))).filter(|s| !s.is_empty()),
                problems,
            }),
        }
    }
    Ok(reading)
}
