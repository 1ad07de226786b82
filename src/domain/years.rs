//! Which year a page opens on when none is asked.

use std::ops::RangeInclusive;

/// The year asked if it is in the plan's period; else the latest year of the period that has
/// values; else the plan's first year. Never the calendar year: a plan read after its period,
/// or before anyone entered a value, must not open on an empty year.
pub fn default_year(
    period: RangeInclusive<i32>,
    asked: Option<i32>,
    with_values: impl IntoIterator<Item = i32>,
) -> i32 {
    if let Some(year) = asked.filter(|y| period.contains(y)) {
        return year;
    }
    with_values
        .into_iter()
        .filter(|y| period.contains(y))
        .max()
        .unwrap_or(*period.start())
}

#[cfg(test)]
mod tests {
    use super::default_year;

    #[test]
    fn the_latest_year_with_values_else_the_first() {
        // Values in 2025 and 2026 of a 2025–2027 plan: 2026, not the empty 2027.
        assert_eq!(default_year(2025..=2027, None, [2025, 2026, 2025]), 2026);
        // No value yet: the first year, whatever the calendar says.
        assert_eq!(default_year(2025..=2027, None, []), 2025);
        // A year asked in the period wins; one outside it is ignored.
        assert_eq!(default_year(2025..=2027, Some(2027), [2025]), 2027);
        assert_eq!(default_year(2025..=2027, Some(2031), [2025]), 2025);
        // Values outside the period (a plan shortened after entry) do not count.
        assert_eq!(default_year(2023..=2024, None, [2022, 2025]), 2023);
    }
}
