//! The annual bilan: the committee's page, its exports, the comparison of two years, and the
//! publication by which anyone may read a plan and its bilans.

use crate::domain::model::HasPeriod;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::PgConnection;

use super::access::{admin_of, member_of, member_plan_year};
use super::error::AppError;
use super::layout::Layout;
use super::parts::{PageParts, Piece, accepts_gzip};
use super::session::{CurrentUser, Session};
use super::view::{Audience, Badge, ValueView, plan_href};
use super::{AppState, PageKind};
use crate::bilan::{self, Bilan, Counts};
use crate::domain::chart::{self, IndicatorChart, Part};
use crate::plans::read::{self, PlanHead, PlanTree};
use crate::plans::values;

mod compare;
mod frame;

pub use compare::{member_compare, public_compare};
pub use frame::BilanPage;

/// The plan and its bilan for a year, in four queries.
async fn load(
    conn: &mut PgConnection,
    organisation: &str,
    plan: &str,
    year: i32,
    audience: Audience,
) -> Result<(PlanTree, Bilan), AppError> {
    let tree = read::plan_tree(conn, organisation, plan)
        .await?
        .ok_or(AppError::NotFound)?;
    if audience == Audience::Public && tree.published_at.is_none() {
        return Err(AppError::NotFound);
    }
    if !tree.period().contains(year) {
        return Err(AppError::NotFound);
    }
    let tree = for_audience(tree, audience);
    let overrides = values::overrides(conn, tree.id, year).await?;
    let statuses = values::statuses(&tree, year, &overrides);
    let mut bilan = bilan::build(&tree, year, &statuses);
    bilan.validated = values::year_lock(conn, tree.id, year).await?;
    Ok((tree, bilan))
}

/// The plan as the audience reads it: members everything, the public only the values validated
/// by procurement staff or of a locked year.
pub fn for_audience(tree: PlanTree, audience: Audience) -> PlanTree {
    match audience {
        Audience::Member => tree,
        Audience::Public => tree.for_public(),
    }
}

pub struct SummaryView {
    pub label: String,
    pub counts: Counts,
    pub parts: Vec<Part>,
}

pub struct IndicatorLine {
    pub label: String,
    pub target: ValueView,
    pub actual: ValueView,
    pub previous: ValueView,
    pub badge: Badge,
    pub sentence: Option<String>,
    pub chart: Option<IndicatorChart>,
    pub chart_id: String,
}

pub struct ActionBlock {
    pub heading: String,
    /// Its values of the year are not public yet (public bilan).
    pub withheld: bool,
    pub pilots: Vec<String>,
    pub badge: Badge,
    pub narrative: Vec<String>,
    pub indicators: Vec<IndicatorLine>,
}

pub struct ObjectiveBlock {
    pub heading: String,
    pub badge: Badge,
    pub actions: Vec<ActionBlock>,
}

/// One line of the synthesis: an objective's mark, key figure and what was done.
pub struct SynthesisRow {
    pub heading: String,
    pub badge: Badge,
    pub key_figure: Option<bilan::KeyFigure>,
    pub summary: Option<String>,
}

pub struct GroupBlock {
    pub heading: Option<String>,
    pub objectives: Vec<ObjectiveBlock>,
}

/// The bilan itself, as every member (or every visitor) reads it, without the page's frame:
/// rendered once per plan revision and kept ([`super::PageCache`]).
#[derive(Template)]
#[template(path = "bilan/content.html")]
pub struct BilanContent {
    pub public: bool,
    /// « Bilan validé le … par … » or « Bilan provisoire … ».
    pub validation: String,
    pub validated: bool,
    pub organisation: String,
    pub plan_title: String,
    pub year: i32,
    pub previous_year: Option<i32>,
    pub years: Vec<(i32, String)>,
    pub exports: String,
    pub compare_action: String,
    pub summary: Vec<SummaryView>,
    pub objectives_label: &'static str,
    pub objective_label_one: &'static str,
    pub synthesis: Vec<SynthesisRow>,
    pub groups: Vec<GroupBlock>,
    /// The axis and years every chart shares, drawn once (when there is a chart).
    pub frame: Option<chart::Frame>,
    /// How many actions' values of the year are left out of the public page.
    pub withheld: usize,
}

/// About what the bilan takes per indicator (its line, its sentence, its chart), to size the
/// buffer it is written into.
const CONTENT_BYTES: usize = 2_400;

/// Width of the summary's distribution bars.
const BAR: f64 = 240.0;

/// The bilan's view, its texts moved out of the bilan rather than copied (a render makes one
/// bilan, used once).
fn content(tree: &PlanTree, mut bilan: Bilan, audience: Audience) -> BilanContent {
    let base = plan_href(&tree.organisation.slug, &tree.slug, audience);
    // What is worked out from the whole bilan first, before its groups move into the view.
    let validation = bilan.validation();
    let withheld = bilan.withheld();
    let synthesis = bilan
        .synthesis()
        .into_iter()
        .map(|l| SynthesisRow {
            badge: Badge::new(Some(&l.status)),
            heading: l.heading,
            key_figure: l.key_figure,
            summary: l.summary,
        })
        .collect();
    let summary = std::mem::take(&mut bilan.summary)
        .into_iter()
        .map(|s| SummaryView {
            parts: chart::distribution(&s.counts.parts(), BAR),
            label: s.label,
            counts: s.counts,
        })
        .collect();
    let mut chart_count = 0;
    let groups: Vec<GroupBlock> = std::mem::take(&mut bilan.groups)
        .into_iter()
        .map(|g| GroupBlock {
            heading: g.axis,
            objectives: g
                .objectives
                .into_iter()
                .map(|o| ObjectiveBlock {
                    heading: bilan.objective_heading(&o),
                    badge: Badge::new(Some(&o.status)),
                    actions: o
                        .actions
                        .into_iter()
                        .map(|a| ActionBlock {
                            withheld: a.withheld,
                            heading: match &a.code {
                                Some(code) => format!("Action {code} — {}", a.label),
                                None => a.label,
                            },
                            badge: Badge::new(Some(&a.status)),
                            narrative: a
                                .narrative
                                .as_deref()
                                .map(|n| n.split("\n\n").map(str::to_string).collect())
                                .unwrap_or_default(),
                            pilots: a.pilots,
                            indicators: a
                                .indicators
                                .into_iter()
                                .map(|i| {
                                    chart_count += 1;
                                    let unit = i.unit.as_deref();
                                    IndicatorLine {
                                        target: ValueView::new(
                                            i.target,
                                            i.target_text.as_ref(),
                                            unit,
                                        ),
                                        actual: ValueView::new(
                                            i.actual,
                                            i.actual_text.as_ref(),
                                            unit,
                                        )
                                        .pending(a.withheld),
                                        previous: ValueView::new(
                                            i.previous,
                                            i.previous_text.as_ref(),
                                            unit,
                                        )
                                        .pending(a.previous_withheld),
                                        badge: Badge::new(Some(&i.status)),
                                        label: i.label,
                                        sentence: i.sentence,
                                        chart: i.chart,
                                        chart_id: format!("g{chart_count}"),
                                    }
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    BilanContent {
        validation,
        validated: bilan.validated.is_some(),
        public: audience == Audience::Public,
        organisation: tree.organisation.name.clone(),
        plan_title: tree.title.clone(),
        year: bilan.year,
        previous_year: bilan.previous_year,
        years: tree
            .period()
            .years()
            .map(|y| (y, format!("{base}/bilan/{y}")))
            .collect(),
        exports: format!("{base}/bilan/{}", bilan.year),
        compare_action: format!("{base}/comparaison"),
        summary,
        objectives_label: tree.objective_term.label_plural(),
        objective_label_one: tree.objective_term.label(),
        synthesis,
        // Every chart of the bilan is over the plan's years: one frame for all.
        frame: groups
            .iter()
            .flat_map(|g| &g.objectives)
            .flat_map(|o| &o.actions)
            .flat_map(|a| &a.indicators)
            .find_map(|i| i.chart.as_ref().map(IndicatorChart::frame)),
        groups,
        withheld,
    }
}

pub async fn member_bilan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (head, access) =
        member_plan_year(&state.pool, &session, &user, (&organisation, &plan, year)).await?;
    let (content, key) = rendered(&state, &head, year, Audience::Member).await?;
    let mut page = BilanPage::of(&head, year, Layout::new(&session), Audience::Member);
    page.can_publish = access.membership.role.administers();
    // To a client that accepts gzip, the kept bilan as compressed once, between the frame's
    // parts compressed now; to others, as it is kept.
    if accepts_gzip(&headers)
        && let Some(deflated) = state.pages.deflated(key, &content).await
        && let [deflated] = &deflated[..]
    {
        return Ok(page.around_gzip(deflated)?.gzipped_response());
    }
    Ok(page.around(content)?.into_response())
}

/// The bilan of a plan for an audience, without its frame: rendered once per plan revision
/// (what members read and what the public reads kept apart), then taken from the cache.
async fn rendered(
    state: &AppState,
    head: &PlanHead,
    year: i32,
    audience: Audience,
) -> Result<(Bytes, super::PageKey), AppError> {
    let key = (
        head.id,
        year,
        head.revision,
        PageKind::BilanContent(audience),
    );
    let seen = std::time::Instant::now();
    let (html, _) = state
        .pages
        .get_or_render(key, seen, || async {
            let pool = &state.pool;
            let head = super::cache::head_again(pool, head.id, year).await?;
            // The plan's values (its structure as kept, unless it changed), its statuses set by
            // hand and the year's lock, at once.
            let (tree, overrides, lock) = tokio::try_join!(
                state.structures.content(pool, head.clone()),
                async { values::overrides(&mut *pool.acquire().await?, head.id, year).await },
                async {
                    match audience {
                        Audience::Member => {
                            values::year_lock(&mut *pool.acquire().await?, head.id, year).await
                        }
                        Audience::Public => Ok(None),
                    }
                },
            )?;
            let tree = for_audience(tree, audience);
            let mut bilan = bilan::build(&tree, year, &values::statuses(&tree, year, &overrides));
            bilan.validated = lock;
            // Written into a buffer sized for the plan: no copy as it grows.
            let mut html = String::with_capacity(CONTENT_BYTES * (tree.indicator_count() + 8));
            content(&tree, bilan, audience).render_into(&mut html)?;
            let html = Bytes::from(html);
            Ok::<_, AppError>((html, super::Marks::from([])))
        })
        .await?;
    Ok((html, key))
}

/// The public bilan. The page is the same for every visitor (the anonymous frame), so it is
/// kept whole, by plan revision: one query when nothing changed, four when it did. Nothing a
/// visitor sends (`Cache-Control: no-cache`…) makes it render again: the revision alone decides.
pub async fn public_bilan(
    State(state): State<AppState>,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let head = read::plan_head(&mut conn, &organisation, &plan)
        .await?
        .filter(|h| h.published_at.is_some() && h.period().contains(year))
        .ok_or(AppError::NotFound)?;
    let key = (head.id, year, head.revision, PageKind::PublicBilan);
    if let Some(html) = state.pages.get(key) {
        return Ok(public_response(&state, key, html, &headers).await);
    }
    drop(conn);
    let (content, _) = rendered(&state, &head, year, Audience::Public).await?;
    let page = BilanPage::of(&head, year, Layout::default(), Audience::Public).around(content)?;
    let html = page.into_bytes();
    state.pages.put(key, html.clone());
    Ok(public_response(&state, key, html, &headers).await)
}

/// The public bilan kept whole: compressed once for the clients that accept gzip.
async fn public_response(
    state: &AppState,
    key: super::PageKey,
    html: Bytes,
    headers: &HeaderMap,
) -> Response {
    if accepts_gzip(headers)
        && let Some(deflated) = state.pages.deflated(key, &html).await
    {
        let pieces: Vec<Piece> = deflated.iter().map(Piece::Kept).collect();
        return PageParts::gzip(&pieces).gzipped_response();
    }
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// How a downloaded document presents itself: the day its year was locked, if it was (read
/// with the bilan).
fn edition(bilan: &Bilan, tree: &PlanTree, audience: Audience) -> bilan::Edition {
    bilan::Edition {
        validated_on: bilan.validated.as_ref().map(|lock| lock.at.date_naive()),
        made_on: chrono::Utc::now().date_naive(),
        public: audience == Audience::Public,
        initials: super::layout::initials(&tree.organisation.short_name),
        // spaser's own teal when the organisation chose no colour (as its pages do).
        accent: tree
            .organisation
            .accent_color
            .as_deref()
            .and_then(|c| crate::domain::colour::Rgb::parse_accent(c).ok())
            .unwrap_or(crate::domain::colour::Rgb(0x0f, 0x5e, 0x6b)),
    }
}

/// Documents laid out at once (PDF), whoever asks.
static DOCUMENTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn export(
    tree: &PlanTree,
    bilan: &Bilan,
    file: &str,
    audience: Audience,
) -> Result<Response, AppError> {
    let name = format!("bilan-{}-{}", tree.slug, bilan.year);
    let internal = |e: Box<dyn std::error::Error + Send + Sync>| AppError::Internal(e);
    let (content_type, extension, body) = match file {
        "bilan.csv" => ("text/csv; charset=utf-8", "csv", bilan::to_csv(bilan)),
        "bilan.xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            bilan::to_xlsx(bilan).map_err(|e| internal(Box::new(e)))?,
        ),
        "bilan.json" => (
            "application/json; charset=utf-8",
            "json",
            serde_json::to_vec_pretty(&bilan::to_json(bilan)).map_err(|e| internal(Box::new(e)))?,
        ),
        "bilan.pdf" => {
            let edition = edition(bilan, tree, audience);
            let bilan = bilan.clone();
            // Laying out a long plan takes a moment: off the async workers, two at a time at
            // most, so that many requests for documents cannot take every core.
            let _permit = DOCUMENTS
                .acquire()
                .await
                .map_err(|e| internal(Box::new(e)))?;
            let pdf = tokio::task::spawn_blocking(move || bilan::to_pdf(&bilan, &edition))
                .await
                .map_err(|e| internal(Box::new(e)))?
                .map_err(|e| internal(Box::new(e)))?;
            ("application/pdf", "pdf", pdf)
        }
        "bilan.docx" => (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            bilan::to_docx(bilan, &edition(bilan, tree, audience))
                .map_err(|e| internal(Box::new(e)))?,
        ),
        _ => return Err(AppError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{extension}\""),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn member_export(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan, year, file)): Path<(String, String, i32, String)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    member_of(&mut conn, &user, &organisation).await?;
    let (tree, bilan) = load(&mut conn, &organisation, &plan, year, Audience::Member).await?;
    export(&tree, &bilan, &file, Audience::Member).await
}

pub async fn public_export(
    State(state): State<AppState>,
    Path((organisation, plan, year, file)): Path<(String, String, i32, String)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let (tree, bilan) = load(&mut conn, &organisation, &plan, year, Audience::Public).await?;
    export(&tree, &bilan, &file, Audience::Public).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum Publication {
    #[serde(rename = "publier")]
    Publish,
    #[serde(rename = "retirer")]
    Withdraw,
}

#[derive(serde::Deserialize)]
pub struct PublicationForm {
    publication: Publication,
}

/// Publish or withdraw a plan (administrators).
pub async fn publication(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan)): Path<(String, String)>,
    super::form::Form(form): super::form::Form<PublicationForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &organisation).await?;
    let publish = form.publication == Publication::Publish;
    let updated = sqlx::query!(
        r#"UPDATE plan SET published_at = CASE WHEN $3 THEN coalesce(published_at, now()) ELSE NULL END
            WHERE organisation_id = $1 AND slug = $2"#,
        access.organisation.id.get(),
        plan,
        publish
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = user.id.get(), plan = %plan, publish, "publication");
    Ok(Redirect::to(&format!("/organisations/{organisation}/plans/{plan}")).into_response())
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::{get_route, post_route};
    vec![
        get_route(
            "/organisations/{organisation}/plans/{plan}/bilan/{year}",
            member_bilan,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/bilan/{year}/{file}",
            member_export,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/comparaison",
            member_compare,
        ),
        post_route(
            "/organisations/{organisation}/plans/{plan}/publication",
            publication,
        ),
        get_route("/public/{organisation}/{plan}/bilan/{year}", public_bilan),
        get_route(
            "/public/{organisation}/{plan}/bilan/{year}/{file}",
            public_export,
        ),
        get_route("/public/{organisation}/{plan}/comparaison", public_compare),
    ]
}
