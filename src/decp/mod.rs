//! Reading the buyer's contract data (DECP v2, « données essentielles de la commande publique »):
//! the official JSON (`{"marches": {"marche": [...], "contrat-concession": [...]}}`) or the flat
//! CSV that data.gouv.fr and decp.info publish. Every record is checked; the bad ones are reported
//! by their rank and id, never silently dropped.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::domain::number::{NumberError, parse_fr};

/// Amounts above this (100 billion euros) are taken for typing slips.
pub const ABSURD_AMOUNT: i64 = 100_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: String,
    pub buyer: String,
    pub concession: bool,
    pub object: String,
    /// € HT, after the modifications.
    pub amount: Decimal,
    pub notified_on: NaiveDate,
    pub procedure: String,
    pub nature: String,
    pub cpv: Option<String>,
    pub holders: Vec<String>,
    pub social_clause: bool,
    pub social_criterion: bool,
    pub reserved: bool,
    pub env_clause: bool,
    pub env_criterion: bool,
    pub modifications: usize,
}

/// A record that could not be read: its rank in the file (from 1), its id, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub index: usize,
    pub id: Option<String>,
    pub problems: Vec<String>,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "enregistrement {} ({}) : {}",
            self.index,
            self.id.as_deref().unwrap_or("sans id"),
            self.problems.join(" ; ")
        )
    }
}

/// The largest file accepted for upload (the readers below also take larger ones, for the
/// benchmark: their bounds are on records and values).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Records in one file, at most: a buyer's contracts of many years fit well below.
pub const MAX_RECORDS: usize = 100_000;
/// Values (objects, lists, texts, numbers) in one JSON record, at most.
pub const MAX_RECORD_VALUES: usize = 10_000;
/// Bytes of one CSV line, at most.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Bad records kept with their detail; the others are counted.
pub const ERRORS_KEPT: usize = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub contracts: Vec<Contract>,
    /// The first [`ERRORS_KEPT`] bad records.
    pub errors: Vec<RecordError>,
    /// All the bad records.
    pub error_count: usize,
}

impl Reading {
    fn bad(&mut self, error: RecordError) {
        self.error_count += 1;
        if self.errors.len() < ERRORS_KEPT {
            self.errors.push(error);
        }
    }
}

fn too_many_records() -> String {
    format!(
        "Le fichier compte plus de {} enregistrements : c'est la limite d'un import. Découpez-le (par exemple par année) et importez chaque partie.",
        crate::domain::format::number_fr(MAX_RECORDS.into())
    )
}

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

/// Reads the official JSON, one record at a time: a record is read, checked and dropped before
/// the next, so memory holds the contracts, not the file's tree. Records, values per record and
/// kept errors are bounded.
pub fn read_json(bytes: &[u8]) -> Result<Reading, String> {
    let mut state = JsonState::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let outcome = serde::de::DeserializeSeed::deserialize(Root(&mut state), &mut deserializer)
        .and_then(|found| deserializer.end().map(|_| found));
    if let Some(message) = state.fatal.take() {
        return Err(message);
    }
    match outcome {
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(NO_ENVELOPE.into()),
        Err(e) => Err(format!(
            "Le fichier n'est pas un JSON valide (ligne {}, colonne {}).",
            e.line(),
            e.column()
        )),
        Ok(false) => Err(NO_ENVELOPE.into()),
        Ok(true) if !state.lists => Err("Ce fichier n'est pas au format DECP v2 : ni « marche » ni « contrat-concession » dans « marches ».".into()),
        Ok(true) => Ok(state.reading),
    }
}

const NO_ENVELOPE: &str =
    "Ce fichier n'est pas au format DECP v2 : l'enveloppe « marches » est absente.";

#[derive(Default)]
struct JsonState {
    reading: Reading,
    records: usize,
    /// Whether « marche » or « contrat-concession » was met.
    lists: bool,
    /// Why the reading stopped, for the user.
    fatal: Option<String>,
}

impl JsonState {
    fn stop<E: serde::de::Error>(&mut self, message: String) -> E {
        self.fatal = Some(message);
        E::custom("lecture arrêtée")
    }
}

/// The document: an object with « marches »; anything else has no envelope.
struct Root<'a>(&'a mut JsonState);

impl<'de> serde::de::DeserializeSeed<'de> for Root<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Root<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("un objet DECP")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "marches" && !found {
                map.next_value_seed(Marches(&mut *self.0))?;
                found = true;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// « marches »: an object of two lists (v2); a list is DECP v1.
struct Marches<'a>(&'a mut JsonState);

impl<'de> serde::de::DeserializeSeed<'de> for Marches<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Marches<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("l'objet « marches »")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.stop("Ce fichier est au format DECP v1 (tableau « marches ») : seul le format v2 (contrats notifiés depuis 2024) est lu.".into()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "marche" | "contrat-concession" => {
                    self.0.lists = true;
                    map.next_value_seed(Records {
                        state: &mut *self.0,
                        concession: key == "contrat-concession",
                    })?;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    // Neither object nor list: no lists in it.
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A list of records, each read into a bounded tree, checked, then dropped.
struct Records<'a> {
    state: &'a mut JsonState,
    concession: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Records<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Records<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("une liste d'enregistrements")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            if self.state.records >= MAX_RECORDS {
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(self.state.stop(too_many_records()));
                }
                return Ok(());
            }
            let index = self.state.records + 1;
            let budget = std::cell::Cell::new(MAX_RECORD_VALUES);
            let Some(record) = seq.next_element_seed(Bounded(&budget)).map_err(|e| {
                if budget.get() == Bounded::SPENT {
                    self.state.stop(format!(
                        "L'enregistrement {index} compte plus de {} valeurs : c'est la limite d'un enregistrement.",
                        crate::domain::format::number_fr(MAX_RECORD_VALUES.into())
                    ))
                } else {
                    e
                }
            })?
            else {
                return Ok(());
            };
            self.state.records = index;
            match read_record(&record, self.concession) {
                Ok(c) => self.state.reading.contracts.push(c),
                Err(problems) => self.state.reading.bad(RecordError {
                    index,
                    id: record.get("id").and_then(as_text),
                    problems,
                }),
            }
        }
    }

    // Not a list: no records (as an empty list).
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A JSON value of at most so many nodes (the budget, shared by the whole tree).
struct Bounded<'b>(&'b std::cell::Cell<usize>);

impl Bounded<'_> {
    /// The budget once a value was refused for want of it.
    const SPENT: usize = usize::MAX;

    fn spend<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.0.get() {
            0 => {
                self.0.set(Self::SPENT);
                Err(E::custom("enregistrement trop volumineux"))
            }
            n => {
                self.0.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("une valeur JSON")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::from(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Bounded(self.0))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Bounded(self.0))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn amount_of(v: Option<&Value>, what: &str, problems: &mut Vec<String>) -> Option<Decimal> {
    let Some(v) = v else {
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
        if v.is_empty() || v.eq_ignore_ascii_case("sans objet") {
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

fn read_record(record: &Value, concession: bool) -> Result<Contract, Vec<String>> {
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
    let buyer = record
        .get(buyer_key)
        .and_then(|b| b.get("id"))
        .and_then(as_text);
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
    })
}

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
    let mut reader = csv::ReaderBuilder::new()
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
    let mut record = csv::StringRecord::new();
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

/// The shares the law asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    SocialAny,
    SocialClause,
    SocialCriterion,
    Reserved,
    EnvironmentalAny,
    EnvironmentalClause,
    EnvironmentalCriterion,
}

impl Measure {
    pub const ALL: [Measure; 7] = [
        Measure::SocialAny,
        Measure::SocialClause,
        Measure::SocialCriterion,
        Measure::Reserved,
        Measure::EnvironmentalAny,
        Measure::EnvironmentalClause,
        Measure::EnvironmentalCriterion,
    ];

    pub fn as_db(self) -> &'static str {
        match self {
            Measure::SocialAny => "social_any",
            Measure::SocialClause => "social_clause",
            Measure::SocialCriterion => "social_criterion",
            Measure::Reserved => "reserved",
            Measure::EnvironmentalAny => "env_any",
            Measure::EnvironmentalClause => "env_clause",
            Measure::EnvironmentalCriterion => "env_criterion",
        }
    }

    pub fn from_db(v: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_db() == v)
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::SocialAny => "Au moins une considération sociale",
            Measure::SocialClause => "Clause sociale",
            Measure::SocialCriterion => "Critère social",
            Measure::Reserved => "Marché réservé",
            Measure::EnvironmentalAny => "Au moins une considération environnementale",
            Measure::EnvironmentalClause => "Clause environnementale",
            Measure::EnvironmentalCriterion => "Critère environnemental",
        }
    }

    /// Whether a contract counts for this measure.
    pub fn holds(self, c: &Contract) -> bool {
        match self {
            Measure::SocialAny => c.social_clause || c.social_criterion || c.reserved,
            Measure::SocialClause => c.social_clause,
            Measure::SocialCriterion => c.social_criterion,
            Measure::Reserved => c.reserved,
            Measure::EnvironmentalAny => c.env_clause || c.env_criterion,
            Measure::EnvironmentalClause => c.env_clause,
            Measure::EnvironmentalCriterion => c.env_criterion,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(extra: &str) -> String {
        format!(
            r#"{{"marches": {{"marche": [{{"id": "A1", "acheteur": {{"id": "21750001630066"}}, "montant": 100000,
               "dateNotification": "2025-03-01", "objet": "Nettoyage", "procedure": "Appel d'offres ouvert", "nature": "Marché"{extra}}}]}}}}"#
        )
    }

    #[test]
    fn the_official_example_reads() {
        let r = read_json(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/decp/example-marches.json"
            ))
            .unwrap(),
        )
        .unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.contracts.len(), 2);
        let c = &r.contracts[0];
        assert_eq!(
            (c.id.as_str(), c.buyer.as_str()),
            ("TEST2022", "21750001630066")
        );
        assert_eq!(
            c.amount,
            Decimal::from_str("123457.87").unwrap(),
            "the modification's amount"
        );
        assert_eq!(c.holders, ["868768687576575"], "the modification's holders");
        assert!(
            c.social_clause
                && c.social_criterion
                && !c.reserved
                && c.env_clause
                && !c.env_criterion
        );
        let both = read_json(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/decp/example-marches-concessions.json"
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(both.contracts.len(), 4, "{:?}", both.errors);
        assert_eq!(both.contracts.iter().filter(|c| c.concession).count(), 2);
    }

    #[test]
    fn bad_records_are_reported_by_rank_and_id() {
        assert!(
            read_json(b"{ not json")
                .unwrap_err()
                .starts_with("Le fichier n'est pas un JSON valide")
        );
        assert!(
            read_json(br#"{"marches": [{"id": "x"}]}"#)
                .unwrap_err()
                .contains("DECP v1")
        );
        assert!(
            read_json(br#"{"autre": 1}"#)
                .unwrap_err()
                .contains("enveloppe « marches » est absente")
        );
        let cases = [
            (r#", "montant": -5"#, "montant négatif"),
            (r#", "montant": 1e15"#, "montant invraisemblable"),
            (
                r#", "dateNotification": "15/03/2025""#,
                "dateNotification illisible",
            ),
            (
                r#", "considerationsSociales": {"considerationSociale": ["Clause solidaire"]}"#,
                "considération sociale inconnue : « Clause solidaire »",
            ),
        ];
        for (extra, message) in cases {
            // The later key wins in serde_json: the extra fields replace the valid ones.
            let r = read_json(record(extra).as_bytes()).unwrap();
            assert_eq!(r.contracts.len(), 0, "{extra}");
            assert_eq!(r.errors.len(), 1);
            let e = &r.errors[0];
            assert_eq!((e.index, e.id.as_deref()), (1, Some("A1")));
            assert!(e.to_string().contains(message), "{e}");
        }
        let missing = read_json(br#"{"marches": {"marche": [{"objet": "x"}]}}"#).unwrap();
        assert_eq!(
            missing.errors[0].to_string(),
            "enregistrement 1 (sans id) : id manquant ; acheteur.id manquant ; montant manquant ; dateNotification manquante"
        );
    }

    #[test]
    fn amounts_written_as_text_are_read_the_french_way() {
        let amount = |written: &str| {
            let r = read_json(
                record(&format!(r#", "montant": {}"#, serde_json::json!(written))).as_bytes(),
            )
            .unwrap();
            match (r.contracts.first(), r.errors.first()) {
                (Some(c), None) => Ok(c.amount),
                (None, Some(e)) => Err(e.problems.join(" ; ")),
                _ => unreachable!(),
            }
        };
        for (written, value) in [
            ("95000", "95000"),
            ("95000.50", "95000.50"),
            ("95000,50", "95000.50"),
            ("95 000,50", "95000.50"),
            ("95\u{A0}000", "95000"),
            ("95\u{202F}000,5", "95000.5"),
            (" 31 107,86 € ", "31107.86"),
        ] {
            assert_eq!(
                amount(written),
                Ok(Decimal::from_str(value).unwrap()),
                "{written:?}"
            );
        }
        for (written, problem) in [
            ("", "montant illisible"),
            ("abc", "montant illisible"),
            ("9 5000", "montant illisible"),
            ("12 h", "montant illisible"),
            ("90 k€", "montant illisible"),
            ("-3", "montant négatif (-3)"),
            ("200000000000", "montant invraisemblable (200000000000 €)"),
            (
                "1 000 000 000 000 000",
                "montant invraisemblable (« 1 000 000 000 000 000 »)",
            ),
        ] {
            assert_eq!(amount(written), Err(problem.to_string()), "{written:?}");
        }
    }

    #[test]
    fn the_flat_csv_reads_like_the_json() {
        let csv = "id;acheteur.id;montant;dateNotification;objet;considerationsSociales;considerationsEnvironnementales;titulaire_id\n\
                   B1;21750001630066;95000;2025-02-01;Travaux;Clause sociale, Marché réservé;Sans objet;12345678900011\n\
                   B2;21750001630066;20000,5;2025-02-03;Fournitures;Sans objet;Critère environnemental;\n\
                   B3;21750001630066;abc;2025-02-03;Fournitures;Sans objet;Sans objet;\n";
        let r = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(r.contracts.len(), 2);
        assert!(
            r.contracts[0].social_clause && r.contracts[0].reserved && !r.contracts[0].env_clause
        );
        assert_eq!(r.contracts[1].amount, Decimal::from_str("20000.5").unwrap());
        assert!(r.contracts[1].env_criterion);
        assert_eq!(
            r.errors[0].to_string(),
            "enregistrement 3 (B3) : montant illisible"
        );
    }
}
