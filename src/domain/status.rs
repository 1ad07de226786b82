//! Where an indicator, an action and an objective stand in a year: the rules, as pure functions.
//!
//! Indicator (numeric target and actual):
//! - no actual → *non renseigné* (never silently « non atteint »);
//! - a qualitative indicator, or a target the rules cannot read (only text, or text stating two
//!   conditions such as « 1 formation minimum avec 20 personnes ») → *à apprécier* until a person
//!   judges it: the value is there, the judgement is not. It is a status of its own, never counted
//!   as *non renseigné*;
//! - a target written as text with one number and a comparator (« au moins 30 », « Une fois par an
//!   minimum », « 100 % », « au plus 5 ») is read as that number: « au moins » / « minimum » → the
//!   actual must reach it (≥), « au plus » / « maximum » → not exceed it (≤), whatever the
//!   indicator's direction; a bare number follows the direction;
//! - direction up: actual ≥ target → *atteint*; otherwise the progress
//!   r = (actual − baseline) / (target − baseline), or actual / target without a baseline (or when
//!   the baseline is on the wrong side of the target); r ≥ the indicator's partial threshold
//!   (0,8 unless set otherwise) → *partiellement atteint*; else *non atteint*;
//! - direction down mirrors it: actual ≤ target → *atteint*; otherwise
//!   r = (baseline − actual) / (baseline − target), or target / actual without a baseline.
//!
//! Roll-up to an action from its indicators, and to an objective from its actions:
//! *non renseigné* children are left out; with none left → *non renseigné*; children *à apprécier*
//! are left out too when others are judged, and when all that is left awaits judgement → *à
//! apprécier*; of the judged ones: all *atteint* → *atteint*; none *atteint* and none
//! *partiellement* → *non atteint*; otherwise *partiellement atteint*. A status set by hand takes
//! precedence at its level and feeds the level above.

use rust_decimal::Decimal;

use super::model::Direction;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Achieved,
    Partial,
    NotAchieved,
    /// A value is there that the rules cannot judge: a person must.
    ToAppraise,
    /// No value at all.
    Unknown,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Achieved,
        Status::Partial,
        Status::NotAchieved,
        Status::ToAppraise,
        Status::Unknown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Achieved => "Atteint",
            Status::Partial => "Partiellement atteint",
            Status::NotAchieved => "Non atteint",
            Status::ToAppraise => "À apprécier",
            Status::Unknown => "Non renseigné",
        }
    }

    /// The badge class that shows it (`static/spaser.css`: colour, border and sign).
    pub fn badge_class(self) -> &'static str {
        match self {
            Status::Achieved => "badge-success",
            Status::Partial => "badge-warning",
            Status::NotAchieved => "badge-error",
            Status::ToAppraise => "badge-appraise",
            Status::Unknown => "badge-info",
        }
    }

    pub fn as_db(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::Partial => "partial",
            Status::NotAchieved => "not_achieved",
            Status::ToAppraise => "to_appraise",
            Status::Unknown => "unknown",
        }
    }

    pub fn from_db(value: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_db() == value)
    }

    /// Whether a person may set it by hand: only the three marks of a bilan.
    pub fn is_mark(self) -> bool {
        matches!(
            self,
            Status::Achieved | Status::Partial | Status::NotAchieved
        )
    }
}

/// What the status of an indicator is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorFacts {
    pub qualitative: bool,
    pub direction: Direction,
    /// The year's target as a number (from its number, or read from its text by
    /// [`super::comparator::read_target`], which may also set the direction to compare in).
    pub target: Option<Decimal>,
    pub actual: Option<Decimal>,
    /// Whether an actual was entered at all (a text counts).
    pub has_actual: bool,
    pub baseline: Option<Decimal>,
    pub threshold: Decimal,
}

/// The computed status of an indicator, or `None` when a person must set it (text-only target
/// or qualitative indicator, with an actual entered).
pub fn indicator_status(f: &IndicatorFacts) -> Option<Status> {
    if !f.has_actual {
        return Some(Status::Unknown);
    }
    if f.qualitative {
        return None;
    }
    let (Some(target), Some(actual)) = (f.target, f.actual) else {
        return None;
    };
    let reached = match f.direction {
        Direction::Up => actual >= target,
        Direction::Down => actual <= target,
    };
    if reached {
        return Some(Status::Achieved);
    }
    // Checked: numbers beyond any real quantity give no progress rather than a panic.
    let ratio = |a: Option<Decimal>, b: Option<Decimal>| a?.checked_div(b?);
    let progress = match (f.direction, f.baseline) {
        (Direction::Up, Some(b)) if target > b => {
            ratio(actual.checked_sub(b), target.checked_sub(b))
        }
        (Direction::Down, Some(b)) if target < b => {
            ratio(b.checked_sub(actual), b.checked_sub(target))
        }
        (Direction::Up, _) if target > Decimal::ZERO => actual.checked_div(target),
        (Direction::Down, _) if actual > Decimal::ZERO => target.checked_div(actual),
        _ => None,
    };
    Some(match progress {
        Some(r) if r >= f.threshold => Status::Partial,
        _ => Status::NotAchieved,
    })
}

/// The status of a parent from its children's.
pub fn roll_up(children: impl IntoIterator<Item = Status>) -> Status {
    let known: Vec<Status> = children
        .into_iter()
        .filter(|s| *s != Status::Unknown)
        .collect();
    let judged: Vec<Status> = known
        .iter()
        .copied()
        .filter(|s| *s != Status::ToAppraise)
        .collect();
    if known.is_empty() {
        Status::Unknown
    } else if judged.is_empty() {
        Status::ToAppraise
    } else if judged.iter().all(|s| *s == Status::Achieved) {
        Status::Achieved
    } else if judged.iter().all(|s| *s == Status::NotAchieved) {
        Status::NotAchieved
    } else {
        Status::Partial
    }
}

/// A status set by hand wins; else the computed one; else (a person must set it) à apprécier.
pub fn effective(computed: Option<Status>, overridden: Option<Status>) -> Status {
    overridden.or(computed).unwrap_or(Status::ToAppraise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn facts(
        direction: Direction,
        target: Option<&str>,
        actual: Option<&str>,
        baseline: Option<&str>,
    ) -> IndicatorFacts {
        IndicatorFacts {
            qualitative: false,
            direction,
            target: target.map(d),
            actual: actual.map(d),
            has_actual: actual.is_some(),
            baseline: baseline.map(d),
            threshold: d("0.8"),
        }
    }

    /// (direction, target, actual, baseline, expected)
    type Case<'a> = (
        Direction,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<Status>,
    );

    #[test]
    fn indicator_rules_in_both_directions() {
        use Direction::{Down, Up};
        use Status::*;
        let cases: &[Case] = &[
            // No actual: not known, whatever else.
            (Up, Some("10000"), None, None, Some(Unknown)),
            (Down, Some("5"), None, Some("9"), Some(Unknown)),
            // Up, no baseline.
            (Up, Some("10000"), Some("10500"), None, Some(Achieved)),
            (Up, Some("10000"), Some("10000"), None, Some(Achieved)),
            (Up, Some("10000"), Some("8000"), None, Some(Partial)),
            (Up, Some("10000"), Some("7999"), None, Some(NotAchieved)),
            (Up, Some("100"), Some("0"), None, Some(NotAchieved)),
            // Up, baseline below target: progress from the baseline. The office's action 5:
            // 9 000 h against 10 000 h from 9 840 h in 2021 is negative progress.
            (
                Up,
                Some("10000"),
                Some("9000"),
                Some("9840"),
                Some(NotAchieved),
            ),
            (Up, Some("10000"), Some("9970"), Some("9840"), Some(Partial)),
            (
                Up,
                Some("10000"),
                Some("9960"),
                Some("9840"),
                Some(NotAchieved),
            ),
            // Up, baseline above target (the target is already behind): plain ratio.
            (Up, Some("10"), Some("9"), Some("12"), Some(Partial)),
            (Up, Some("10"), Some("5"), Some("12"), Some(NotAchieved)),
            // Up, target zero: reached by any non-negative actual; a negative one is not.
            (Up, Some("0"), Some("0"), None, Some(Achieved)),
            (Up, Some("0"), Some("-1"), None, Some(NotAchieved)),
            // Negative values.
            (Up, Some("-5"), Some("-4"), None, Some(Achieved)),
            (Up, Some("-5"), Some("-6"), None, Some(NotAchieved)),
            // Down, no baseline: ratio target / actual.
            (Down, Some("100"), Some("90"), None, Some(Achieved)),
            (Down, Some("100"), Some("120"), None, Some(Partial)),
            (Down, Some("100"), Some("130"), None, Some(NotAchieved)),
            (Down, Some("0"), Some("0"), None, Some(Achieved)),
            (Down, Some("0"), Some("3"), None, Some(NotAchieved)),
            // Down, baseline above target: progress from the baseline.
            (Down, Some("50"), Some("58"), Some("90"), Some(Partial)),
            (Down, Some("50"), Some("60"), Some("90"), Some(NotAchieved)),
            (Down, Some("50"), Some("95"), Some("90"), Some(NotAchieved)),
            // Down, baseline below target: plain ratio.
            (Down, Some("50"), Some("60"), Some("40"), Some(Partial)),
            // A target that is only text: a person decides.
            (Up, None, Some("12"), None, None),
        ];
        for &(direction, target, actual, baseline, expected) in cases {
            let f = facts(direction, target, actual, baseline);
            assert_eq!(
                indicator_status(&f),
                expected,
                "{direction:?} target {target:?} actual {actual:?} baseline {baseline:?}"
            );
        }
    }

    #[test]
    fn a_text_actual_or_a_qualitative_indicator_is_set_by_a_person() {
        let mut f = facts(Direction::Up, Some("10"), None, None);
        f.has_actual = true; // a text was entered, no number
        assert_eq!(indicator_status(&f), None);
        let mut q = facts(Direction::Up, Some("10"), Some("12"), None);
        q.qualitative = true;
        assert_eq!(indicator_status(&q), None);
        q.has_actual = false;
        q.actual = None;
        assert_eq!(indicator_status(&q), Some(Status::Unknown));
    }

    #[test]
    fn the_partial_threshold_is_the_indicators() {
        let mut f = facts(Direction::Up, Some("100"), Some("60"), None);
        assert_eq!(indicator_status(&f), Some(Status::NotAchieved));
        f.threshold = d("0.5");
        assert_eq!(indicator_status(&f), Some(Status::Partial));
    }

    #[test]
    fn roll_up_rules() {
        use Status::*;
        let cases: &[(&[Status], Status)] = &[
            (&[], Unknown),
            (&[Unknown, Unknown], Unknown),
            (&[Achieved], Achieved),
            (&[Achieved, Achieved, Unknown], Achieved),
            (&[NotAchieved, NotAchieved], NotAchieved),
            (&[NotAchieved, Unknown], NotAchieved),
            (&[Achieved, NotAchieved], Partial),
            (&[Partial], Partial),
            (&[Partial, NotAchieved], Partial),
            (&[Achieved, Partial, Unknown], Partial),
            // À apprécier: a status of its own, never « non renseigné ».
            (&[ToAppraise], ToAppraise),
            (&[ToAppraise, Unknown], ToAppraise),
            (&[ToAppraise, ToAppraise], ToAppraise),
            // Judged children decide; those awaiting judgement wait.
            (&[ToAppraise, Achieved], Achieved),
            (&[ToAppraise, NotAchieved, Unknown], NotAchieved),
            (&[ToAppraise, Achieved, NotAchieved], Partial),
        ];
        for (children, expected) in cases {
            assert_eq!(roll_up(children.iter().copied()), *expected, "{children:?}");
        }
    }

    #[test]
    fn a_status_set_by_hand_wins() {
        assert_eq!(
            effective(Some(Status::NotAchieved), Some(Status::Achieved)),
            Status::Achieved
        );
        assert_eq!(effective(Some(Status::Partial), None), Status::Partial);
        assert_eq!(effective(None, None), Status::ToAppraise);
        // Overrides feed the level above.
        let action = roll_up([
            effective(Some(Status::NotAchieved), Some(Status::Achieved)),
            Status::Achieved,
        ]);
        assert_eq!(action, Status::Achieved);
    }
}
