//! The change of an indicator between two years, and whether it is for the better.

use rust_decimal::Decimal;

use crate::domain::format::{UNIT_SEP, number_fr, quantity_fr};
use crate::domain::model::Direction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Better,
    Worse,
    Same,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `+17 points` for percentages, `+39 446 h` otherwise.
    pub difference: String,
    pub trend: Trend,
}

impl Change {
    /// The arrow shows where the value went; the words say whether that is good.
    pub fn arrow(&self) -> &'static str {
        match (self.trend, self.difference.starts_with('-')) {
            (Trend::Same, _) => "→",
            (_, true) => "↘",
            (_, false) => "↗",
        }
    }

    pub fn words(&self) -> &'static str {
        match self.trend {
            Trend::Better => "en progrès",
            Trend::Worse => "en recul",
            Trend::Same => "stable",
        }
    }

    pub fn badge_class(&self) -> &'static str {
        match self.trend {
            Trend::Better => "badge-success",
            Trend::Worse => "badge-error",
            Trend::Same => "badge-info",
        }
    }
}

/// From `first` to `second`: percentages differ in points, other values in their unit. `None`
/// when either year has no number.
pub fn change(
    first: Option<Decimal>,
    second: Option<Decimal>,
    unit: Option<&str>,
    direction: Direction,
) -> Option<Change> {
    let delta = second? - first?;
    let sign = if delta.is_sign_positive() && !delta.is_zero() {
        "+"
    } else {
        ""
    };
    let difference = if unit == Some("%") {
        let points = if delta.abs() < Decimal::TWO {
            "point"
        } else {
            "points"
        };
        format!("{sign}{}{UNIT_SEP}{points}", number_fr(delta))
    } else {
        format!("{sign}{}", quantity_fr(delta, unit))
    };
    let trend = match (delta.is_zero(), delta.is_sign_positive(), direction) {
        (true, _, _) => Trend::Same,
        (false, true, Direction::Up) | (false, false, Direction::Down) => Trend::Better,
        _ => Trend::Worse,
    };
    Some(Change { difference, trend })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::format::THOUSANDS_SEP;
    use std::str::FromStr;

    fn d(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    fn plain(s: &str) -> String {
        s.replace([THOUSANDS_SEP, UNIT_SEP], " ")
    }

    #[test]
    fn percentages_change_in_points_other_values_in_their_unit() {
        let c = change(d("58"), d("75"), Some("%"), Direction::Up).unwrap();
        assert_eq!(plain(&c.difference), "+17 points");
        assert_eq!(
            (c.trend, c.arrow(), c.words()),
            (Trend::Better, "↗", "en progrès")
        );
        let c = change(d("58526"), d("97972"), Some("h"), Direction::Up).unwrap();
        assert_eq!(plain(&c.difference), "+39 446 h");
        let c = change(d("38"), d("32"), Some("%"), Direction::Up).unwrap();
        assert_eq!(plain(&c.difference), "-6 points");
        assert_eq!((c.trend, c.arrow()), (Trend::Worse, "↘"));
    }

    #[test]
    fn a_fall_is_progress_when_less_is_better() {
        let c = change(d("12"), d("9"), Some("jours"), Direction::Down).unwrap();
        assert_eq!(plain(&c.difference), "-3 jours");
        assert_eq!(
            (c.trend, c.arrow(), c.words()),
            (Trend::Better, "↘", "en progrès")
        );
        let c = change(d("9"), d("9"), None, Direction::Down).unwrap();
        assert_eq!(
            (c.trend, c.arrow(), c.difference.as_str()),
            (Trend::Same, "→", "0")
        );
        assert_eq!(change(None, d("9"), None, Direction::Up), None);
    }
}
