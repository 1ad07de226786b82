//! The comparison of two years of a plan's bilan, for members and for the public.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use serde::Deserialize;
use sqlx::PgConnection;

use super::for_audience;
use crate::bilan::{self, Bilan};
use crate::domain::model::HasPeriod;
use crate::plans::{read, values};
use crate::web::AppState;
use crate::web::access::member_of;
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::session::{CurrentUser, Session};
use crate::web::view::{Audience, Badge, ValueView, plan_href};

/// One indicator, two years.
pub struct CompareLine {
    pub heading: Option<String>,
    pub label: String,
    pub first: (ValueView, ValueView, Badge),
    pub second: (ValueView, ValueView, Badge),
    /// From the first year's actual to the second's, when both are known (and public).
    pub change: Option<bilan::Change>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bilan/compare.html")]
pub struct ComparePage {
    pub layout: Layout,
    pub organisation: String,
    pub plan_title: String,
    pub plan_href: String,
    pub years: Vec<i32>,
    pub first: i32,
    pub second: i32,
    pub action: String,
    pub objectives: Vec<(String, Badge, Badge)>,
    pub lines: Vec<CompareLine>,
}

#[derive(Deserialize)]
pub struct CompareQuery {
    de: Option<i32>,
    a: Option<i32>,
}

async fn compare(
    conn: &mut PgConnection,
    organisation: &str,
    plan: &str,
    query: CompareQuery,
    layout: Layout,
    audience: Audience,
) -> Result<ComparePage, AppError> {
    let tree = read::plan_tree(conn, organisation, plan)
        .await?
        .ok_or(AppError::NotFound)?;
    if audience == Audience::Public && tree.published_at.is_none() {
        return Err(AppError::NotFound);
    }
    let tree = for_audience(tree, audience);
    let period = tree.period().years();
    // Unasked, the latest year with values against the one before: never two empty years.
    let mut second = bilan::default_year(&tree, query.a);
    if query.a.is_none() && query.de.is_none() && second == tree.first_year {
        // Nothing entered after the first year: it against the next one.
        second = (second + 1).min(tree.last_year);
    }
    let first = query
        .de
        .filter(|y| period.contains(y))
        .unwrap_or((second - 1).max(tree.first_year));
    let bilans: Vec<Bilan> = {
        let mut out = Vec::new();
        for year in [first, second] {
            let overrides = values::overrides(conn, tree.id, year).await?;
            out.push(bilan::build(
                &tree,
                year,
                &values::statuses(&tree, year, &overrides),
            ));
        }
        out
    };
    let (a, b) = (&bilans[0], &bilans[1]);
    let objectives = a
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .zip(b.groups.iter().flat_map(|g| g.objectives.iter()))
        .map(|(x, y)| {
            (
                format!("{} — {}", x.code, x.label),
                Badge::new(Some(&x.status)),
                Badge::new(Some(&y.status)),
            )
        })
        .collect();
    let rows_a = a.rows();
    let rows_b = b.rows();
    let mut lines = Vec::new();
    let mut last_action = String::new();
    for (ra, rb) in rows_a.iter().zip(rows_b.iter()) {
        let (Some(ia), Some(ib)) = (ra.indicator, rb.indicator) else {
            continue;
        };
        let unit = ia.unit.as_deref();
        let action = match &ra.action.code {
            Some(code) => format!("Action {code} — {}", ra.action.label),
            None => ra.action.label.clone(),
        };
        lines.push(CompareLine {
            heading: (action != last_action).then(|| action.clone()),
            label: ia.label.clone(),
            first: (
                ValueView::new(ia.target, ia.target_text.as_ref(), unit),
                ValueView::new(ia.actual, ia.actual_text.as_ref(), unit)
                    .pending(ra.action.withheld),
                Badge::new(Some(&ia.status)),
            ),
            second: (
                ValueView::new(ib.target, ib.target_text.as_ref(), unit),
                ValueView::new(ib.actual, ib.actual_text.as_ref(), unit)
                    .pending(rb.action.withheld),
                Badge::new(Some(&ib.status)),
            ),
            change: (!ra.action.withheld && !rb.action.withheld)
                .then(|| bilan::change(ia.actual, ib.actual, unit, ia.direction))
                .flatten(),
        });
        last_action = action;
    }
    let base = plan_href(&tree.organisation.slug, &tree.slug, audience);
    Ok(ComparePage {
        layout: layout.for_organisation(&tree.organisation, audience == Audience::Public),
        organisation: tree.organisation.name.clone(),
        plan_title: tree.title.clone(),
        plan_href: base.clone(),
        years: period.collect(),
        first,
        second,
        action: format!("{base}/comparaison"),
        objectives,
        lines,
    })
}

pub async fn member_compare(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Query(query): Query<CompareQuery>,
) -> Result<ComparePage, AppError> {
    let mut conn = state.pool.acquire().await?;
    member_of(&mut conn, &user, &organisation).await?;
    compare(
        &mut conn,
        &organisation,
        &plan,
        query,
        Layout::new(&session),
        Audience::Member,
    )
    .await
}

pub async fn public_compare(
    State(state): State<AppState>,
    session: Session,
    Path((organisation, plan)): Path<(String, String)>,
    Query(query): Query<CompareQuery>,
) -> Result<ComparePage, AppError> {
    let mut conn = state.pool.acquire().await?;
    compare(
        &mut conn,
        &organisation,
        &plan,
        query,
        Layout::new(&session),
        Audience::Public,
    )
    .await
}
