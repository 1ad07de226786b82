//! The official JSON, read one record at a time with bounds.

use serde_json::Value;

use super::record::{as_text, buyer_of, read_record};
use super::sanitize::Sanitized;
use super::{Found, MAX_RECORD_VALUES, MAX_RECORDS, Reading, RecordError, Scope, too_many_records};

/// Reads the official JSON of an upload (at most [`MAX_RECORDS`] records), one record at a
/// time: a record is read, checked and dropped before the next, so memory holds the contracts,
/// not the file's tree. One contract per uid, the latest version winning.
pub fn read_json(bytes: &[u8]) -> Result<Reading, String> {
    let scope = Scope {
        buyers: None,
        max_records: Some(MAX_RECORDS),
    };
    Reading::gather(|on| stream_json(bytes, scope, on))
}

/// Reads the official JSON from any reader, record by record, telling `on` what each record
/// holds; `NaN` and `Infinity` literals read as `null`. Records of buyers outside the scope are
/// only counted. Values per record, and records when the scope says so, are bounded.
pub fn stream_json<R: std::io::Read>(
    reader: R,
    scope: Scope<'_>,
    on: &mut dyn FnMut(Found),
) -> Result<(), String> {
    let mut state = JsonState {
        on,
        scope,
        records: 0,
        lists: false,
        fatal: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(Sanitized::new(reader));
    let outcome = serde::de::DeserializeSeed::deserialize(Root(&mut state), &mut deserializer)
        .and_then(|found| deserializer.end().map(|_| found));
    if let Some(message) = state.fatal.take() {
        return Err(message);
    }
    match outcome {
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(NO_ENVELOPE.into()),
        Err(e) if e.classify() == serde_json::error::Category::Io => {
            Err(format!("Lecture du fichier impossible : {e}."))
        }
        Err(e) => Err(format!(
            "Le fichier n'est pas un JSON valide (ligne {}, colonne {}).",
            e.line(),
            e.column()
        )),
        Ok(false) => Err(NO_ENVELOPE.into()),
        Ok(true) if !state.lists => Err("Ce fichier n'est pas au format DECP v2 : ni « marche » ni « contrat-concession » dans « marches ».".into()),
        Ok(true) => Ok(()),
    }
}

const NO_ENVELOPE: &str =
    "Ce fichier n'est pas au format DECP v2 : l'enveloppe « marches » est absente.";

struct JsonState<'a, 's> {
    on: &'a mut dyn FnMut(Found),
    scope: Scope<'s>,
    records: usize,
    /// Whether « marche » or « contrat-concession » was met.
    lists: bool,
    /// Why the reading stopped, for the user.
    fatal: Option<String>,
}

impl JsonState<'_, '_> {
    fn stop<E: serde::de::Error>(&mut self, message: String) -> E {
        self.fatal = Some(message);
        E::custom("lecture arrêtée")
    }
}

/// The document: an object with « marches »; anything else has no envelope.
struct Root<'a, 'b, 's>(&'a mut JsonState<'b, 's>);

impl<'de> serde::de::DeserializeSeed<'de> for Root<'_, '_, '_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Root<'_, '_, '_> {
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
struct Marches<'a, 'b, 's>(&'a mut JsonState<'b, 's>);

impl<'de> serde::de::DeserializeSeed<'de> for Marches<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Marches<'_, '_, '_> {
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
struct Records<'a, 'b, 's> {
    state: &'a mut JsonState<'b, 's>,
    concession: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Records<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Records<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("une liste d'enregistrements")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            if self
                .state
                .scope
                .max_records
                .is_some_and(|max| self.state.records >= max)
            {
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
            let found = match buyer_of(&record, self.concession) {
                Some(buyer) if !self.state.scope.keeps(&buyer) => Found::OtherBuyer,
                // With a list of buyers, a record naming none is not one of theirs.
                None if self.state.scope.buyers.is_some() => Found::OtherBuyer,
                _ => match read_record(&record, self.concession) {
                    Ok(contract) => Found::Contract {
                        contract,
                        fold: false,
                    },
                    Err(problems) => Found::Bad(RecordError {
                        index,
                        id: record.get("id").and_then(as_text),
                        problems,
                    }),
                },
            };
            (self.state.on)(found);
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
