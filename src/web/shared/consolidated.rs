//! The consolidated bilan of a shared plan: each member's values side by side, a total where it
//! makes sense, each objective marked per member and overall, the legal indicators per member.
//! A fixed number of queries whatever the number of members and indicators.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sqlx::PgConnection;

use super::super::AppState;
use super::super::access::member_of;
use super::super::error::AppError;
use super::super::layout::Layout;
use super::super::session::{CurrentUser, Session};
use super::super::view::{Audience, Badge, ValueView, plan_href};
use crate::bilan::Counts;
use crate::bilan::consolidated::{self, Consolidated, MemberValue};
use crate::contracts::joint;
use crate::contracts::report::Cell;
use crate::decp::Measure;
use crate::domain::account::Role;
use crate::domain::consolidate::Total;
use crate::domain::format::{number_fr, quantity_fr};
use crate::domain::model::HasPeriod;
use crate::domain::status::Status;
use crate::plans::read::{self, PlanHead, PlanTree};
use crate::plans::shared;
use crate::plans::values::StatusView;

fn badge(status: Status) -> Badge {
    Badge::new(Some(&StatusView {
        status,
        computed: Some(status),
        overridden: None,
    }))
}

pub struct MemberHeading {
    pub name: String,
    pub short_name: String,
    pub carrier: bool,
    /// « Validé le … » or « Provisoire ».
    pub state: String,
    pub validated: bool,
    /// The member's own bilan of the year, where this reader may open it.
    pub bilan_href: Option<String>,
    pub counts: Counts,
}

pub struct MemberCell {
    pub value: ValueView,
    /// « 18 / 20 » for a share given with its counts.
    pub ratio: Option<String>,
    pub badge: Badge,
}

pub struct IndicatorRow {
    pub label: String,
    pub target: ValueView,
    pub members: Vec<MemberCell>,
    /// The consolidated figure, or why there is none.
    pub total: String,
    pub consolidated: bool,
    pub overall: Badge,
}

pub struct ActionView {
    pub heading: String,
    pub indicators: Vec<IndicatorRow>,
}

pub struct ObjectiveView {
    pub heading: String,
    pub anchor: String,
    pub marks: Vec<Badge>,
    pub overall: Badge,
    pub actions: Vec<ActionView>,
}

pub struct GroupView {
    pub heading: Option<String>,
    pub objectives: Vec<ObjectiveView>,
}

pub struct LegalCell {
    pub count: String,
    pub amount: String,
}

pub struct LegalRow {
    pub label: &'static str,
    pub members: Vec<LegalCell>,
    pub total: LegalCell,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/consolidated.html")]
pub struct ConsolidatedPage {
    pub layout: Layout,
    pub public: bool,
    pub organisation: String,
    pub organisation_href: Option<String>,
    pub plan_title: String,
    pub plan_href: String,
    pub year: i32,
    pub years: Vec<(i32, String)>,
    pub members: Vec<MemberHeading>,
    pub overall: Counts,
    pub objectives_label: &'static str,
    pub groups: Vec<GroupView>,
    pub legal: Vec<LegalRow>,
    pub legal_contracts: Vec<String>,
    pub withheld: usize,
    pub members_href: Option<String>,
    /// Where the consolidated bilan's files are: `{exports}/consolide.csv`.
    pub exports: String,
}

fn total_text(total: &Total, unit: Option<&str>) -> (String, bool) {
    let of = |gave: usize, of: usize| {
        if gave < of {
            format!(" ({gave} membres sur {of})")
        } else {
            String::new()
        }
    };
    match total {
        Total::Sum { total, gave, of: n } => (
            format!("{}{}", quantity_fr(*total, unit), of(*gave, *n)),
            true,
        ),
        Total::Share {
            percent,
            numerator,
            denominator,
            gave,
            of: n,
        } => (
            format!(
                "{} ({} sur {}){}",
                quantity_fr(*percent, Some("%")),
                number_fr(*numerator),
                number_fr(*denominator),
                of(*gave, *n)
            ),
            true,
        ),
        Total::NotConsolidable(why) => (format!("Non consolidable — {why}"), false),
        Total::Empty => ("—".into(), false),
    }
}

fn member_cell(v: &MemberValue, unit: Option<&str>) -> MemberCell {
    MemberCell {
        value: ValueView::new(v.value, v.text.as_ref(), unit).pending(v.withheld),
        ratio: v
            .numerator
            .zip(v.denominator)
            .map(|(n, d)| format!("{} / {}", number_fr(n), number_fr(d))),
        badge: badge(v.status),
    }
}

fn legal_cell(cell: &Cell) -> LegalCell {
    let share = |p: Option<rust_decimal::Decimal>| {
        p.map_or("—".to_string(), |p| quantity_fr(p, Some("%")))
    };
    LegalCell {
        count: format!(
            "{} ({} sur {})",
            share(cell.count_percent()),
            cell.count,
            cell.total_count
        ),
        amount: format!(
            "{} ({} sur {})",
            share(cell.amount_percent()),
            quantity_fr(cell.amount, Some("€")),
            quantity_fr(cell.total_amount, Some("€"))
        ),
    }
}

/// Reads and builds the consolidated bilan: seven queries whatever the number of members and
/// indicators (the plan, its structure and targets, its members, their values, their statuses
/// set by hand, their contracts).
async fn load(
    conn: &mut PgConnection,
    head: PlanHead,
    year: i32,
    audience: Audience,
) -> Result<(PlanTree, Consolidated, Vec<Vec<Cell>>), AppError> {
    if !head.period().contains(year) {
        return Err(AppError::NotFound);
    }
    let members = shared::members(conn, head.id).await?;
    if members.is_empty() {
        return Err(AppError::NotFound);
    }
    let tree = read::plan_content(conn, head).await?;
    let data = shared::members_year(conn, tree.id, year).await?;
    let bilan = consolidated::build(&tree, &members, &data, year, audience == Audience::Public);
    let organisations: Vec<_> = members.iter().map(|m| m.organisation_id).collect();
    let legal = joint::members_legal(conn, &organisations, year).await?;
    let cells = organisations
        .iter()
        .map(|o| legal.get(o).cloned().unwrap_or_default())
        .collect();
    Ok((tree, bilan, cells))
}

fn page(
    tree: &PlanTree,
    bilan: &Consolidated,
    legal: &[Vec<Cell>],
    layout: Layout,
    audience: Audience,
    admin: bool,
) -> ConsolidatedPage {
    let base = plan_href(&tree.organisation.slug, &tree.slug, audience);
    let year = bilan.year;
    let members = bilan
        .members
        .iter()
        .map(|c| MemberHeading {
            name: c.member.organisation_name.clone(),
            short_name: c.member.short_name.clone(),
            carrier: c.member.carrier,
            state: match &c.locked {
                Some((_, at)) => format!("Validé le {}", at.format("%d/%m/%Y")),
                None => "Provisoire".into(),
            },
            validated: c.locked.is_some(),
            bilan_href: match audience {
                Audience::Public => c.member.published.then(|| {
                    format!(
                        "/public/{}/{}/bilan/{year}",
                        c.member.organisation_slug, c.member.plan_slug
                    )
                }),
                // The carrier's people open the carrier's own bilan; another member's, once published.
                Audience::Member if c.member.carrier => Some(format!("{base}/bilan/{year}")),
                Audience::Member => c.member.published.then(|| {
                    format!(
                        "/public/{}/{}/bilan/{year}",
                        c.member.organisation_slug, c.member.plan_slug
                    )
                }),
            },
            counts: c.counts.clone(),
        })
        .collect();
    let mut objective_count = 0;
    let groups = bilan
        .groups
        .iter()
        .map(|g| GroupView {
            heading: g.axis.clone(),
            objectives: g
                .objectives
                .iter()
                .map(|o| {
                    objective_count += 1;
                    ObjectiveView {
                        heading: o.heading.clone(),
                        anchor: format!("objectif-{objective_count}"),
                        marks: o.marks.iter().map(|s| badge(*s)).collect(),
                        overall: badge(o.overall),
                        actions: o
                            .actions
                            .iter()
                            .map(|a| ActionView {
                                heading: a.heading.clone(),
                                indicators: a
                                    .indicators
                                    .iter()
                                    .map(|i| {
                                        let unit = i.unit.as_deref();
                                        let (total, consolidated) = total_text(&i.total, unit);
                                        IndicatorRow {
                                            label: i.label.clone(),
                                            target: ValueView::from_entry(i.target.as_ref(), unit),
                                            members: i
                                                .members
                                                .iter()
                                                .map(|v| member_cell(v, unit))
                                                .collect(),
                                            total,
                                            consolidated,
                                            overall: badge(i.overall),
                                        }
                                    })
                                    .collect(),
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let legal_rows = Measure::ALL
        .into_iter()
        .enumerate()
        .map(|(index, measure)| {
            let cells: Vec<Cell> = legal
                .iter()
                .map(|m| m.get(index).copied().unwrap_or_default())
                .collect();
            LegalRow {
                label: measure.label(),
                members: cells.iter().map(legal_cell).collect(),
                total: legal_cell(&joint::consolidated(cells.iter().copied())),
            }
        })
        .collect();
    let legal_contracts = legal
        .iter()
        .map(|m| {
            let total = m.first().map_or(0, |c| c.total_count);
            format!("{total} contrat(s)")
        })
        .collect();
    ConsolidatedPage {
        layout: layout.for_organisation(&tree.organisation, audience == Audience::Public),
        public: audience == Audience::Public,
        organisation: tree.organisation.name.clone(),
        organisation_href: (audience == Audience::Member)
            .then(|| format!("/organisations/{}", tree.organisation.slug)),
        plan_title: tree.title.clone(),
        plan_href: base.clone(),
        year,
        years: tree
            .period()
            .years()
            .map(|y| (y, format!("{base}/consolide/{y}")))
            .collect(),
        members,
        overall: bilan.overall.clone(),
        objectives_label: tree.objective_term.label_plural(),
        groups,
        legal: legal_rows,
        legal_contracts,
        withheld: bilan.withheld,
        members_href: admin.then(|| format!("{base}/membres")),
        exports: format!("{base}/consolide/{year}"),
    }
}

/// Who reads a shared plan's consolidated bilan signed in: the carrier's people but its pilots
/// (their own organisation's plan is theirs), and the people of members the carrier opened it to
/// for this plan. Anyone else gets « not found ». Also says whether the person administers the
/// carrier.
async fn reader_of(
    conn: &mut sqlx::PgConnection,
    user: &crate::auth::User,
    organisation: &str,
    plan: &str,
) -> Result<(crate::plans::read::PlanHead, bool), AppError> {
    let head = read::plan_head(conn, organisation, plan)
        .await?
        .ok_or(AppError::NotFound)?;
    match member_of(conn, user, organisation).await {
        Ok(access) if access.membership.role == Role::Pilot => Err(AppError::Forbidden),
        Ok(access) => Ok((head, access.membership.role == Role::Admin)),
        Err(AppError::NotFound)
            if crate::plans::shared::is_reader(conn, head.id, user.id).await? =>
        {
            Ok((head, false))
        }
        Err(e) => Err(e),
    }
}

/// The consolidated bilan for the carrier's people: its administrators, procurement staff and
/// committee (and whoever the carrier gave its committee role). Pilots see their own
/// organisation's plan; another member's people are not the carrier's and get « not found ».
pub async fn member_consolidated(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
) -> Result<ConsolidatedPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let (head, admin) = reader_of(&mut conn, &user, &organisation, &plan).await?;
    let (tree, bilan, legal) = load(&mut conn, head, year, Audience::Member).await?;
    Ok(page(
        &tree,
        &bilan,
        &legal,
        Layout::new(&session),
        Audience::Member,
        admin,
    ))
}

/// The consolidated bilan for anyone, once the shared plan is published: only the values each
/// member validated (or of a locked year). Rendered at each request: it also shows the members'
/// contracts, which no plan revision counts.
pub async fn public_consolidated(
    State(state): State<AppState>,
    Path((organisation, plan, year)): Path<(String, String, i32)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let head = read::plan_head(&mut conn, &organisation, &plan)
        .await?
        .filter(|h| h.published_at.is_some())
        .ok_or(AppError::NotFound)?;
    let (tree, bilan, legal) = load(&mut conn, head, year, Audience::Public).await?;
    let html = page(
        &tree,
        &bilan,
        &legal,
        Layout::default(),
        Audience::Public,
        false,
    )
    .render()?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// The consolidated bilan as CSV, each line naming its member.
fn csv(tree: &PlanTree, bilan: &Consolidated, file: &str) -> Result<Response, AppError> {
    if file != "consolide.csv" {
        return Err(AppError::NotFound);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"bilan-consolide-{}-{}.csv\"",
                    tree.slug, bilan.year
                ),
            ),
        ],
        consolidated::to_csv(bilan),
    )
        .into_response())
}

pub async fn member_export(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((organisation, plan, year, file)): Path<(String, String, i32, String)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let (head, _) = reader_of(&mut conn, &user, &organisation, &plan).await?;
    let (tree, bilan, _) = load(&mut conn, head, year, Audience::Member).await?;
    csv(&tree, &bilan, &file)
}

pub async fn public_export(
    State(state): State<AppState>,
    Path((organisation, plan, year, file)): Path<(String, String, i32, String)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let head = read::plan_head(&mut conn, &organisation, &plan)
        .await?
        .filter(|h| h.published_at.is_some())
        .ok_or(AppError::NotFound)?;
    let (tree, bilan, _) = load(&mut conn, head, year, Audience::Public).await?;
    csv(&tree, &bilan, &file)
}
