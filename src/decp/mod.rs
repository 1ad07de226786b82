//! Reading the buyer's contract data (DECP v2, « données essentielles de la commande publique »):
//! the official JSON (`{"marches": {"marche": [...], "contrat-concession": [...]}}`) or the flat
//! CSV that data.gouv.fr and decp.info publish. Every record is checked; the bad ones are reported
//! by their rank and id, never silently dropped.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub contracts: Vec<Contract>,
    pub errors: Vec<RecordError>,
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

/// Reads the official JSON.
pub fn read_json(bytes: &[u8]) -> Result<Reading, String> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "Le fichier n'est pas un JSON valide (ligne {}, colonne {}).",
            e.line(),
            e.column()
        )
    })?;
    let marches = root
        .get("marches")
        .ok_or("Ce fichier n'est pas au format DECP v2 : l'enveloppe « marches » est absente.")?;
    if marches.is_array() {
        return Err("Ce fichier est au format DECP v1 (tableau « marches ») : seul le format v2 (contrats notifiés depuis 2024) est lu.".into());
    }
    let list = |key: &str| {
        marches
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (contracts, concessions) = (list("marche"), list("contrat-concession"));
    if marches.get("marche").is_none() && marches.get("contrat-concession").is_none() {
        return Err("Ce fichier n'est pas au format DECP v2 : ni « marche » ni « contrat-concession » dans « marches ».".into());
    }
    let mut reading = Reading::default();
    for (i, record) in contracts.iter().chain(concessions.iter()).enumerate() {
        let concession = i >= contracts.len();
        match read_record(record, concession) {
            Ok(c) => reading.contracts.push(c),
            Err(problems) => reading.errors.push(RecordError {
                index: i + 1,
                id: record.get("id").and_then(as_text),
                problems,
            }),
        }
    }
    Ok(reading)
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
        Value::String(s) => Decimal::from_str(&s.replace(',', ".")).ok(),
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
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                reading.errors.push(RecordError {
                    index: i + 1,
                    id: None,
                    problems: vec![format!("ligne illisible : {e}")],
                });
                continue;
            }
        };
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
            Err(problems) => reading.errors.push(RecordError {
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
        let r = read_json(&std::fs::read("../shared/decp/example-marches.json").unwrap()).unwrap();
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
        let both =
            read_json(&std::fs::read("../shared/decp/example-marches-concessions.json").unwrap())
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
