//! The entry form's fields, named once: the template writes them, the save reads them and the
//! tests fill them through these names.

/// One field of the entry form; each is repeated per indicator (or per action, for the
/// narrative), its name made from the field's prefix and the item's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// An indicator's actual value.
    Value,
    /// The version of the indicator's actual the page showed.
    Version,
    /// The fingerprint of what the page showed, to leave alone a field sent back unchanged.
    Original,
    Numerator,
    Denominator,
    Text,
    Comment,
    /// What was done for an action (« Mis en œuvre »), its version and fingerprint.
    Narrative,
    NarrativeVersion,
    NarrativeOriginal,
}

impl Field {
    pub const fn prefix(self) -> &'static str {
        match self {
            Field::Value => "v",
            Field::Version => "ver",
            Field::Original => "o",
            Field::Numerator => "n",
            Field::Denominator => "d",
            Field::Text => "t",
            Field::Comment => "c",
            Field::Narrative => "r",
            Field::NarrativeVersion => "rver",
            Field::NarrativeOriginal => "ro",
        }
    }

    /// The field's name (and the input's id) for this indicator or action (an id or a
    /// reference to one, as templates pass them).
    pub fn name(self, id: impl std::fmt::Display) -> String {
        let mut name = String::new();
        self.name_into(id, &mut name);
        name
    }

    /// The field's name written into `name` (emptied first): a buffer reused from one field to
    /// the next, where a whole-page save looks up seven fields per indicator.
    pub fn name_into(self, id: impl std::fmt::Display, name: &mut String) {
        use std::fmt::Write as _;
        name.clear();
        let _ = write!(name, "{}-{id}", self.prefix());
    }
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn names_are_distinct() {
        let all = [
            Field::Value,
            Field::Version,
            Field::Original,
            Field::Numerator,
            Field::Denominator,
            Field::Text,
            Field::Comment,
            Field::Narrative,
            Field::NarrativeVersion,
            Field::NarrativeOriginal,
        ];
        let names: std::collections::HashSet<String> = all.iter().map(|f| f.name(7)).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(Field::Value.name(42), "v-42");
    }
}
