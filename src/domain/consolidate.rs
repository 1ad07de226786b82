//! How a shared plan's indicator is consolidated over its members: hours, amounts and counts
//! add up; a share (%) is recomputed from the members' numerators and denominators, never
//! averaged; what cannot be added (a delay in days, a mark, words) is shown per member only.

use rust_decimal::Decimal;

use super::status::{self, Status};

/// One member's actual of the year, as far as consolidation needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFigure {
    pub value: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
}

/// The consolidated figure of an indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Total {
    /// The members' numbers added up; `gave` members of `of` gave one.
    Sum {
        total: Decimal,
        gave: usize,
        of: usize,
    },
    /// A share recomputed from the summed numerators and denominators.
    Share {
        percent: Decimal,
        numerator: Decimal,
        denominator: Decimal,
        gave: usize,
        of: usize,
    },
    /// Shown per member only, with the reason.
    NotConsolidable(&'static str),
    /// No member gave a number yet.
    Empty,
}

/// Units whose figures do not add up across buyers (a delay, a mark, a rate per something).
const NOT_ADDITIVE: &[&str] = &[
    "jour", "jours", "j", "mois", "an", "ans", "année", "années", "point", "points", "note",
    "notes", "rang", "taux", "ratio", "indice",
];

/// Whether figures in this unit add up across buyers: hours, amounts, tonnes, counts do; a share
/// or a delay does not.
pub fn additive(unit: Option<&str>) -> bool {
    match unit.map(str::trim) {
        None => true,
        Some(u) => {
            let lower = u.to_lowercase();
            !(lower.contains('%') || lower.contains('/') || NOT_ADDITIVE.contains(&lower.as_str()))
        }
    }
}

/// The share in % of `numerator` out of `denominator`, to a tenth (as a single buyer's entry).
pub fn share(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    (denominator > Decimal::ZERO).then(|| {
        (numerator * Decimal::ONE_HUNDRED / denominator)
            .round_dp(1)
            .normalize()
    })
}

/// Consolidates the members' figures of an indicator (`qualitative`: a text to appraise).
pub fn consolidate(unit: Option<&str>, qualitative: bool, members: &[MemberFigure]) -> Total {
    let of = members.len();
    let given: Vec<&MemberFigure> = members.iter().filter(|m| m.value.is_some()).collect();
    if qualitative {
        return Total::NotConsolidable("indicateur qualitatif");
    }
    if given.is_empty() {
        return Total::Empty;
    }
    let gave = given.len();
    if unit.is_some_and(|u| u.contains('%')) {
        let mut numerator = Decimal::ZERO;
        let mut denominator = Decimal::ZERO;
        for m in &given {
            match (m.numerator, m.denominator) {
                (Some(n), Some(d)) => {
                    numerator += n;
                    denominator += d;
                }
                _ => {
                    return Total::NotConsolidable(
                        "non consolidable : un membre n'a pas donné son numérateur et son dénominateur",
                    );
                }
            }
        }
        return match share(numerator, denominator) {
            Some(percent) => Total::Share {
                percent,
                numerator,
                denominator,
                gave,
                of,
            },
            None => Total::NotConsolidable("non consolidable : dénominateur nul"),
        };
    }
    if !additive(unit) {
        return Total::NotConsolidable("non consolidable : cette unité ne s'additionne pas");
    }
    Total::Sum {
        total: given.iter().filter_map(|m| m.value).sum(),
        gave,
        of,
    }
}

/// The overall mark of an item from its marks per member: the plan's own roll-up rule (all
/// achieved → achieved, all not achieved → not achieved, else partial; unknowns left aside).
pub fn overall(per_member: impl IntoIterator<Item = Status>) -> Status {
    status::roll_up(per_member)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn number(v: i64) -> MemberFigure {
        MemberFigure {
            value: Some(d(v)),
            ..Default::default()
        }
    }

    fn ratio(n: i64, den: i64) -> MemberFigure {
        MemberFigure {
            value: share(d(n), d(den)),
            numerator: Some(d(n)),
            denominator: Some(d(den)),
        }
    }

    #[test]
    fn hours_add_up_over_those_who_gave_them() {
        let total = consolidate(
            Some("h"),
            false,
            &[number(1200), number(300), MemberFigure::default()],
        );
        assert_eq!(
            total,
            Total::Sum {
                total: d(1500),
                gave: 2,
                of: 3
            }
        );
    }

    #[test]
    fn a_share_is_recomputed_never_averaged() {
        // 9/10 = 90 %, 1/90 ≈ 1,1 %: the average would be 45,6 %; the share of the whole is 10 %.
        let total = consolidate(Some("%"), false, &[ratio(9, 10), ratio(1, 90)]);
        assert_eq!(
            total,
            Total::Share {
                percent: d(10),
                numerator: d(10),
                denominator: d(100),
                gave: 2,
                of: 2
            }
        );
    }

    #[test]
    fn a_share_without_its_counts_is_not_consolidated() {
        let total = consolidate(Some("%"), false, &[ratio(9, 10), number(50)]);
        assert!(matches!(total, Total::NotConsolidable(_)), "{total:?}");
    }

    #[test]
    fn delays_and_words_are_shown_per_member_only() {
        assert!(matches!(
            consolidate(Some("jours"), false, &[number(30), number(45)]),
            Total::NotConsolidable(_)
        ));
        assert!(matches!(
            consolidate(None, true, &[number(1)]),
            Total::NotConsolidable(_)
        ));
        assert_eq!(
            consolidate(Some("€"), false, &[MemberFigure::default()]),
            Total::Empty
        );
        assert!(additive(Some("k€")) && additive(Some("formations")) && additive(None));
        assert!(!additive(Some("%")) && !additive(Some("€/h")));
    }

    #[test]
    fn the_overall_mark_rolls_up_the_members_marks() {
        use Status::*;
        assert_eq!(overall([Achieved, Achieved, Unknown]), Achieved);
        assert_eq!(overall([Achieved, NotAchieved]), Partial);
        assert_eq!(overall([Unknown, Unknown]), Unknown);
    }
}
