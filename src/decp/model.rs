//! What a DECP file reads into: contracts, bad records, and the shares the law asks for.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ERRORS_KEPT;

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
    /// The date of the latest modification (notified or published), when the file gives it.
    pub revised_on: Option<NaiveDate>,
}

impl Contract {
    /// Which of two versions of one contract is the later: more modifications, then a later
    /// modification date.
    pub fn revision(&self) -> (usize, Option<NaiveDate>) {
        (self.modifications, self.revised_on)
    }
}

/// What a reader found in one record.
#[derive(Debug)]
pub enum Found {
    /// A contract; `fold` when it is one holder's row of the flat CSV, to be folded with the
    /// other rows of its contract.
    Contract {
        contract: Contract,
        fold: bool,
    },
    Bad(RecordError),
    /// A record of a buyer that is not kept (another organisation's SIRET, or none when the
    /// scope names buyers): not checked further.
    OtherBuyer,
}

/// What a reader keeps: the buyers (SIRETs), all when `None`, and a bound on records.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    pub buyers: Option<&'a std::collections::HashSet<String>>,
    pub max_records: Option<usize>,
}

impl Scope<'_> {
    pub fn keeps(&self, buyer: &str) -> bool {
        self.buyers.is_none_or(|b| b.contains(buyer))
    }
}

/// One contract per uid (buyer's SIRET + id), in the order first met: the latest version wins,
/// the rows of one version of the flat CSV (one per holder) are folded into one contract.
#[derive(Debug, Default)]
pub struct Uids {
    index: HashMap<(String, String), usize>,
    contracts: Vec<Contract>,
    /// Records that were another version or another holder's row of a contract already met.
    pub merged: usize,
}

impl Uids {
    pub fn add(&mut self, contract: Contract, fold: bool) {
        let key = (contract.buyer.clone(), contract.id.clone());
        let Some(&at) = self.index.get(&key) else {
            self.index.insert(key, self.contracts.len());
            self.contracts.push(contract);
            return;
        };
        self.merged += 1;
        let known = &mut self.contracts[at];
        match contract.revision().cmp(&known.revision()) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal if fold => {
                let mut holders = std::mem::take(&mut known.holders);
                for h in contract.holders.iter() {
                    if !holders.contains(h) {
                        holders.push(h.clone());
                    }
                }
                *known = Contract {
                    holders,
                    ..contract
                };
            }
            _ => *known = contract,
        }
    }

    pub fn len(&self) -> usize {
        self.contracts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contracts.is_empty()
    }

    /// Whether this contract was already met (another version may follow).
    pub fn has(&self, buyer: &str, id: &str) -> bool {
        self.index
            .contains_key(&(buyer.to_string(), id.to_string()))
    }

    /// The contracts met so far, in their order; the map starts again empty.
    pub fn take(&mut self) -> Vec<Contract> {
        self.index.clear();
        std::mem::take(&mut self.contracts)
    }
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
    /// The first [`ERRORS_KEPT`] bad records.
    pub errors: Vec<RecordError>,
    /// All the bad records.
    pub error_count: usize,
    /// Records folded into a contract met before (another version, another holder's row).
    pub merged: usize,
}

impl Reading {
    /// Gathers what a reader finds: contracts one per uid, bad records kept and counted.
    pub fn gather(
        read: impl FnOnce(&mut dyn FnMut(Found)) -> Result<(), String>,
    ) -> Result<Reading, String> {
        let mut reading = Reading::default();
        let mut uids = Uids::default();
        read(&mut |found| match found {
            Found::Contract { contract, fold } => uids.add(contract, fold),
            Found::Bad(e) => reading.bad(e),
            Found::OtherBuyer => {}
        })?;
        reading.merged = uids.merged;
        reading.contracts = uids.take();
        Ok(reading)
    }

    pub fn bad(&mut self, error: RecordError) {
        self.error_count += 1;
        if self.errors.len() < ERRORS_KEPT {
            self.errors.push(error);
        }
    }
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
