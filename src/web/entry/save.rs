//! The whole-page save: each indicator's fields parsed, the rights checked, conflicts detected,
//! the changes and their history written in one transaction.

use std::collections::HashMap;

use super::form::Field;
use crate::web::form::{Fields, Form};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;

use super::page::*;
use super::*;
use crate::domain::entry::{check_quantity, parse_number, ratio};
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::ids::{ActionId, IndicatorId};
use crate::plans::entry_store::{self, ActualChange, Conflict, EntrySave, NarrativeChange};
use crate::plans::read::{ActionNode, IndicatorNode};
use crate::plans::values::Actual;
use crate::web::AppState;
use crate::web::access::member_plan_year;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

/// One indicator's submission, parsed.
pub(super) struct Submission {
    indicator_id: IndicatorId,
    actual: Actual,
    version: i32,
}

pub(super) fn clean_text(input: &str, max: usize, what: &str) -> Result<Option<String>, String> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(format!("{what} est trop long ({max} caractères au plus)."));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// One indicator's fields as the form sent them, borrowed from it.
pub(super) struct Sent<'f> {
    value: &'f str,
    text: &'f str,
    comment: &'f str,
    numerator: &'f str,
    denominator: &'f str,
    version: &'f str,
    original: &'f str,
}

impl<'f> Sent<'f> {
    /// The fields sent for `id`, when the form carries the indicator (its version field); `name`
    /// is a buffer for the fields' names, reused from one indicator to the next (a whole-page
    /// save sends seven fields per indicator).
    fn of(fields: &'f Fields, id: IndicatorId, name: &mut String) -> Option<Self> {
        let mut get = |field: Field| {
            field.name_into(id, name);
            fields.get(name.as_str()).map(String::as_str)
        };
        let version = get(Field::Version)?;
        Some(Sent {
            value: get(Field::Value).unwrap_or_default(),
            text: get(Field::Text).unwrap_or_default(),
            comment: get(Field::Comment).unwrap_or_default(),
            numerator: get(Field::Numerator).unwrap_or_default(),
            denominator: get(Field::Denominator).unwrap_or_default(),
            version,
            original: get(Field::Original).unwrap_or_default(),
        })
    }

    /// Sent back as the page showed it: not this person's change, and not parsed.
    fn unchanged(&self) -> bool {
        shown_fingerprint([
            self.value,
            self.text,
            self.comment,
            self.numerator,
            self.denominator,
        ]) == self.original
    }
}

/// Parses one indicator's fields; the errors go beside the fields.
pub(super) fn parse_submission(
    indicator: &IndicatorNode,
    sent: &Sent<'_>,
) -> (Typed, FieldErrors, Option<Actual>) {
    let typed = Typed {
        value: sent.value.to_string(),
        text: sent.text.to_string(),
        comment: sent.comment.to_string(),
        numerator: sent.numerator.to_string(),
        denominator: sent.denominator.to_string(),
        version: sent.version.parse().unwrap_or(0),
        original: sent.original.to_string(),
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

pub(super) fn display_value(value: Option<Decimal>, unit: Option<&str>) -> Option<String> {
    value.map(|v| quantity_fr(v, unit))
}

pub(super) fn describe(actual: &Actual, unit: Option<&str>) -> String {
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

/// The page the form was sent from: the whole plan, or « Mes actions » (perhaps one service's).
struct ReturnView {
    mine: Option<String>,
    service: Option<String>,
}

impl ReturnView {
    fn of(ctx: &Context, fields: &Fields) -> Self {
        if fields.get("retour").map(String::as_str) != Some("mes-actions") {
            return Self {
                mine: None,
                service: None,
            };
        }
        let service = fields
            .get("service")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Self {
            mine: Some(mine_label(ctx, service.as_deref())),
            service,
        }
    }

    fn after_save(&self, ctx: &Context) -> String {
        let base = plan_base(ctx);
        let year = ctx.year;
        match (&self.mine, &self.service) {
            (None, _) => format!("{base}/saisie/{year}?enregistre=1"),
            (Some(_), None) => format!("{base}/mes-actions/{year}?enregistre=1"),
            (Some(_), Some(service)) => format!(
                "{base}/mes-actions/{year}?enregistre=1&service={}",
                form_urlencoded::byte_serialize(service.as_bytes()).collect::<String>()
            ),
        }
    }
}

/// Where the entry page is shown again from when a save writes nothing (invalid input, a
/// conflict, a year locked meanwhile).
struct Again<'a> {
    user: &'a User,
    session: &'a Session,
    /// The organisation's and the plan's slugs, and the year.
    address: (&'a str, &'a str, i32),
    view: &'a ReturnView,
}

impl Again<'_> {
    /// The entry page as it is now, with the person's input, in the view they saved from.
    async fn page(
        &self,
        conn: &mut PgConnection,
        typed: &HashMap<IndicatorId, (Typed, FieldErrors)>,
        narratives_typed: &HashMap<ActionId, (String, i32, String)>,
    ) -> Result<EntryPage, AppError> {
        let (organisation, plan, year) = self.address;
        let ctx = context(conn, self.user, organisation, plan, year).await?;
        Ok(build_page(
            &ctx,
            Layout::new(self.session),
            self.view.mine.clone(),
            self.view.service.as_deref(),
            typed,
            narratives_typed,
        ))
    }
}

pub async fn save(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    // The member's plan year first: its fallback read takes a connection of its own, given back
    // before this request takes the one it keeps.
    let checked =
        member_plan_year(&state.pool, &session, &user, (&organisation, &plan, year)).await?;
    let mut conn = state.pool.acquire().await?;
    // Only what the rights need: the page is read whole again only to be shown again.
    let ctx = save_context(&mut conn, &state.structures, checked, year).await?;
    // Saved from « Mes actions » (perhaps one service's): the same view again, on error or after.
    let view = ReturnView::of(&ctx, &fields);
    let again = Again {
        user: &user,
        session: &session,
        address: (&organisation, &plan, year),
        view: &view,
    };
    let rights = Rights {
        role: ctx.access.membership.role,
        services: &ctx.services,
        locked: ctx.values.lock.is_some(),
    };

    // Which indicators and narratives the form carries; each must be the user's to change.
    let mut typed: HashMap<IndicatorId, (Typed, FieldErrors)> = HashMap::new();
    let mut submissions: Vec<(Submission, &IndicatorNode, &ActionNode)> = Vec::new();
    let mut narratives: Vec<(ActionId, Option<String>, i32, &ActionNode)> = Vec::new();
    let mut narratives_typed: HashMap<ActionId, (String, i32, String)> = HashMap::new();
    let mut narrative_error = None;
    let mut refused = false;
    let mut name = String::new();
    for group in &ctx.tree.groups {
        for objective in &group.objectives {
            for action in &objective.actions {
                let state_ = ctx.values.reviews.get(&action.id).map(|r| r.state);
                let editable = rights.can_edit(action, state_);
                for indicator in &action.indicators {
                    let Some(sent) = Sent::of(&fields, indicator.id, &mut name) else {
                        continue;
                    };
                    if !rights.can_edit_indicator(action, indicator, state_) {
                        refused = true;
                        continue;
                    }
                    if sent.unchanged() {
                        continue;
                    }
                    let (t, e, actual) = parse_submission(indicator, &sent);
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
                if let Some(version) = fields.get(&Field::NarrativeVersion.name(action.id)) {
                    if !editable {
                        refused = true;
                        continue;
                    }
                    let raw = fields
                        .get(&Field::Narrative.name(action.id))
                        .cloned()
                        .unwrap_or_default();
                    let version = version.parse().unwrap_or(0);
                    let original = fields
                        .get(&Field::NarrativeOriginal.name(action.id))
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
        let mut page = again.page(&mut conn, &typed, &narratives_typed).await?;
        page.problem = Some("L'année est verrouillée : rien n'a été enregistré. Demandez à la commande publique de la déverrouiller.".into());
        return Err(AppError::conflict(page));
    }
    if refused {
        tracing::warn!(
            user = user.id.get(),
            "saisie refusée : indicateur hors des droits de l'utilisateur"
        );
        return Err(AppError::Forbidden);
    }
    if typed.values().any(|(_, e)| e.any()) || narrative_error.is_some() {
        let mut page = again.page(&mut conn, &typed, &narratives_typed).await?;
        page.problem = narrative_error.or(Some(
            "Certaines valeurs sont à corriger : rien n'a été enregistré.".into(),
        ));
        return Err(AppError::invalid(page));
    }

    // Two statements whatever the number of fields (the read, then the write under the plan's
    // lock): every change, or none; one save of this plan at a time.
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
            reviews_seen: &ctx.values.reviews,
        },
    )
    .await?;
    if conflicts.contains(&Conflict::YearLocked) {
        // Locked since the page was loaded: the page again, with the person's input, read-only.
        let mut page = again.page(&mut conn, &typed, &narratives_typed).await?;
        page.problem = Some(format!(
            "L'année {year} a été verrouillée pendant votre saisie : rien n'a été enregistré. \
             Demandez à la commande publique de la déverrouiller si une valeur doit changer."
        ));
        return Err(AppError::conflict(page));
    }
    if let Some(Conflict::ReviewMoved { action_id }) = conflicts
        .iter()
        .find(|c| matches!(c, Conflict::ReviewMoved { .. }))
    {
        // Submitted, validated or returned since the rights were checked: the page again as it is
        // now (what the person may still change), with their input.
        let label = narratives
            .iter()
            .map(|(id, _, _, action)| (*id, *action))
            .chain(
                submissions
                    .iter()
                    .map(|(_, _, action)| (action.id, *action)),
            )
            .find(|(id, _)| id == action_id)
            .map(|(_, action)| action.label.clone())
            .unwrap_or_default();
        let mut page = again.page(&mut conn, &typed, &narratives_typed).await?;
        page.problem = Some(format!(
            "Le circuit de validation de l'action « {label} » a avancé pendant votre saisie : \
             rien n'a été enregistré. Vérifiez la page et enregistrez à nouveau."
        ));
        return Err(AppError::conflict(page));
    }
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
                Conflict::YearLocked | Conflict::ReviewMoved { .. } => {}
            }
        }
        let mut page = again.page(&mut conn, &typed, &narratives_typed).await?;
        page.conflicts = views;
        return Err(AppError::conflict(page));
    }
    Ok(Redirect::to(&view.after_save(&ctx)).into_response())
}
