//! The synthesis committees are used to: one line per objective (or fiche action) with its
//! mark, its key figure and what was done, before the detail.

use super::{Bilan, BilanObjective};
use crate::domain::model::ObjectiveTerm;
use crate::plans::values::StatusView;

/// One line of the synthesis.
#[derive(Debug, Clone)]
pub struct SynthesisLine {
    /// `Objectif 1 — …` or `FA4 — …`.
    pub heading: String,
    pub status: StatusView,
    /// The first indicator that has a value of the year, with its year-on-year sentence.
    pub key_figure: Option<KeyFigure>,
    /// The first sentence of what was done, cut to one line.
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigure {
    pub indicator: String,
    /// `75 % (58 % en 2023)`.
    pub sentence: String,
}

/// About one printed line: longer summaries are cut at a word and end with « … ».
const SUMMARY_CHARS: usize = 160;

impl Bilan {
    /// The heading of an objective as the plan names them.
    pub fn objective_heading(&self, objective: &BilanObjective) -> String {
        match self.objective_term {
            ObjectiveTerm::Objectif => format!("Objectif {} — {}", objective.code, objective.label),
            ObjectiveTerm::FicheAction => format!("{} — {}", objective.code, objective.label),
        }
    }

    /// One line per objective, in the plan's order.
    pub fn synthesis(&self) -> Vec<SynthesisLine> {
        self.groups
            .iter()
            .flat_map(|g| g.objectives.iter())
            .map(|o| SynthesisLine {
                heading: self.objective_heading(o),
                status: o.status.clone(),
                key_figure: o
                    .actions
                    .iter()
                    .filter(|a| !a.withheld)
                    .flat_map(|a| a.indicators.iter())
                    .find_map(|i| {
                        i.sentence.as_ref().map(|s| KeyFigure {
                            indicator: i.label.clone(),
                            sentence: s.clone(),
                        })
                    }),
                summary: o
                    .actions
                    .iter()
                    .filter(|a| !a.withheld)
                    .find_map(|a| a.narrative.as_deref())
                    .and_then(one_line),
            })
            .collect()
    }
}

/// The first sentence of a text, at most [`SUMMARY_CHARS`] characters, cut at a word.
pub fn one_line(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    // A sentence ends with a full stop followed by a space and a capital letter.
    let chars: Vec<char> = text.chars().collect();
    let mut end = chars.len();
    for i in 1..chars.len().saturating_sub(2) {
        if matches!(chars[i], '.' | '!' | '?') && chars[i + 1] == ' ' && chars[i + 2].is_uppercase()
        {
            end = i + 1;
            break;
        }
    }
    if end <= SUMMARY_CHARS {
        return Some(chars[..end].iter().collect());
    }
    let cut: String = chars[..SUMMARY_CHARS].iter().collect();
    let cut = match cut.rfind(' ') {
        Some(space) => cut[..space].trim_end_matches([',', ';', ':']).to_string(),
        None => cut,
    };
    Some(format!("{cut} …"))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_summary_is_the_first_sentence_on_one_line() {
        assert_eq!(
            one_line("Achat de 96 smartphones.  Suite\nà venir.").as_deref(),
            Some("Achat de 96 smartphones.")
        );
        assert_eq!(one_line("  \n ").as_deref(), None);
        let long = "mot ".repeat(80);
        let cut = one_line(&long).unwrap();
        assert!(cut.ends_with("mot …"), "{cut}");
        assert!(cut.chars().count() <= 162, "{cut}");
        // A decimal point does not end a sentence; a full stop after a number does.
        assert_eq!(
            one_line("Part de 3.5 % en 2024. Ensuite").as_deref(),
            Some("Part de 3.5 % en 2024.")
        );
    }
}
