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

/// A shared plan as a plan page tells it: who carries it, its members and where to read their
/// bilans.
pub struct Sharing {
    /// The carrier's name.
    pub carrier: String,
    /// The page's plan is the carrier's (the shared plan itself).
    pub is_carrier: bool,
    /// Each member's name and its published bilan of the year, if published.
    pub members: Vec<(String, Option<String>)>,
    /// The consolidated bilan of the year, for those who may read it.
    pub consolidated_href: Option<String>,
    /// The carrier's page of its members (administrators).
    pub members_href: Option<String>,
}

impl Sharing {
    /// `None` for a plan of one buyer. `own`: the page's plan address; `role`: the reader's in
    /// the page's organisation (`None` for the public). The consolidated bilan is for the
    /// carrier's people but its pilots, and for anyone once the shared plan is published.
    pub fn new(
        members: &[crate::plans::shared::Member],
        plan_id: crate::domain::ids::PlanId,
        own: &str,
        year: i32,
        role: Option<crate::domain::account::Role>,
    ) -> Option<Self> {
        use crate::domain::account::Role;
        let audience = if role.is_some() {
            Audience::Member
        } else {
            Audience::Public
        };
        let Some(carrier) = members.iter().find(|m| m.carrier) else {
            // Not shared: its administrators may share it.
            return (role == Some(Role::Admin)).then(|| Sharing {
                carrier: String::new(),
                is_carrier: true,
                members: Vec::new(),
                consolidated_href: None,
                members_href: Some(format!("{own}/membres")),
            });
        };
        let is_carrier = carrier.plan_id == plan_id;
        let base = plan_href(&carrier.organisation_slug, &carrier.plan_slug, audience);
        Some(Sharing {
            carrier: carrier.organisation_name.clone(),
            is_carrier,
            members: members
                .iter()
                .map(|m| {
                    (
                        m.organisation_name.clone(),
                        m.published.then(|| {
                            format!(
                                "/public/{}/{}/bilan/{year}",
                                m.organisation_slug, m.plan_slug
                            )
                        }),
                    )
                })
                .collect(),
            consolidated_href: (is_carrier
                && match role {
                    Some(role) => role != Role::Pilot,
                    None => carrier.published,
                })
            .then(|| format!("{base}/consolide/{year}")),
            members_href: (role == Some(Role::Admin)).then(|| format!("{own}/membres")),
        })
    }
}
