//! View pieces shared by the features' pages: status badges, values, a plan's addresses.
//! Nothing here belongs to one feature; a feature never borrows from another's module.

use rust_decimal::Decimal;

use crate::domain::format::quantity_fr;
use crate::domain::status::Status;
use crate::plans::read::YearEntry;
use crate::plans::values::StatusView;

/// A status badge, with who set it by hand and why.
pub struct Badge {
    pub label: &'static str,
    pub class: &'static str,
    pub by_hand: Option<String>,
    pub justification: Option<String>,
    pub computed: &'static str,
}

impl Badge {
    pub fn new(view: Option<&StatusView>) -> Self {
        let status = view.map_or(Status::Unknown, |v| v.status);
        let overridden = view.and_then(|v| v.overridden.as_ref());
        Badge {
            label: status.label(),
            class: status.badge_class(),
            by_hand: overridden.map(|o| {
                format!(
                    "fixé à la main par {} le {}",
                    o.set_by,
                    o.set_at.format("%d/%m/%Y")
                )
            }),
            justification: overridden.map(|o| o.justification.clone()),
            computed: view
                .and_then(|v| v.computed)
                .map_or("à fixer par une personne", |s| s.label()),
        }
    }
}

/// A number and/or a text, ready to show.
#[derive(Debug, Clone, Default)]
pub struct ValueView {
    pub number: Option<String>,
    pub text: Option<String>,
    /// Left out of a public page: not validated yet.
    pub pending: bool,
}

impl ValueView {
    pub fn new(value: Option<Decimal>, text: Option<&String>, unit: Option<&str>) -> Self {
        Self {
            number: value.map(|v| quantity_fr(v, unit)),
            text: text.cloned(),
            pending: false,
        }
    }

    /// A year's target or actual, as the plan stores it.
    pub fn from_entry(entry: Option<&YearEntry>, unit: Option<&str>) -> Self {
        Self::new(
            entry.and_then(|e| e.value),
            entry.and_then(|e| e.text.as_ref()),
            unit,
        )
    }

    pub fn pending(mut self, pending: bool) -> Self {
        self.pending = pending;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.number.is_none() && self.text.is_none()
    }
}

/// Who reads: a member of the organisation, or anyone (published plans only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Member,
    Public,
}

/// The address of a plan's pages for an audience (its plan page; the others below it).
pub fn plan_href(organisation: &str, plan: &str, audience: Audience) -> String {
    match audience {
        Audience::Member => format!("/organisations/{organisation}/plans/{plan}"),
        Audience::Public => format!("/public/{organisation}/{plan}"),
    }
}

/// The address of an organisation's page.
pub fn organisation_href(organisation: &str) -> String {
    format!("/organisations/{organisation}")
}

/// A plan's period as people write it: « 2025–2027 », or one year.
pub fn period(first: i32, last: i32) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}–{last}")
    }
}
