//! A new plan — from scratch, or as the next period of one of the organisation's plans — and a
//! plan's own settings.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Choice, Context, author};
use crate::domain::structure::{FieldErrors, PlanInput, plan_settings};
use crate::plans::read::{self, OrganisationRow};
use crate::plans::structure::{self, EditError, copy, write};
use crate::web::AppState;
use crate::web::access::admin_of;
use crate::web::error::AppError;
use crate::web::form::{Form, Query};
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    first_year: String,
    #[serde(default)]
    last_year: String,
    #[serde(default)]
    adopted_on: String,
    #[serde(default)]
    objective_term: String,
    /// « oui » when the plan groups its objectives under axes.
    #[serde(default)]
    has_axes: Option<String>,
    /// The plan whose next period this is (its address), or empty.
    #[serde(default)]
    source: String,
    #[serde(default)]
    version: String,
}

impl PlanForm {
    fn input(&self) -> PlanInput<'_> {
        PlanInput {
            title: &self.title,
            first_year: &self.first_year,
            last_year: &self.last_year,
            adopted_on: &self.adopted_on,
            objective_term: &self.objective_term,
            has_axes: self.has_axes.is_some(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/plan.html")]
pub struct PlanPage {
    pub layout: Layout,
    pub organisation_href: String,
    pub organisation: String,
    /// The plan's page and structure, when it exists.
    pub plan: Option<(String, String, String)>,
    pub heading: String,
    pub action: String,
    pub form: PlanForm,
    pub errors: FieldErrors,
    /// The organisation's plans, for « next period of ».
    pub sources: Vec<Choice>,
    pub conflict: bool,
}

impl PlanPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    pub fn field_label(&self, field: &str) -> &'static str {
        match field {
            "title" => "Titre",
            "first_year" => "Première année",
            "last_year" => "Dernière année",
            "adopted_on" => "Date d'adoption",
            "objective_term" => "Deuxième niveau",
            "has_axes" => "Axes",
            "source" => "Plan précédent",
            _ => "Champ",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewPlanQuery {
    #[serde(default)]
    suite_de: Option<String>,
}

async fn new_page(
    conn: &mut sqlx::PgConnection,
    session: &Session,
    organisation: &OrganisationRow,
    mut form: PlanForm,
    errors: FieldErrors,
) -> Result<PlanPage, AppError> {
    let plans = read::plan_summaries(conn, Some(organisation.id)).await?;
    let organisation_href = format!("/organisations/{}", organisation.slug);
    // A next period starts the year after the plan it follows.
    if form.first_year.is_empty()
        && let Some(p) = plans.iter().find(|p| p.slug == form.source)
    {
        let length = p.last_year - p.first_year;
        form.first_year = (p.last_year + 1).to_string();
        form.last_year = (p.last_year + 1 + length).to_string();
        form.objective_term = p.objective_term.as_db().into();
    }
    Ok(PlanPage {
        layout: Layout::of(session, organisation),
        action: format!("{organisation_href}/nouveau-plan"),
        organisation_href,
        organisation: organisation.short_name.clone(),
        plan: None,
        heading: "Créer un plan".into(),
        sources: plans
            .iter()
            .map(|p| Choice {
                selected: p.slug == form.source,
                value: p.slug.clone(),
                label: format!("{} ({}-{})", p.title, p.first_year, p.last_year),
            })
            .collect(),
        form,
        errors,
        conflict: false,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Query(query): Query<NewPlanQuery>,
) -> Result<PlanPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let form = PlanForm {
        has_axes: Some("oui".into()),
        objective_term: "objectif".into(),
        source: query.suite_de.unwrap_or_default(),
        ..Default::default()
    };
    new_page(
        &mut conn,
        &session,
        &access.organisation,
        form,
        FieldErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(organisation): Path<String>,
    Form(form): Form<PlanForm>,
) -> Result<Response, AppError> {
    let mut tx = state.pool.begin().await?;
    let access = admin_of(&mut tx, &user, &organisation).await?;
    let source = match form.source.trim() {
        "" => None,
        slug => match structure::structure(&mut tx, access.organisation.id, slug).await? {
            Some(s) => Some(s),
            None => {
                let mut errors = FieldErrors::default();
                errors.add("source", "Ce plan n'existe plus : choisissez-en un autre.");
                let page = new_page(&mut tx, &session, &access.organisation, form, errors).await?;
                return Err(AppError::invalid(page));
            }
        },
    };
    let mut settings = match plan_settings(&form.input()) {
        Ok(s) => s,
        Err(errors) => {
            let page = new_page(&mut tx, &session, &access.organisation, form, errors).await?;
            return Err(AppError::invalid(page));
        }
    };
    let created = match &source {
        Some(source) => {
            // The copy keeps the plan's shape: axes if it had them.
            settings.has_axes = source.plan.has_axes;
            copy::copy_plan(&mut tx, source, &settings, author(&user)).await
        }
        None => write::create_plan(&mut tx, access.organisation.id, &settings, author(&user)).await,
    };
    match created {
        Ok((_, slug)) => {
            tx.commit().await?;
            let notice = if source.is_some() {
                "plan-copie"
            } else {
                "plan-cree"
            };
            Ok(Redirect::to(&format!(
                "/organisations/{}/plans/{slug}/structure?fait={notice}",
                access.organisation.slug
            ))
            .into_response())
        }
        Err(EditError::Fields(errors)) => {
            drop(tx);
            let mut conn = state.pool.acquire().await?;
            let page = new_page(&mut conn, &session, &access.organisation, form, errors).await?;
            Err(AppError::invalid(page))
        }
        Err(EditError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(Box::new(e))),
    }
}

fn settings_page(
    ctx: &Context,
    session: &Session,
    form: PlanForm,
    errors: FieldErrors,
    conflict: bool,
) -> PlanPage {
    PlanPage {
        layout: Layout::of(session, &ctx.access.organisation),
        organisation_href: ctx.organisation_href(),
        organisation: ctx.access.organisation.short_name.clone(),
        plan: Some((
            ctx.plan_href(),
            ctx.structure_href(),
            ctx.structure.plan.title.clone(),
        )),
        heading: "Paramètres du plan".into(),
        action: format!("{}/plan", ctx.structure_href()),
        form,
        errors,
        sources: Vec::new(),
        conflict,
    }
}

fn stored_form(ctx: &Context) -> PlanForm {
    let p = &ctx.structure.plan;
    PlanForm {
        title: p.title.clone(),
        first_year: p.first_year.to_string(),
        last_year: p.last_year.to_string(),
        adopted_on: p.adopted_on.map(|d| d.to_string()).unwrap_or_default(),
        objective_term: p.objective_term.as_db().into(),
        has_axes: p.has_axes.then(|| "oui".into()),
        source: String::new(),
        version: p.version.to_string(),
    }
}

pub async fn settings_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
) -> Result<PlanPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
    let form = stored_form(&ctx);
    Ok(settings_page(
        &ctx,
        &session,
        form,
        FieldErrors::default(),
        false,
    ))
}

pub async fn save_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Form(mut form): Form<PlanForm>,
) -> Result<Response, AppError> {
    let mut tx = state.pool.begin().await?;
    let ctx = Context::load_for_change(&mut tx, &user, &organisation, &plan).await?;
    let Ok(version) = form.version.trim().parse::<i32>() else {
        return Err(AppError::BadRequest);
    };
    let settings = match plan_settings(&form.input()) {
        Ok(s) => s,
        Err(errors) => {
            return Err(AppError::invalid(settings_page(
                &ctx, &session, form, errors, false,
            )));
        }
    };
    let has_axis = !ctx.structure.axes.is_empty();
    let updated = match write::update_plan(
        &mut tx,
        &ctx.structure.plan,
        has_axis,
        &ctx.structure.locked_years,
        version,
        &settings,
        author(&user),
    )
    .await
    {
        // The members of a shared plan follow its period: one with values outside it refuses.
        Ok(()) => match crate::plans::shared::sync_members(&mut tx, ctx.structure.plan.id).await {
            Err(sqlx::Error::Database(d)) if d.constraint() == Some("year_in_plan_period") => {
                let mut errors = FieldErrors::default();
                errors.add(
                    "first_year",
                    "Un membre du plan partagé a saisi des valeurs ou des cibles pour des années hors de cette période : élargissez-la.",
                );
                Err(EditError::Fields(errors))
            }
            other => other.map_err(EditError::from),
        },
        Err(e) => Err(e),
    };
    match updated {
        Ok(()) => {
            ctx.commit(tx).await?;
            Ok(ctx.done("plan", None).into_response())
        }
        Err(EditError::Fields(errors)) => Err(AppError::invalid(settings_page(
            &ctx, &session, form, errors, false,
        ))),
        Err(EditError::Conflict) => {
            // Someone saved the settings meanwhile: this person's input is kept, over the
            // version now stored.
            form.version = ctx.structure.plan.version.to_string();
            drop(tx);
            let mut conn = state.pool.acquire().await?;
            let ctx = Context::load(&mut conn, &user, &organisation, &plan).await?;
            form.version = ctx.structure.plan.version.to_string();
            Err(AppError::conflict(settings_page(
                &ctx,
                &session,
                form,
                FieldErrors::default(),
                true,
            )))
        }
        Err(EditError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(Box::new(e))),
    }
}
