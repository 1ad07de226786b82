//! The cells of a plan sheet that say more than their text: pilots (`DRH / Direction des
//! achats`, one spelling per service across the plan), a « Sens » cell, a baseline cell, the
//! columns of a row (unit, direction, baseline, one per year), and the numbers axes and
//! objectives are given once every row is read.

use super::model::{
    AxisDraft, Baseline, Direction, IndicatorDraft, ObjectiveDraft, PlanDraft, YearValue,
};
use super::number::parse_fr;
use super::sheet::fold;
use super::targets::{self, canonical_unit, find_baseline, parse_target_cell};

/// An axis, objective or action as met in the rows, before numbers are given.
pub(super) struct Objective {
    pub key: String,
    pub code: Option<String>,
    pub label: String,
    pub axis: Option<usize>,
    pub actions: Vec<super::model::ActionDraft>,
}

/// Gives axes their numbers (the buyer's when they are all whole numbers, else their order, the
/// buyer's label kept as code) and unnumbered objectives the first free number from their rank.
pub(super) fn into_draft(
    axes: Vec<(String, String, String)>,
    objectives: Vec<Objective>,
) -> PlanDraft {
    let numbers: Option<Vec<i32>> = axes
        .iter()
        .map(|(_, code, _)| code.parse::<i32>().ok().filter(|n| *n > 0))
        .collect();
    let numbers = numbers
        .filter(|n| {
            let mut sorted = n.clone();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() == n.len()
        })
        .unwrap_or_else(|| (1..=axes.len() as i32).collect());
    let draft_axes: Vec<AxisDraft> = axes
        .iter()
        .zip(&numbers)
        .map(|((_, code, label), number)| AxisDraft {
            number: *number,
            label: if label.is_empty() {
                code.clone()
            } else {
                label.clone()
            },
            code: Some(code.clone()).filter(|c| !c.is_empty() && *c != number.to_string()),
        })
        .collect();
    let taken: Vec<String> = objectives.iter().filter_map(|o| o.code.clone()).collect();
    let mut given: Vec<String> = Vec::new();
    let draft_objectives = objectives
        .into_iter()
        .enumerate()
        .map(|(rank, o)| {
            let code = o.code.unwrap_or_else(|| {
                let code = (rank + 1..)
                    .map(|n| n.to_string())
                    .find(|c| !taken.contains(c) && !given.contains(c))
                    .expect("a free number");
                given.push(code.clone());
                code
            });
            ObjectiveDraft {
                axis: o.axis.map(|i| numbers[i]),
                label: if o.label.is_empty() {
                    code.clone()
                } else {
                    o.label
                },
                code,
                actions: o.actions,
            }
        })
        .collect();
    PlanDraft {
        axes: draft_axes,
        objectives: draft_objectives,
    }
}

/// What a row's own columns say of its indicators: unit, direction, baseline, yearly targets.
pub(super) struct RowColumns {
    pub unit: String,
    pub direction: String,
    pub baseline: String,
    /// (year, cell, column index)
    pub years: Vec<(i32, String, usize)>,
}

impl RowColumns {
    pub fn apply(
        &self,
        indicator: &mut IndicatorDraft,
        first: i32,
        last: i32,
        header_year: Option<i32>,
    ) {
        for (year, text, _) in self
            .years
            .iter()
            .filter(|(y, _, _)| (first..=last).contains(y))
        {
            let parsed = parse_target_cell(*year, text);
            if indicator.unit.is_none() {
                indicator.unit = parsed.unit.clone();
            }
            let value = match (parsed.value, &parsed.unit, &indicator.unit) {
                (Some(v), Some(from), Some(to)) => targets::convert_money(v, from, to).or(Some(v)),
                (value, _, _) => value,
            };
            indicator.targets.retain(|t| t.year != *year);
            indicator.targets.push(YearValue {
                year: *year,
                value,
                text: parsed.text,
            });
        }
        indicator.targets.sort_by_key(|t| t.year);
        if !self.unit.is_empty() {
            let unit = canonical_unit(&self.unit);
            // Money written in another unit than the column's (`1,2 M€` under « € »): converted,
            // a million euros being 10⁶ €.
            if let (Some(from), Some(to)) = (indicator.unit.clone(), unit.as_deref()) {
                for t in &mut indicator.targets {
                    if let Some(v) = t.value.and_then(|v| targets::convert_money(v, &from, to)) {
                        t.value = Some(v);
                    }
                }
            }
            indicator.unit = unit;
        }
        if let Some(direction) = direction_cell(&self.direction) {
            indicator.direction = direction;
        }
        if let Some((baseline, unit)) = baseline_cell(&self.baseline, header_year, first) {
            indicator.baseline = Some(baseline);
            if indicator.unit.is_none() {
                indicator.unit = unit;
            }
        }
    }
}

/// A « Sens » cell: hausse / baisse and their synonyms and arrows.
pub fn direction_cell(cell: &str) -> Option<Direction> {
    let f = fold(cell);
    if f.is_empty() {
        return None;
    }
    let down = ["baiss", "diminu", "redu", "decroi", "moins", "↓", "↘", "-"];
    let up = ["hauss", "augment", "croi", "plus", "↑", "↗", "+"];
    if down.iter().any(|w| f.contains(w)) {
        Some(Direction::Down)
    } else if up.iter().any(|w| f.contains(w)) {
        Some(Direction::Up)
    } else {
        targets::direction_of(cell)
    }
}

/// A year written in a text (`(2024)`, `en 2022`), between 1990 and 2100.
pub(super) fn year_in(text: &str) -> Option<i32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 4)
        .filter_map(|w| w.parse::<i32>().ok())
        .find(|y| (1990..=2100).contains(y))
}

/// A baseline cell: `18 500`, `18 500 h (2022)`, `2022 : 18 500 h`; its year from the cell, else
/// the column's header, else the year before the plan.
fn baseline_cell(
    cell: &str,
    header_year: Option<i32>,
    first_year: i32,
) -> Option<(Baseline, Option<String>)> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    if let Some(found) = find_baseline(cell, i32::MAX) {
        return Some(found);
    }
    let (value, unit, year) = match parse_fr(cell) {
        Ok(Some(n)) => (n.value, n.unit, None),
        _ => {
            let q = targets::parse_quantity(cell)?;
            (q.value, q.unit, year_in(cell))
        }
    };
    Some((
        Baseline {
            value,
            year: year.or(header_year).unwrap_or(first_year - 1),
        },
        unit,
    ))
}

/// Pilots are joined by `/`; a run of directions (`Direction Construction Directions
/// Réhabilitation et Travaux Direction exploitation`) names one service per « Direction ».
pub fn split_pilots(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in cell.split('/') {
        let mut current: Vec<&str> = Vec::new();
        for word in part.split_whitespace() {
            if (word == "Direction" || word == "Directions") && !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
            current.push(word);
        }
        if !current.is_empty() {
            out.push(current.join(" "));
        }
    }
    out
}

/// Gives each service one spelling across the plan: names equal but for case and accents, or
/// one typing slip apart (`exploittion` / `exploitation`), are one service. The spelling kept
/// is the capitalised one, then the most frequent, then the longest.
pub(super) fn canonicalise_pilots(draft: &mut PlanDraft) {
    let mut spellings: Vec<(String, usize)> = Vec::new();
    for name in draft.indicators().flat_map(|i| i.pilots.iter()) {
        match spellings.iter_mut().find(|(s, _)| s == name) {
            Some(entry) => entry.1 += 1,
            None => spellings.push((name.clone(), 1)),
        }
    }
    let same = |a: &str, b: &str| {
        let (fa, fb) = (fold(a), fold(b));
        fa == fb || (fa.chars().count() >= 8 && edit_distance(&fa, &fb) <= 1)
    };
    let canonical = |name: &str| -> String {
        spellings
            .iter()
            .filter(|(s, _)| same(s, name))
            .max_by_key(|(s, n)| (s.starts_with(char::is_uppercase), *n, s.chars().count()))
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| name.to_string())
    };
    for objective in &mut draft.objectives {
        for action in &mut objective.actions {
            for indicator in &mut action.indicators {
                let mut names: Vec<String> = Vec::new();
                for name in &indicator.pilots {
                    let c = canonical(name);
                    if !names.contains(&c) {
                        names.push(c);
                    }
                }
                indicator.pilots = names;
            }
        }
    }
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}
