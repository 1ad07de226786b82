//! Entering a year's values: the entry page (« Saisie »), the pilot's view (« Mes actions »),
//! saving with conflict detection, the review workflow, locks, statuses set by hand, history.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::{Acquire, PgConnection};

use super::AppState;
use super::access::{OrgAccess, member_of};
use super::error::AppError;
use super::layout::Layout;
use super::pages::ValueView;
use super::session::{CurrentUser, Session};
use crate::auth::User;
use crate::domain::account::Role;
use crate::domain::entry::{check_quantity, parse_number, ratio};
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::status::Status;
use crate::plans::entry_store::{self, ActualChange, Conflict, EntrySave, NarrativeChange};
use crate::plans::read::{self, ActionNode, IndicatorNode, PlanTree};
use crate::plans::values::{self, Actual, Level, LogLine, ReviewState, StatusView, YearValues};

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
        let awaits_judgement = view.is_some_and(StatusView::awaits_judgement);
        Badge {
            label: view.map_or(status.label(), StatusView::label),
            class: if awaits_judgement {
                "fr-badge--new"
            } else {
                status.badge_class()
            },
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

impl Typed {
    fn shown(&self) -> String {
        fingerprint(&[
            &self.value,
            &self.text,
            &self.comment,
            &self.numerator,
            &self.denominator,
        ])
    }

    fn from_actual(actual: Option<&Actual>) -> Self {
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
    fn any(&self) -> bool {
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
    pub id: i64,
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
    pub id: i64,
    pub heading: String,
    pub pilots: Vec<String>,
    pub badge: Badge,
    pub review: Option<(&'static str, &'static str)>,
    pub review_comment: Option<String>,
    pub editable: bool,
    pub can_submit: bool,
    pub can_review: bool,
    pub narrative: String,
    pub narrative_version: i32,
    pub narrative_original: String,
    pub indicators: Vec<EntryIndicator>,
    pub to_fill: bool,
}

pub struct EntryObjective {
    pub id: i64,
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

#[derive(Template, WebTemplate)]
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
    pub form_action: String,
    pub base: String,
    pub lock: Option<String>,
    pub can_lock: bool,
    pub can_override: bool,
    pub any_editable: bool,
    pub groups: Vec<EntryGroup>,
    pub missing_by_service: Vec<(String, usize, usize)>,
    pub error_count: usize,
    pub conflicts: Vec<ConflictView>,
    pub problem: Option<String>,
    pub saved: bool,
}

/// Who may do what in this organisation's plan, for one year.
struct Rights<'a> {
    role: Role,
    services: &'a [String],
    locked: bool,
}

impl Rights<'_> {
    fn mine(&self, names: &[String]) -> bool {
        names.iter().any(|n| self.services.contains(n))
    }

    /// The action, or one of its indicators, is piloted by one of the user's services.
    fn pilots(&self, action: &ActionNode) -> bool {
        self.mine(&action.pilots) || action.indicators.iter().any(|i| self.mine(&i.pilots))
    }

    /// An indicator with pilots of its own is theirs alone; one without is its action's.
    fn pilots_indicator(&self, action: &ActionNode, indicator: &IndicatorNode) -> bool {
        if indicator.pilots.is_empty() {
            self.mine(&action.pilots)
        } else {
            self.mine(&indicator.pilots)
        }
    }

    fn may_write(&self, pilots: bool, review: Option<ReviewState>) -> bool {
        if self.locked {
            return false;
        }
        match self.role {
            Role::Procurement => true,
            Role::Pilot => {
                pilots
                    && !matches!(
                        review,
                        Some(ReviewState::Submitted | ReviewState::Validated)
                    )
            }
            Role::Admin | Role::Committee => false,
        }
    }

    /// The action's own fields (what was done).
    fn can_edit(&self, action: &ActionNode, review: Option<ReviewState>) -> bool {
        self.may_write(self.pilots(action), review)
    }

    /// One indicator's value.
    fn can_edit_indicator(
        &self,
        action: &ActionNode,
        indicator: &IndicatorNode,
        review: Option<ReviewState>,
    ) -> bool {
        self.may_write(self.pilots_indicator(action, indicator), review)
    }

    fn can_submit(&self, action: &ActionNode, review: Option<ReviewState>) -> bool {
        !self.locked
            && (self.role == Role::Procurement || (self.role == Role::Pilot && self.pilots(action)))
            && matches!(review, Some(ReviewState::Entered | ReviewState::Returned))
    }

    fn can_review(&self, review: Option<ReviewState>) -> bool {
        !self.locked
            && self.role == Role::Procurement
            && matches!(
                review,
                Some(ReviewState::Submitted | ReviewState::Validated | ReviewState::Entered)
            )
    }
}

/// Everything a handler of the entry pages starts from.
struct Context {
    access: OrgAccess,
    tree: PlanTree,
    values: YearValues,
    services: Vec<String>,
    year: i32,
}

async fn context(
    conn: &mut PgConnection,
    user: &User,
    organisation: &str,
    plan: &str,
    year: i32,
) -> Result<Context, AppError> {
    let access = member_of(conn, user, organisation).await?;
    let tree = read::plan_tree(conn, organisation, plan)
        .await?
        .ok_or(AppError::NotFound)?;
    if !(tree.first_year..=tree.last_year).contains(&year) {
        return Err(AppError::NotFound);
    }
    let values = values::year_values(conn, tree.id, year).await?;
    let services = if access.membership.role == Role::Pilot {
        read::service_names(conn, &access.membership.services).await?
    } else {
        Vec::new()
    };
    Ok(Context {
        access,
        tree,
        values,
        services,
        year,
    })
}

fn plan_base(ctx: &Context) -> String {
    format!(
        "/organisations/{}/plans/{}",
        ctx.access.organisation.slug, ctx.tree.slug
    )
}

/// The page, from the context; `typed` replaces what is stored for the indicators the user
/// submitted (their input is kept on errors and conflicts).
fn build_page(
    ctx: &Context,
    layout: Layout,
    mine: Option<String>,
    service_filter: Option<&str>,
    typed: &HashMap<i64, (Typed, FieldErrors)>,
    narratives_typed: &HashMap<i64, (String, i32, String)>,
) -> EntryPage {
    let rights = Rights {
        role: ctx.access.membership.role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };
    let statuses = values::statuses(&ctx.tree, ctx.year, &ctx.values.overrides);
    let base = plan_base(ctx);
    let mut error_count = 0;
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
                let to_fill = indicators.iter().any(|i| !i.filled)
                    || (indicators.is_empty() && narrative.is_empty());
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
    let view = if mine.is_some() {
        "mes-actions"
    } else {
        "saisie"
    };
    EntryPage {
        layout,
        organisation: ctx.access.organisation.short_name.clone(),
        organisation_href: format!("/organisations/{}", ctx.access.organisation.slug),
        plan_title: ctx.tree.title.clone(),
        plan_href: base.clone(),
        year: ctx.year,
        years: (ctx.tree.first_year..=ctx.tree.last_year)
            .map(|y| (y, format!("{base}/{view}/{y}")))
            .collect(),
        mine,
        form_action: format!("{base}/saisie/{}", ctx.year),
        base,
        lock: ctx.values.lock.as_ref().map(|l| {
            format!(
                "Année verrouillée par {} le {}.",
                l.by,
                l.at.format("%d/%m/%Y")
            )
        }),
        can_lock: ctx.access.membership.role == Role::Procurement,
        can_override: ctx.access.membership.role == Role::Procurement && ctx.values.lock.is_none(),
        any_editable,
        groups,
        missing_by_service: missing_by_service(&ctx.tree, ctx.year),
        error_count,
        conflicts: Vec::new(),
        problem: None,
        saved: false,
    }
}

fn entry_indicator(
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
fn missing_by_service(tree: &PlanTree, year: i32) -> Vec<(String, usize, usize)> {
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

#[derive(Deserialize)]
pub struct EntryQuery {
    #[serde(default)]
    enregistre: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

pub async fn entry_page(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Query(query): Query<EntryQuery>,
) -> Result<EntryPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    let mut page = build_page(
        &ctx,
        Layout::new(&session),
        None,
        None,
        &HashMap::new(),
        &HashMap::new(),
    );
    page.saved = query.enregistre.is_some();
    Ok(page)
}

/// « Mes actions »: a pilot's actions (or, with `?service=`, one service's), what is to fill first.
pub async fn my_actions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Query(query): Query<EntryQuery>,
) -> Result<EntryPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    let service = query.service.filter(|s| !s.is_empty());
    let label = match (&service, ctx.services.is_empty()) {
        (Some(s), _) => format!("Actions pilotées par {s}"),
        (None, false) => format!("Mes actions — {}", ctx.services.join(", ")),
        (None, true) => "Mes actions — vous ne pilotez aucun service".to_string(),
    };
    let mut page = build_page(
        &ctx,
        Layout::new(&session),
        Some(label),
        service.as_deref(),
        &HashMap::new(),
        &HashMap::new(),
    );
    page.saved = query.enregistre.is_some();
    Ok(page)
}

/// One indicator's submission, parsed.
struct Submission {
    indicator_id: i64,
    actual: Actual,
    version: i32,
}

fn pairs(body: &Bytes) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn clean_text(input: &str, max: usize, what: &str) -> Result<Option<String>, String> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(format!("{what} est trop long ({max} caractères au plus)."));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// Parses one indicator's fields; the errors go beside the fields.
fn parse_submission(
    indicator: &IndicatorNode,
    fields: &HashMap<String, String>,
) -> (Typed, FieldErrors, Option<Actual>) {
    let id = indicator.id;
    let get = |prefix: &str| {
        fields
            .get(&format!("{prefix}-{id}"))
            .cloned()
            .unwrap_or_default()
    };
    let typed = Typed {
        value: get("v"),
        text: get("t"),
        comment: get("c"),
        numerator: get("n"),
        denominator: get("d"),
        version: get("ver").parse().unwrap_or(0),
        original: get("o"),
    };
    let unit = indicator.unit.as_deref();
    let mut errors = FieldErrors::default();
    let mut value = match parse_number(&typed.value) {
        Ok(Some((v, typed_unit))) => match check_quantity(v, typed_unit.as_deref(), unit) {
            Ok(()) => Some(v),
            Err(e) => {
                errors.value = Some(e);
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            errors.value = Some(e);
            None
        }
    };
    let numerator = parse_number(&typed.numerator);
    let denominator = parse_number(&typed.denominator);
    let (mut numerator_value, mut denominator_value) = (None, None);
    match (numerator, denominator) {
        (Ok(None), Ok(None)) => {}
        (Ok(Some((n, _))), Ok(Some((d, _)))) => match ratio(n, d) {
            Ok(r) => {
                match value {
                    Some(v) if (v - r).abs() > Decimal::new(1, 1) => {
                        errors.ratio = Some(format!(
                            "La valeur {} ne correspond pas à {} / {} = {}.",
                            quantity_fr(v, unit),
                            number_fr(n),
                            number_fr(d),
                            quantity_fr(r, unit)
                        ));
                    }
                    _ => value = Some(r),
                }
                numerator_value = Some(n);
                denominator_value = Some(d);
            }
            Err(e) => errors.ratio = Some(e),
        },
        (Err(e), _) | (_, Err(e)) => errors.ratio = Some(e),
        _ => {
            errors.ratio =
                Some("Saisissez le numérateur et le dénominateur, ou aucun des deux.".into())
        }
    }
    let text = clean_text(&typed.text, 2000, "Le texte")
        .map_err(|e| errors.text = Some(e))
        .ok()
        .flatten();
    let comment = clean_text(&typed.comment, 2000, "Le commentaire")
        .map_err(|e| errors.text = Some(e))
        .ok()
        .flatten();
    if comment.is_some() && value.is_none() && text.is_none() && !errors.any() {
        errors.value =
            Some("Un commentaire accompagne une valeur : saisissez la valeur ou un texte.".into());
    }
    let actual = (!errors.any()).then_some(Actual {
        value,
        text,
        comment,
        numerator: numerator_value,
        denominator: denominator_value,
        version: typed.version,
        computed: false,
    });
    (typed, errors, actual)
}

fn display_value(value: Option<Decimal>, unit: Option<&str>) -> Option<String> {
    value.map(|v| quantity_fr(v, unit))
}

fn describe(actual: &Actual, unit: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(v) = display_value(actual.value, unit) {
        parts.push(v);
    }
    if let Some(t) = &actual.text {
        parts.push(t.clone());
    }
    if parts.is_empty() {
        "(vide)".into()
    } else {
        parts.join(" — ")
    }
}

pub async fn save(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    let fields = pairs(&body);
    let rights = Rights {
        role: ctx.access.membership.role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };

    // Which indicators and narratives the form carries; each must be the user's to change.
    let mut typed: HashMap<i64, (Typed, FieldErrors)> = HashMap::new();
    let mut submissions: Vec<(Submission, &IndicatorNode, &ActionNode)> = Vec::new();
    let mut narratives: Vec<(i64, Option<String>, i32, &ActionNode)> = Vec::new();
    let mut narratives_typed: HashMap<i64, (String, i32, String)> = HashMap::new();
    let mut narrative_error = None;
    let mut refused = false;
    for group in &ctx.tree.groups {
        for objective in &group.objectives {
            for action in &objective.actions {
                let state_ = ctx.values.reviews.get(&action.id).map(|r| r.state);
                let editable = rights.can_edit(action, state_);
                for indicator in &action.indicators {
                    if !fields.contains_key(&format!("ver-{}", indicator.id)) {
                        continue;
                    }
                    if !rights.can_edit_indicator(action, indicator, state_) {
                        refused = true;
                        continue;
                    }
                    let (t, e, actual) = parse_submission(indicator, &fields);
                    if t.shown() == t.original {
                        continue; // sent back as shown: not this person's change
                    }
                    if let Some(actual) = actual {
                        let version = t.version;
                        submissions.push((
                            Submission {
                                indicator_id: indicator.id,
                                actual,
                                version,
                            },
                            indicator,
                            action,
                        ));
                    }
                    typed.insert(indicator.id, (t, e));
                }
                if let Some(version) = fields.get(&format!("rver-{}", action.id)) {
                    if !editable {
                        refused = true;
                        continue;
                    }
                    let raw = fields
                        .get(&format!("r-{}", action.id))
                        .cloned()
                        .unwrap_or_default();
                    let version = version.parse().unwrap_or(0);
                    let original = fields
                        .get(&format!("ro-{}", action.id))
                        .cloned()
                        .unwrap_or_default();
                    if fingerprint(&[&raw]) == original {
                        continue; // sent back as shown
                    }
                    match clean_text(&raw, 20_000, "Le texte « mis en œuvre »") {
                        Ok(text) => narratives.push((action.id, text, version, action)),
                        Err(e) => narrative_error = Some(e),
                    }
                    narratives_typed.insert(action.id, (raw, version, original));
                }
            }
        }
    }
    if ctx.values.lock.is_some() {
        let mut page = build_page(
            &ctx,
            Layout::new(&session),
            None,
            None,
            &typed,
            &narratives_typed,
        );
        page.problem = Some("L'année est verrouillée : rien n'a été enregistré. Demandez à la commande publique de la déverrouiller.".into());
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    if refused {
        tracing::warn!(
            user = user.id,
            "saisie refusée : indicateur hors des droits de l'utilisateur"
        );
        return Err(AppError::Forbidden);
    }
    if typed.values().any(|(_, e)| e.any()) || narrative_error.is_some() {
        let mut page = build_page(
            &ctx,
            Layout::new(&session),
            None,
            None,
            &typed,
            &narratives_typed,
        );
        page.problem = narrative_error.or(Some(
            "Certaines valeurs sont à corriger : rien n'a été enregistré.".into(),
        ));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    // One transaction of a fixed number of statements: every change, or none; one save of this
    // plan at a time.
    let conflicts = entry_store::save_entry(
        &mut conn,
        &EntrySave {
            plan_id: ctx.tree.id,
            year,
            user_id: user.id,
            role: ctx.access.membership.role,
            actuals: submissions
                .iter()
                .map(|(submission, indicator, action)| ActualChange {
                    indicator_id: submission.indicator_id,
                    action_id: action.id,
                    unit: indicator.unit.as_deref(),
                    actual: submission.actual.clone(),
                    expected_version: submission.version,
                })
                .collect(),
            narratives: narratives
                .iter()
                .map(|(action_id, text, version, _)| NarrativeChange {
                    action_id: *action_id,
                    text: text.clone(),
                    expected_version: *version,
                })
                .collect(),
        },
    )
    .await?;
    if !conflicts.is_empty() {
        let mut views = Vec::new();
        for conflict in conflicts {
            match conflict {
                Conflict::Actual {
                    indicator_id,
                    current,
                } => {
                    let Some((submission, indicator, _)) = submissions
                        .iter()
                        .find(|(s, _, _)| s.indicator_id == indicator_id)
                    else {
                        continue;
                    };
                    views.push(ConflictView {
                        label: indicator.label.clone(),
                        theirs: describe(&current, indicator.unit.as_deref()),
                        mine: describe(&submission.actual, indicator.unit.as_deref()),
                    });
                    // The form shown again carries the user's input, against the current version:
                    // sending it again keeps theirs over the other.
                    if let Some((t, _)) = typed.get_mut(&indicator_id) {
                        t.version = current.version;
                        t.original = Typed::from_actual(Some(&current)).original;
                    }
                }
                Conflict::Narrative { action_id, current } => {
                    let Some((_, text, _, action)) =
                        narratives.iter().find(|(id, _, _, _)| *id == action_id)
                    else {
                        continue;
                    };
                    views.push(ConflictView {
                        label: format!("Mis en œuvre — {}", action.label),
                        theirs: current.text.clone().unwrap_or_else(|| "(vide)".into()),
                        mine: text.clone().unwrap_or_else(|| "(vide)".into()),
                    });
                    if let Some(t) = narratives_typed.get_mut(&action_id) {
                        t.1 = current.version;
                        t.2 = fingerprint(&[current.text.as_deref().unwrap_or_default()]);
                    }
                }
            }
        }
        let mut page = build_page(
            &ctx,
            Layout::new(&session),
            None,
            None,
            &typed,
            &narratives_typed,
        );
        page.conflicts = views;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    Ok(Redirect::to(&format!("{}/saisie/{year}?enregistre=1", plan_base(&ctx))).into_response())
}

fn review_line(
    plan_id: i64,
    year: i32,
    action_id: i64,
    before: Option<ReviewState>,
    after: ReviewState,
    comment: Option<&str>,
    user_id: i64,
) -> LogLine<'static> {
    LogLine {
        plan_id,
        year,
        indicator_id: None,
        action_id: Some(action_id),
        objective_id: None,
        field: "Circuit de validation",
        before: before.map(|s| s.label().to_string()),
        after: Some(match comment {
            Some(c) => format!("{} : {c}", after.label()),
            None => after.label().to_string(),
        }),
        user_id,
    }
}

/// Submit, validate or return an action's values.
pub async fn workflow(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year, action_id)): Path<(String, String, i32, i64)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    let action = ctx
        .tree
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .flat_map(|o| o.actions.iter())
        .find(|a| a.id == action_id)
        .ok_or(AppError::NotFound)?;
    let fields = pairs(&body);
    let transition = fields
        .get("transition")
        .map(String::as_str)
        .unwrap_or_default();
    let comment = fields
        .get("comment")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty());
    let rights = Rights {
        role: ctx.access.membership.role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };
    let current = ctx.values.reviews.get(&action_id).map(|r| r.state);
    let next = match transition {
        "soumettre" if rights.can_submit(action, current) => ReviewState::Submitted,
        "valider" if rights.can_review(current) => ReviewState::Validated,
        "renvoyer" if rights.can_review(current) => {
            if comment.is_none() {
                let mut page = build_page(
                    &ctx,
                    Layout::new(&session),
                    None,
                    None,
                    &HashMap::new(),
                    &HashMap::new(),
                );
                page.problem = Some(
                    "Pour renvoyer des valeurs, écrivez au pilote ce qu'il faut reprendre.".into(),
                );
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            ReviewState::Returned
        }
        "soumettre" | "valider" | "renvoyer" => return Err(AppError::Forbidden),
        _ => return Err(AppError::NotFound),
    };
    let mut tx = conn.begin().await?;
    values::lock_plan(&mut tx, ctx.tree.id).await?;
    let before = values::review_for_update(&mut tx, action_id, year).await?;
    if before != current {
        tx.rollback().await?;
        let mut page = build_page(
            &ctx,
            Layout::new(&session),
            None,
            None,
            &HashMap::new(),
            &HashMap::new(),
        );
        page.problem = Some(
            "Quelqu'un a changé l'état de cette action entre-temps : vérifiez-le et recommencez."
                .into(),
        );
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let comment = if next == ReviewState::Returned {
        comment
    } else {
        None
    };
    values::write_review(&mut tx, action_id, year, next, comment, user.id).await?;
    values::log(
        &mut tx,
        &review_line(ctx.tree.id, year, action_id, before, next, comment, user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "{}/saisie/{year}#action-{action_id}",
        plan_base(&ctx)
    ))
    .into_response())
}

/// Lock or unlock a year.
pub async fn lock(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    if ctx.access.membership.role != Role::Procurement {
        return Err(AppError::Forbidden);
    }
    let fields = pairs(&body);
    let lock = match fields.get("verrou").map(String::as_str) {
        Some("verrouiller") => true,
        Some("deverrouiller") => false,
        _ => return Err(AppError::NotFound),
    };
    let mut tx = conn.begin().await?;
    values::lock_plan(&mut tx, ctx.tree.id).await?;
    let locked = values::is_locked(&mut tx, ctx.tree.id, year).await?;
    if locked != lock {
        if lock {
            sqlx::query!(
                "INSERT INTO plan_year_lock (plan_id, year, locked_by) VALUES ($1, $2, $3)",
                ctx.tree.id,
                year,
                user.id
            )
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query!(
                "DELETE FROM plan_year_lock WHERE plan_id = $1 AND year = $2",
                ctx.tree.id,
                year
            )
            .execute(&mut *tx)
            .await?;
        }
        let (before, after) = if lock {
            ("Ouverte", "Verrouillée")
        } else {
            ("Verrouillée", "Ouverte")
        };
        values::log(
            &mut tx,
            &LogLine {
                plan_id: ctx.tree.id,
                year,
                indicator_id: None,
                action_id: None,
                objective_id: None,
                field: "Verrouillage de l'année",
                before: Some(before.into()),
                after: Some(after.into()),
                user_id: user.id,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}/saisie/{year}", plan_base(&ctx))).into_response())
}

/// Set or remove a status by hand.
pub async fn override_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = context(&mut conn, &user, &organisation, &plan, year).await?;
    if ctx.access.membership.role != Role::Procurement {
        return Err(AppError::Forbidden);
    }
    let fields = pairs(&body);
    let level = fields
        .get("level")
        .and_then(|l| Level::from_db(l))
        .ok_or(AppError::NotFound)?;
    let item: i64 = fields
        .get("item")
        .and_then(|i| i.parse().ok())
        .ok_or(AppError::NotFound)?;
    // The item must be of this plan.
    let (indicator_id, action_id, objective_id, label) =
        find_item(&ctx.tree, level, item).ok_or(AppError::NotFound)?;
    let status = fields.get("status").map(String::as_str).unwrap_or_default();
    let justification = fields
        .get("justification")
        .map(|j| j.trim().to_string())
        .unwrap_or_default();
    let status = match status {
        "" => None,
        s => Some(
            Status::from_db(s)
                .filter(|s| *s != Status::Unknown)
                .ok_or(AppError::NotFound)?,
        ),
    };
    let problem = match status {
        _ if ctx.values.lock.is_some() => {
            Some("L'année est verrouillée : le statut ne peut pas changer.")
        }
        Some(_) if justification.chars().count() < 5 => {
            Some("Justifiez le statut fixé à la main (5 caractères au moins).")
        }
        Some(_) if justification.chars().count() > 2000 => {
            Some("La justification est trop longue (2 000 caractères au plus).")
        }
        _ => None,
    };
    if let Some(problem) = problem {
        let mut page = build_page(
            &ctx,
            Layout::new(&session),
            None,
            None,
            &HashMap::new(),
            &HashMap::new(),
        );
        page.problem = Some(format!("{problem} ({label})"));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let before = ctx
        .values
        .overrides
        .get(&(level, item))
        .map(|o| format!("{} (à la main : {})", o.status.label(), o.justification));
    let mut tx = conn.begin().await?;
    let after = match status {
        Some(status) => {
            sqlx::query!(
                r#"INSERT INTO status_override (plan_id, level, item_id, year, status, justification, set_by)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (level, item_id, year) DO UPDATE
                      SET status = EXCLUDED.status, justification = EXCLUDED.justification,
                          set_by = EXCLUDED.set_by, set_at = now()"#,
                ctx.tree.id,
                level.as_db(),
                item,
                year,
                status.as_db(),
                justification,
                user.id
            )
            .execute(&mut *tx)
            .await?;
            Some(format!("{} (à la main : {justification})", status.label()))
        }
        None => {
            sqlx::query!(
                "DELETE FROM status_override WHERE level = $1 AND item_id = $2 AND year = $3",
                level.as_db(),
                item,
                year
            )
            .execute(&mut *tx)
            .await?;
            Some("Statut calculé".to_string())
        }
    };
    values::log(
        &mut tx,
        &LogLine {
            plan_id: ctx.tree.id,
            year,
            indicator_id,
            action_id,
            objective_id,
            field: "Statut",
            before: before.or(Some("Statut calculé".into())),
            after,
            user_id: user.id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}/saisie/{year}", plan_base(&ctx))).into_response())
}

type ItemIds = (Option<i64>, Option<i64>, Option<i64>, String);

fn find_item(tree: &PlanTree, level: Level, item: i64) -> Option<ItemIds> {
    for objective in tree.groups.iter().flat_map(|g| g.objectives.iter()) {
        if level == Level::Objective && objective.id == item {
            return Some((None, None, Some(objective.id), objective.label.clone()));
        }
        for action in &objective.actions {
            if level == Level::Action && action.id == item {
                return Some((None, Some(action.id), None, action.label.clone()));
            }
            for indicator in &action.indicators {
                if level == Level::Indicator && indicator.id == item {
                    return Some((
                        Some(indicator.id),
                        Some(action.id),
                        None,
                        indicator.label.clone(),
                    ));
                }
            }
        }
    }
    None
}

pub struct HistoryLine {
    pub year: i32,
    pub field: String,
    pub before: String,
    pub after: String,
    pub user: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "entry/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub plan_title: String,
    pub plan_href: String,
    pub label: String,
    pub lines: Vec<HistoryLine>,
}

pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, indicator_id)): Path<(String, String, i64)>,
) -> Result<HistoryPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = member_of(&mut conn, &user, &organisation).await?;
    let tree = read::plan_tree(&mut conn, &organisation, &plan)
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, action_id, _, label) =
        find_item(&tree, Level::Indicator, indicator_id).ok_or(AppError::NotFound)?;
    let rows =
        values::indicator_history(&mut conn, indicator_id, action_id.unwrap_or_default()).await?;
    let paris = |at: chrono::DateTime<chrono::Utc>| at.format("%d/%m/%Y à %H:%M UTC").to_string();
    Ok(HistoryPage {
        layout: Layout::new(&session),
        organisation: access.organisation.short_name.clone(),
        organisation_href: format!("/organisations/{}", access.organisation.slug),
        plan_title: tree.title.clone(),
        plan_href: format!(
            "/organisations/{}/plans/{}",
            access.organisation.slug, tree.slug
        ),
        label,
        lines: rows
            .into_iter()
            .map(|r| HistoryLine {
                year: r.year,
                field: r.field,
                before: r.before.unwrap_or_else(|| "—".into()),
                after: r.after.unwrap_or_else(|| "—".into()),
                user: r.user,
                at: paris(r.at),
            })
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "entry/rules.html")]
pub struct RulesPage {
    pub layout: Layout,
}

/// The status rules, in French, where users can read them.
pub async fn rules(session: Session) -> RulesPage {
    RulesPage {
        layout: Layout::new(&session),
    }
}
