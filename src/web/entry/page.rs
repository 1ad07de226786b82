//! The entry page and « Mes actions »: their view, built from the plan, the year's values and the rights.

use crate::domain::model::HasPeriod;
use std::collections::HashMap;

use super::form::Field;

use askama::Template;

use axum::response::{Html, IntoResponse, Response};

use super::*;
use crate::domain::account::Role;
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::ids::{ActionId, IndicatorId, ObjectiveId};
use crate::plans::read::OrganisationRow;
use crate::plans::read::{ActionNode, IndicatorNode, PlanTree};
use crate::plans::values::{self, Actual, ReviewState};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::Session;
use crate::web::view::{Badge, ValueView};

/// The fields of one indicator in the form, as typed.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub value: String,
    pub text: String,
    pub comment: String,
    pub numerator: String,
    pub denominator: String,
    pub version: i32,
    /// The fingerprint of what the page showed when it was loaded: a field sent back unchanged
    /// is left alone, so that a whole-page save only touches what this person changed.
    pub original: String,
}

/// A short, stable fingerprint of some texts (FNV-1a).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.trim().bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The fingerprint of an indicator's fields as shown (value, text, comment, numerator,
/// denominator, in that order): the page writes it, the save compares what comes back with it.
pub(super) fn shown_fingerprint(
    [value, text, comment, numerator, denominator]: [&str; 5],
) -> String {
    fingerprint(&[value, text, comment, numerator, denominator])
}

impl Typed {
    pub(super) fn shown(&self) -> String {
        shown_fingerprint([
            &self.value,
            &self.text,
            &self.comment,
            &self.numerator,
            &self.denominator,
        ])
    }

    pub(super) fn from_actual(actual: Option<&Actual>) -> Self {
        let Some(a) = actual else {
            let mut typed = Typed::default();
            typed.original = typed.shown();
            return typed;
        };
        let mut typed = Typed {
            value: a.value.map(number_fr).unwrap_or_default(),
            text: a.text.clone().unwrap_or_default(),
            comment: a.comment.clone().unwrap_or_default(),
            numerator: a.numerator.map(number_fr).unwrap_or_default(),
            denominator: a.denominator.map(number_fr).unwrap_or_default(),
            version: a.version,
            original: String::new(),
        };
        typed.original = typed.shown();
        typed
    }
}

#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    pub value: Option<String>,
    pub ratio: Option<String>,
    pub text: Option<String>,
}

impl FieldErrors {
    pub(super) fn any(&self) -> bool {
        self.value.is_some() || self.ratio.is_some() || self.text.is_some()
    }
}

/// An actual computed from the contracts.
pub struct ComputedNote {
    pub said: String,
    pub href: String,
}

pub struct EntryIndicator {
    pub computed: Option<ComputedNote>,
    /// This user may change its value (an indicator with pilots of its own is theirs).
    pub editable: bool,
    pub id: IndicatorId,
    pub label: String,
    pub unit: Option<String>,
    pub percent: bool,
    pub target: ValueView,
    pub badge: Badge,
    pub typed: Typed,
    pub errors: FieldErrors,
    pub history_href: String,
    pub filled: bool,
}

pub struct EntryAction {
    pub id: ActionId,
    pub heading: String,
    pub pilots: Vec<String>,
    pub badge: Badge,
    pub review: Option<(&'static str, &'static str)>,
    pub review_comment: Option<String>,
    pub editable: bool,
    pub can_submit: bool,
    pub can_review: bool,
    /// « Valider » is not offered again on what is validated.
    pub can_validate: bool,
    pub narrative: String,
    pub narrative_version: i32,
    pub narrative_original: String,
    pub indicators: Vec<EntryIndicator>,
    pub to_fill: bool,
}

pub struct EntryObjective {
    pub id: ObjectiveId,
    pub heading: String,
    pub badge: Badge,
    pub actions: Vec<EntryAction>,
}

pub struct EntryGroup {
    pub heading: Option<String>,
    pub objectives: Vec<EntryObjective>,
}

/// A value two people changed at once.
pub struct ConflictView {
    pub label: String,
    pub theirs: String,
    pub mine: String,
}

/// The entry page: its frame (header, breadcrumb, what the last action did, what is wrong) around
/// its content ([`EntryContent`]).
#[derive(Template, Default)]
#[template(path = "entry/entry.html")]
pub struct EntryPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub plan_title: String,
    pub plan_href: String,
    pub year: i32,
    pub years: Vec<(i32, String)>,
    /// « Mes actions »: only the user's (or one service's) actions, what is to fill first.
    pub mine: Option<String>,
    /// The one service « Mes actions » shows, when it shows one.
    pub service: Option<String>,
    pub form_action: String,
    pub base: String,
    pub lock: Option<String>,
    pub can_lock: bool,
    pub can_override: bool,
    pub any_editable: bool,
    pub groups: Vec<EntryGroup>,
    pub missing_by_service: Vec<(String, usize, usize)>,
    pub error_count: usize,
    /// Each indicator in error, with the address of its fields, for the summary at the top.
    pub error_links: Vec<(String, String)>,
    pub conflicts: Vec<ConflictView>,
    pub problem: Option<String>,
    pub saved: bool,
    /// What the last action did, said after its redirect (« Action validée. »).
    pub notice: Option<&'static str>,
    /// Before a lock: what is still empty or not validated, and the confirmation form.
    pub lock_check: Option<LockCheck>,
    /// The content, rendered ([`EntryContent`]) when the frame is.
    pub content: String,
}

/// The page below its frame: the same for every person of a role when nothing was typed, so that
/// it is kept by plan revision with a mark where each person's form token goes.
#[derive(Template)]
#[template(path = "entry/content.html")]
pub struct EntryContent<'a> {
    pub csrf: &'a str,
    pub year: i32,
    pub base: &'a str,
    pub form_action: &'a str,
    pub mine: Option<&'a str>,
    pub service: Option<&'a str>,
    pub lock: Option<&'a str>,
    pub can_lock: bool,
    pub can_override: bool,
    pub any_editable: bool,
    pub groups: &'a [EntryGroup],
    pub missing_by_service: &'a [(String, usize, usize)],
}

impl EntryPage {
    /// The frame of a plan's entry page for a year, without its content.
    pub(super) fn frame(
        organisation: &OrganisationRow,
        plan_slug: &str,
        plan_title: &str,
        years: impl Iterator<Item = i32>,
        year: i32,
        layout: Layout,
        mine: Option<String>,
    ) -> Self {
        let base = format!("/organisations/{}/plans/{plan_slug}", organisation.slug);
        let view = if mine.is_some() {
            "mes-actions"
        } else {
            "saisie"
        };
        EntryPage {
            layout: layout.for_organisation(organisation, false),
            organisation: organisation.short_name.clone(),
            organisation_href: format!("/organisations/{}", organisation.slug),
            plan_title: plan_title.to_string(),
            plan_href: base.clone(),
            year,
            years: years.map(|y| (y, format!("{base}/{view}/{y}"))).collect(),
            mine,
            form_action: format!("{base}/saisie/{year}"),
            base,
            ..Default::default()
        }
    }

    /// The content of this page, with this form token.
    pub(super) fn body<'a>(&'a self, csrf: &'a str) -> EntryContent<'a> {
        EntryContent {
            csrf,
            year: self.year,
            base: &self.base,
            form_action: &self.form_action,
            mine: self.mine.as_deref(),
            service: self.service.as_deref(),
            lock: self.lock.as_deref(),
            can_lock: self.can_lock,
            can_override: self.can_override,
            any_editable: self.any_editable,
            groups: &self.groups,
            missing_by_service: &self.missing_by_service,
        }
    }

    /// The whole page, the person's form token in its content.
    fn whole(mut self) -> Result<String, askama::Error> {
        let csrf = self.layout.csrf.clone().unwrap_or_default();
        self.content = self.body(&csrf).render()?;
        self.render()
    }
}

impl IntoResponse for EntryPage {
    fn into_response(self) -> Response {
        match self.whole() {
            Ok(html) => Html(html).into_response(),
            Err(e) => AppError::from(e).into_response(),
        }
    }
}

/// What a year's lock would freeze unfinished.
pub struct LockCheck {
    pub empty: Vec<String>,
    pub unvalidated: Vec<String>,
}

/// The title of « Mes actions », or of one service's actions.
pub(super) fn mine_label(ctx: &Context, service: Option<&str>) -> String {
    match (service, ctx.services.is_empty()) {
        (Some(s), _) => format!("Actions pilotées par {s}"),
        (None, false) => format!("Mes actions — {}", ctx.services.join(", ")),
        (None, true) => "Mes actions — vous ne pilotez aucun service".to_string(),
    }
}

/// The page as stored, for everyone's view of it (no input to keep).
pub(super) fn stored_page(ctx: &Context, session: &Session) -> EntryPage {
    build_page(
        ctx,
        Layout::new(session),
        None,
        None,
        &HashMap::new(),
        &HashMap::new(),
    )
}

/// The message shown after an action, by the word its redirect carries.
pub(super) fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "soumis" => "Action soumise à la commande publique pour validation.",
        "valide" => "Action validée.",
        "renvoye" => "Action renvoyée au pilote avec votre commentaire.",
        "verrouille" => "Année verrouillée : plus rien ne change sans la déverrouiller.",
        "deverrouille" => "Année déverrouillée.",
        "statut" => "Statut enregistré.",
        _ => return None,
    })
}

/// The page, from the context; `typed` replaces what is stored for the indicators the user
/// submitted (their input is kept on errors and conflicts).
pub(super) fn build_page(
    ctx: &Context,
    layout: Layout,
    mine: Option<String>,
    service_filter: Option<&str>,
    typed: &HashMap<IndicatorId, (Typed, FieldErrors)>,
    narratives_typed: &HashMap<ActionId, (String, i32, String)>,
) -> EntryPage {
    let rights = Rights {
        role: ctx.access.membership.role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };
    let statuses = values::statuses(&ctx.tree, ctx.year, &ctx.values.overrides);
    let base = plan_base(ctx);
    let mut error_count = 0;
    let mut error_links = Vec::new();
    let mut any_editable = false;
    let filter = |action: &ActionNode| -> bool {
        match (mine.is_some(), service_filter) {
            (false, _) => true,
            (true, Some(service)) => action
                .pilots
                .iter()
                .chain(action.indicators.iter().flat_map(|i| i.pilots.iter()))
                .any(|p| p == service),
            (true, None) => rights.pilots(action),
        }
    };
    let mut groups = Vec::new();
    for group in &ctx.tree.groups {
        let mut objectives = Vec::new();
        for objective in &group.objectives {
            let mut actions = Vec::new();
            for action in objective.actions.iter().filter(|a| filter(a)) {
                let review = ctx.values.reviews.get(&action.id);
                let state = review.map(|r| r.state);
                let editable = rights.can_edit(action, state);
                any_editable |= editable;
                let indicators: Vec<EntryIndicator> = action
                    .indicators
                    .iter()
                    .map(|indicator| {
                        let indicator_editable =
                            rights.can_edit_indicator(action, indicator, state);
                        let (typed, errors) =
                            typed.get(&indicator.id).cloned().unwrap_or_else(|| {
                                (
                                    Typed::from_actual(ctx.values.actuals.get(&indicator.id)),
                                    FieldErrors::default(),
                                )
                            });
                        if errors.any() {
                            error_count += 1;
                            error_links.push((
                                indicator.label.clone(),
                                format!("#indicateur-{}", indicator.id),
                            ));
                        }
                        let mut line = entry_indicator(
                            indicator,
                            ctx.year,
                            typed,
                            errors,
                            &statuses,
                            &base,
                            ctx.values.actuals.contains_key(&indicator.id),
                        );
                        line.editable = indicator_editable;
                        any_editable |= indicator_editable;
                        // Computed from the contracts: say so, with the counts and the contracts.
                        if let Some((measure, by_amount, min)) = ctx.values.links.get(&indicator.id) {
                            let actual = ctx.values.actuals.get(&indicator.id).filter(|a| a.computed);
                            line.computed = Some(ComputedNote {
                                said: match actual.and_then(|a| a.numerator.zip(a.denominator)) {
                                    Some((n, d)) => format!(
                                        "Valeur calculée depuis les contrats (DECP) : {} sur {}{}.",
                                        quantity_fr(n, None),
                                        quantity_fr(d, None),
                                        if *by_amount { " € HT" } else { " contrats" }
                                    ),
                                    None => "Valeur calculée depuis les contrats (DECP) : aucun contrat pour cette année.".into(),
                                },
                                href: format!(
                                    "/organisations/{}/contrats?annee={}&mesure={measure}&seuil={min}",
                                    ctx.access.organisation.slug, ctx.year
                                ),
                            });
                        }
                        line
                    })
                    .collect();
                let (narrative, narrative_version, narrative_original) = narratives_typed
                    .get(&action.id)
                    .cloned()
                    .unwrap_or_else(|| {
                        let n = ctx.values.narratives.get(&action.id);
                        let text = n.and_then(|n| n.text.clone()).unwrap_or_default();
                        let original = fingerprint(&[&text]);
                        (text, n.map_or(0, |n| n.version), original)
                    });
                // « À renseigner » only where this person may write.
                let to_fill = indicators.iter().any(|i| i.editable && !i.filled)
                    || (indicators.is_empty() && editable && narrative.is_empty());
                actions.push(EntryAction {
                    id: action.id,
                    heading: match &action.code {
                        Some(code) => format!("Action {code} — {}", action.label),
                        None => action.label.clone(),
                    },
                    pilots: action.pilots.clone(),
                    badge: Badge::new(statuses.actions.get(&action.id)),
                    review: state.map(|s| (s.label(), s.badge_class())),
                    review_comment: review
                        .and_then(|r| r.comment.clone())
                        .filter(|_| state == Some(ReviewState::Returned)),
                    editable,
                    can_submit: rights.can_submit(action, state),
                    can_review: rights.can_review(state),
                    can_validate: rights.can_review(state) && state != Some(ReviewState::Validated),
                    narrative,
                    narrative_version,
                    narrative_original,
                    indicators,
                    to_fill,
                });
            }
            if mine.is_some() {
                // The pilot's view: what is still to fill first.
                actions.sort_by_key(|a| !a.to_fill);
            }
            if !actions.is_empty() {
                objectives.push(EntryObjective {
                    id: objective.id,
                    heading: match ctx.tree.objective_term {
                        crate::domain::model::ObjectiveTerm::Objectif => {
                            format!("Objectif {} — {}", objective.code, objective.label)
                        }
                        crate::domain::model::ObjectiveTerm::FicheAction => {
                            format!("{} — {}", objective.code, objective.label)
                        }
                    },
                    badge: Badge::new(statuses.objectives.get(&objective.id)),
                    actions,
                });
            }
        }
        if !objectives.is_empty() {
            groups.push(EntryGroup {
                heading: group
                    .axis
                    .as_ref()
                    .map(|a| format!("Axe {} — {}", a.number, a.label)),
                objectives,
            });
        }
    }
    let mut page = EntryPage::frame(
        &ctx.tree.organisation,
        &ctx.tree.slug,
        &ctx.tree.title,
        ctx.tree.period().years(),
        ctx.year,
        layout,
        mine,
    );
    page.service = service_filter.map(str::to_string);
    page.lock = ctx.values.lock.as_ref().map(|l| {
        format!(
            "Année verrouillée par {} le {}.",
            l.by,
            l.at.format("%d/%m/%Y")
        )
    });
    page.can_lock = ctx.access.membership.role == Role::Procurement;
    page.can_override =
        ctx.access.membership.role == Role::Procurement && ctx.values.lock.is_none();
    page.any_editable = any_editable;
    page.groups = groups;
    page.missing_by_service = missing_by_service(&ctx.tree, ctx.year);
    page.error_count = error_count;
    page.error_links = error_links;
    page
}

pub(super) fn entry_indicator(
    indicator: &IndicatorNode,
    year: i32,
    typed: Typed,
    errors: FieldErrors,
    statuses: &values::Statuses,
    base: &str,
    filled: bool,
) -> EntryIndicator {
    let target = indicator.targets.iter().find(|t| t.year == year);
    EntryIndicator {
        computed: None,
        editable: false,
        id: indicator.id,
        label: indicator.label.clone(),
        unit: indicator.unit.clone(),
        percent: indicator.unit.as_deref() == Some("%"),
        target: ValueView::from_entry(target, indicator.unit.as_deref()),
        badge: Badge::new(statuses.indicators.get(&indicator.id)),
        typed,
        errors,
        history_href: format!("{base}/indicateurs/{}/historique", indicator.id),
        filled,
    }
}

/// For each service: how many of its indicators have no actual for the year, out of how many.
pub(super) fn missing_by_service(tree: &PlanTree, year: i32) -> Vec<(String, usize, usize)> {
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for group in &tree.groups {
        for objective in &group.objectives {
            for action in &objective.actions {
                for indicator in &action.indicators {
                    let filled = indicator.actuals.iter().any(|a| a.year == year);
                    let pilots = if indicator.pilots.is_empty() {
                        &action.pilots
                    } else {
                        &indicator.pilots
                    };
                    for pilot in pilots {
                        match counts.iter_mut().find(|c| &c.0 == pilot) {
                            Some(c) => {
                                c.1 += usize::from(!filled);
                                c.2 += 1;
                            }
                            None => counts.push((pilot.clone(), usize::from(!filled), 1)),
                        }
                    }
                }
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
}
