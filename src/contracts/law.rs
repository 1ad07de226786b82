//! What the law and the national plan say the legal indicators are measured against: the
//! thresholds of the year, the PNAD's reference line, the floor set from 22 August 2026.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::decp::Measure;

/// The EU thresholds (€ HT) of a year for buyers other than the State's central authorities:
/// supplies and services, and works (concessions: the works threshold). They are set for two
/// years by the European Commission; a year after the last known uses the last known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EuThresholds {
    pub first_year: i32,
    pub supplies: Decimal,
    pub works: Decimal,
}

const EU: [(i32, i64, i64); 5] = [
    (2018, 221_000, 5_548_000),
    (2020, 214_000, 5_350_000),
    (2022, 215_000, 5_382_000),
    (2024, 221_000, 5_538_000),
    (2026, 216_000, 5_404_000),
];

impl EuThresholds {
    pub fn of(year: i32) -> EuThresholds {
        let (first_year, supplies, works) = EU
            .iter()
            .rev()
            .find(|(from, _, _)| *from <= year)
            .copied()
            .unwrap_or(EU[0]);
        EuThresholds {
            first_year,
            supplies: Decimal::from(supplies),
            works: Decimal::from(works),
        }
    }

    /// Whether these thresholds were published for the year (else the last known are used).
    pub fn known_for(year: i32) -> bool {
        year <= EU[EU.len() - 1].0 + 1 && year >= EU[0].0
    }

    /// The threshold a contract is measured against: works when its CPV code is a works one
    /// (division 45) or it is a concession, supplies and services otherwise.
    pub fn for_contract(&self, cpv: Option<&str>, concession: bool) -> Decimal {
        if concession || cpv.is_some_and(|c| c.trim_start().starts_with("45")) {
            self.works
        } else {
            self.supplies
        }
    }

    pub fn label(&self) -> String {
        format!("{}–{}", self.first_year, self.first_year + 1)
    }
}

/// From this day every new contract must carry an environmental consideration, and those above
/// the EU thresholds a social one (loi Climat et Résilience, art. 35, as the issue states it).
pub fn floor_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 8, 22).expect("a valid date")
}

/// The PNAD 2022–2025's line for a category and year, in % of the contracts notified: 100 % with
/// an environmental consideration and 30 % with a social one by 2025, by the State's own steps
/// (60 %/20 % in 2023, 80 %/25 % in 2024). No line for the finer categories, nor before 2023;
/// after 2025 the 2025 line stays the reference.
pub fn pnad(measure: Measure, year: i32) -> Option<Decimal> {
    let step = match year {
        ..=2022 => return None,
        2023 => 0,
        2024 => 1,
        _ => 2,
    };
    match measure {
        Measure::EnvironmentalAny => Some([60, 80, 100][step]),
        Measure::SocialAny => Some([20, 25, 30][step]),
        _ => None,
    }
    .map(Decimal::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_follow_the_years() {
        assert_eq!(EuThresholds::of(2026).supplies, Decimal::from(216_000));
        assert_eq!(EuThresholds::of(2027).works, Decimal::from(5_404_000));
        assert_eq!(EuThresholds::of(2025).supplies, Decimal::from(221_000));
        assert_eq!(EuThresholds::of(2022).label(), "2022–2023");
        assert_eq!(EuThresholds::of(2030).first_year, 2026);
        assert!(!EuThresholds::known_for(2030) && EuThresholds::known_for(2027));
        let eu = EuThresholds::of(2026);
        assert_eq!(eu.for_contract(Some("45214200-2"), false), eu.works);
        assert_eq!(eu.for_contract(Some("30197630-1"), false), eu.supplies);
        assert_eq!(eu.for_contract(None, true), eu.works);
    }

    #[test]
    fn the_pnad_line() {
        assert_eq!(
            pnad(Measure::EnvironmentalAny, 2023),
            Some(Decimal::from(60))
        );
        assert_eq!(pnad(Measure::SocialAny, 2024), Some(Decimal::from(25)));
        assert_eq!(pnad(Measure::SocialAny, 2027), Some(Decimal::from(30)));
        assert_eq!(pnad(Measure::Reserved, 2025), None);
        assert_eq!(pnad(Measure::EnvironmentalAny, 2022), None);
    }
}
