//! The flat CSV form (data.gouv.fr, decp.info), each line read as the JSON record it stands for.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::record::{absent, read_record, siret_text};
use super::{Found, MAX_RECORD_BYTES, MAX_RECORDS, Reading, RecordError, Scope, too_many_records};

/// Reads the flat CSV of an upload (at most [`MAX_RECORDS`] lines): see [`stream_csv`].
pub fn read_csv(bytes: &[u8]) -> Result<Reading, String> {
    std::str::from_utf8(bytes).map_err(|_| "Le fichier CSV n'est pas en UTF-8.".to_string())?;
    let scope = Scope {
        buyers: None,
        max_records: Some(MAX_RECORDS),
    };
    Reading::gather(|on| stream_csv(bytes, scope, on))
}

/// Reads the flat CSV form line by line: `;` or `,` (whichever the header holds more of), list
/// values joined with `, `, « Sans objet » for none, one line per holder (folded back into one
/// contract by the gatherer), `modification_id` telling versions apart. Headers are matched
/// whatever their punctuation (`acheteur.id`, `acheteur_id`). Lines of buyers outside the scope
/// are only counted.
pub fn stream_csv<R: Read>(
    reader: R,
    scope: Scope<'_>,
    on: &mut dyn FnMut(Found),
) -> Result<(), String> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let mut first = Vec::new();
    reader
        .by_ref()
        .take(MAX_RECORD_BYTES as u64)
        .read_until(b'\n', &mut first)
        .map_err(|e| format!("Lecture du fichier impossible : {e}."))?;
    let header = std::str::from_utf8(&first)
        .map_err(|_| "Le fichier CSV n'est pas en UTF-8.".to_string())?;
    let header = header.trim_start_matches('\u{FEFF}').to_string();
    let delimiter = if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(std::io::Cursor::new(header.into_bytes()).chain(reader));
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
    let (object, procedure, nature, cpv, holders, social, env, modification, published) = (
        optional(&["objet"]),
        optional(&["procedure"]),
        optional(&["nature"]),
        optional(&["codecpv"]),
        optional(&["titulaireid", "titulaires", "titulairesid"]),
        optional(&["considerationssociales"]),
        optional(&["considerationsenvironnementales"]),
        optional(&["modificationid"]),
        optional(&["datepublicationdonnees"]),
    );
    let mut record = ::csv::StringRecord::new();
    for i in 0.. {
        let over = scope.max_records.is_some_and(|max| i >= max);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) | Err(_) if over => return Err(too_many_records()),
            Ok(true) => {}
            Err(e) => {
                on(Found::Bad(RecordError {
                    index: i + 1,
                    id: None,
                    problems: vec![format!("ligne illisible : {e}")],
                }));
                continue;
            }
        }
        // A line is checked before anything is made of it.
        if record.as_slice().len() > MAX_RECORD_BYTES {
            on(Found::Bad(RecordError {
                index: i + 1,
                id: None,
                problems: vec![format!(
                    "ligne trop longue (plus de {} Ko) : c'est la limite d'un enregistrement",
                    MAX_RECORD_BYTES / 1024
                )],
            }));
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        // With a list of buyers, a line naming none is not one of theirs.
        if siret_text(&Value::String(get(Some(buyer))))
            .map_or(scope.buyers.is_some(), |b| !scope.keeps(&b))
        {
            on(Found::OtherBuyer);
            continue;
        }
        let split = |c: Option<usize>| -> Vec<Value> {
            get(c)
                .split(", ")
                .filter(|s| !absent(s))
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
        on(match read_record(&json, false) {
            Ok(mut contract) => {
                // A modification's line: its rank orders the versions of the contract.
                contract.modifications = get(modification)
                    .trim_end_matches(".0")
                    .parse()
                    .unwrap_or(0);
                contract.revised_on = Some(get(published))
                    .filter(|_| contract.modifications > 0)
                    .and_then(|d| {
                        chrono::NaiveDate::parse_from_str(
                            &d.chars().take(10).collect::<String>(),
                            "%Y-%m-%d",
                        )
                        .ok()
                    });
                Found::Contract {
                    contract,
                    fold: true,
                }
            }
            Err(problems) => Found::Bad(RecordError {
                index: i + 1,
                id: Some(get(Some(id))).filter(|s| !absent(s)),
                problems,
            }),
        });
    }
    Ok(())
}
