//! What a DECP file reads into: contracts, bad records, and the shares the law asks for.

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
}

impl Reading {
    pub(super) fn bad(&mut self, error: RecordError) {
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
