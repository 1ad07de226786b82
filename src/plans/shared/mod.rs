//! A SPASER shared by several buyers (loi Industrie verte, 2023), each buyer's indicators kept
//! apart.
//!
//! The *carrier* (porteur) administers the shared plan's structure; each other member follows it
//! in a plan of its own organisation (`plan.shared_from_plan_id`), whose axes, objectives, actions
//! and indicators each name the carrier's item they mirror (`source_…_id`). Everything per buyer
//! (values, pilots, reviews, locks, publication, exports, contracts) is then the member plan's, as
//! for a single buyer, and per-member access is today's per-organisation access. The carrier is a
//! member too: its member plan is the shared plan itself.
//!
//! [`sync_members`] makes every member plan follow the carrier's structure: call it in the same
//! transaction after any structural change of a carrier's plan (the re-import does).

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::domain::ids::{IndicatorId, OrganisationId, PlanId};

/// Why a member could not be added.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("Cette organisation porte déjà ce plan.")]
    Carrier,
    #[error(
        "Ce plan suit le plan partagé d'une autre organisation : seul son porteur peut y associer des membres."
    )]
    NotCarrier,
    #[error("Cette organisation est déjà membre de ce plan partagé.")]
    AlreadyMember,
    #[error("Cette organisation a déjà un plan de ce titre : renommez-le d'abord.")]
    SameTitle,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A member of a shared plan.
#[derive(Debug, Clone)]
pub struct Member {
    pub organisation_id: OrganisationId,
    pub organisation_slug: String,
    pub organisation_name: String,
    pub short_name: String,
    pub plan_id: PlanId,
    pub plan_slug: String,
    pub published: bool,
    /// The carrier itself (its member plan is the shared plan).
    pub carrier: bool,
}

/// The plan a member plan follows (`None` for a plan of its own or a carrier's).
pub async fn carrier_of(
    conn: &mut PgConnection,
    plan_id: PlanId,
) -> Result<Option<PlanId>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        r#"SELECT shared_from_plan_id AS "id: PlanId" FROM plan WHERE id = $1"#,
        plan_id.get()
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// The members of the plan shared from `carrier_plan_id`, the carrier first then by name; empty
/// when the plan is not shared. One query.
pub async fn members(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as!(
        Member,
        r#"SELECT o.id AS "organisation_id: OrganisationId", o.slug AS organisation_slug,
                  o.name AS organisation_name, o.short_name, p.id AS "plan_id: PlanId",
                  p.slug AS plan_slug, p.published_at IS NOT NULL AS "published!",
                  m.member_plan_id = m.carrier_plan_id AS "carrier!"
             FROM plan_member m JOIN organisation o ON o.id = m.organisation_id
             JOIN plan p ON p.id = m.member_plan_id
            WHERE m.carrier_plan_id = $1
            ORDER BY m.member_plan_id <> m.carrier_plan_id, o.name"#,
        carrier_plan_id.get()
    )
    .fetch_all(conn)
    .await
}

/// Makes `organisation_id` a member of the carrier's plan: creates its linked plan (same title,
/// period and structure, in its own organisation) and returns its id. The carrier becomes a
/// member of its own plan with the first member. Call inside a transaction.
pub async fn add_member(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
    organisation_id: OrganisationId,
) -> Result<PlanId, MemberError> {
    let carrier = sqlx::query!(
        r#"SELECT organisation_id, slug, title, shared_from_plan_id FROM plan WHERE id = $1 FOR UPDATE"#,
        carrier_plan_id.get()
    )
    .fetch_one(&mut *conn)
    .await?;
    if carrier.shared_from_plan_id.is_some() {
        return Err(MemberError::NotCarrier);
    }
    if carrier.organisation_id == organisation_id.get() {
        return Err(MemberError::Carrier);
    }
    let already = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan_member WHERE carrier_plan_id = $1 AND organisation_id = $2) AS "x!""#,
        carrier_plan_id.get(),
        organisation_id.get()
    )
    .fetch_one(&mut *conn)
    .await?;
    if already {
        return Err(MemberError::AlreadyMember);
    }
    // The carrier's address when the member has no plan there, so that both read alike.
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan WHERE organisation_id = $1 AND slug = $2) AS "x!""#,
        organisation_id.get(),
        carrier.slug
    )
    .fetch_one(&mut *conn)
    .await?;
    let new_slug = super::store::new_plan_slug(&mut *conn, organisation_id, &carrier.title)
        .await?
        .ok_or(MemberError::SameTitle)?;
    let slug = if taken { new_slug } else { carrier.slug };
    let plan_id = sqlx::query_scalar!(
        r#"INSERT INTO plan (organisation_id, slug, title, first_year, last_year, adopted_on, objective_term,
                             shared_from_plan_id)
           SELECT $2, $3, title, first_year, last_year, adopted_on, objective_term, id FROM plan WHERE id = $1
           RETURNING id"#,
        carrier_plan_id.get(),
        organisation_id.get(),
        slug
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO plan_member (carrier_plan_id, organisation_id, member_plan_id)
           VALUES ($1, $2, $1), ($1, $3, $4)
           ON CONFLICT (carrier_plan_id, organisation_id) DO NOTHING"#,
        carrier_plan_id.get(),
        carrier.organisation_id,
        organisation_id.get(),
        plan_id
    )
    .execute(&mut *conn)
    .await?;
    sync_members(conn, carrier_plan_id).await?;
    Ok(PlanId(plan_id))
}

/// Makes every member plan of the carrier's plan follow its structure, in a fixed number of
/// statements whatever the number of members and items:
/// - the plan's title, period and objective term;
/// - axes, objectives, actions and indicators: inserted when new, updated (number, code, label,
///   place, type, unit, direction, baseline, threshold) when they exist, matched by the carrier's
///   item they mirror;
/// - targets: the carrier's, except those of the member's locked years, which stay;
/// - pilots: a member item with no pilot of its own gets the member's services of the carrier's
///   pilots' names (created when missing); the member's own choice is then kept;
/// - what the carrier removed is removed, unless it holds anything of one of the member's locked
///   years (it then stays, its number marked « retiré », until the year is unlocked).
///
/// Values, narratives, reviews, locks and statuses set by hand are never touched. Does nothing
/// (one query) for a plan that is not shared. Call it in the transaction that changed the
/// carrier's structure.
pub async fn sync_members(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
) -> Result<(), sqlx::Error> {
    let carrier = carrier_plan_id.get();
    // The member plans, locked as an entry save locks its plan: saves wait for the sync.
    let plans: Vec<i64> = sqlx::query_scalar!(
        r#"SELECT p.id FROM plan p JOIN plan_member m ON m.member_plan_id = p.id
            WHERE m.carrier_plan_id = $1 AND p.id <> $1 ORDER BY p.id FOR UPDATE OF p"#,
        carrier
    )
    .fetch_all(&mut *conn)
    .await?;
    if plans.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"UPDATE plan m SET title = c.title, first_year = c.first_year, last_year = c.last_year,
                             objective_term = c.objective_term
             FROM plan c WHERE c.id = $1 AND m.id = ANY($2)
              AND (m.title, m.first_year, m.last_year, m.objective_term)
                  IS DISTINCT FROM (c.title, c.first_year, c.last_year, c.objective_term)"#,
        carrier,
        &plans
    )
    .execute(&mut *conn)
    .await?;

    // Numbers, codes and places are unique in a plan: move the mirrors' out of the way (they get
    // the carrier's below), and mark the orphans' (whose carrier item is gone) as removed.
    sqlx::query!(
        r#"UPDATE axis SET number = number + 1000000 WHERE plan_id = ANY($1) AND number < 1000000"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"UPDATE objective SET position = -abs(position) - 1000000,
                  code = CASE WHEN source_objective_id IS NOT NULL THEN '~' || id
                              WHEN code LIKE '% (retiré)' THEN code ELSE code || ' (retiré)' END
            WHERE plan_id = ANY($1)"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"UPDATE action SET position = -abs(position) - 1000000,
                  code = CASE WHEN source_action_id IS NOT NULL THEN '~' || id
                              WHEN code LIKE '% (retiré)' THEN code ELSE code || ' (retiré)' END
            WHERE plan_id = ANY($1)"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE indicator SET position = -abs(position) - 1000000 WHERE plan_id = ANY($1)",
        &plans
    )
    .execute(&mut *conn)
    .await?;

    // Each level follows the carrier's, matched by the item it mirrors.
    sqlx::query!(
        r#"MERGE INTO axis a
           USING (SELECT p.id AS plan_id, c.id AS source, c.number, c.label, c.code
                    FROM axis c CROSS JOIN unnest($2::bigint[]) AS p(id) WHERE c.plan_id = $1) s
              ON a.plan_id = s.plan_id AND a.source_axis_id = s.source
           WHEN MATCHED THEN UPDATE SET number = s.number, label = s.label, code = s.code
           WHEN NOT MATCHED THEN INSERT (plan_id, number, label, code, source_axis_id)
                VALUES (s.plan_id, s.number, s.label, s.code, s.source)"#,
        carrier,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"MERGE INTO objective o
           USING (SELECT p.id AS plan_id, c.id AS source, ma.id AS axis_id, c.code, c.label, c.position
                    FROM objective c CROSS JOIN unnest($2::bigint[]) AS p(id)
                    LEFT JOIN axis ma ON ma.plan_id = p.id AND ma.source_axis_id = c.axis_id
                   WHERE c.plan_id = $1) s
              ON o.plan_id = s.plan_id AND o.source_objective_id = s.source
           WHEN MATCHED THEN UPDATE SET axis_id = s.axis_id, code = s.code, label = s.label, position = s.position
           WHEN NOT MATCHED THEN INSERT (plan_id, axis_id, code, label, position, source_objective_id)
                VALUES (s.plan_id, s.axis_id, s.code, s.label, s.position, s.source)"#,
        carrier,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"MERGE INTO action a
           USING (SELECT p.id AS plan_id, c.id AS source, mo.id AS objective_id, c.code, c.label, c.position
                    FROM action c CROSS JOIN unnest($2::bigint[]) AS p(id)
                    JOIN objective mo ON mo.plan_id = p.id AND mo.source_objective_id = c.objective_id
                   WHERE c.plan_id = $1) s
              ON a.plan_id = s.plan_id AND a.source_action_id = s.source
           WHEN MATCHED THEN UPDATE SET objective_id = s.objective_id, code = s.code, label = s.label,
                                        position = s.position
           WHEN NOT MATCHED THEN INSERT (plan_id, objective_id, code, label, position, source_action_id)
                VALUES (s.plan_id, s.objective_id, s.code, s.label, s.position, s.source)"#,
        carrier,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"MERGE INTO indicator i
           USING (SELECT p.id AS plan_id, c.id AS source, ma.id AS action_id, c.position, c.label, c.kind,
                         c.unit, c.direction, c.baseline_value, c.baseline_year, c.partial_threshold,
                         c.targets_source
                    FROM indicator c CROSS JOIN unnest($2::bigint[]) AS p(id)
                    JOIN action ma ON ma.plan_id = p.id AND ma.source_action_id = c.action_id
                   WHERE c.plan_id = $1) s
              ON i.plan_id = s.plan_id AND i.source_indicator_id = s.source
           WHEN MATCHED THEN UPDATE
                SET action_id = s.action_id, position = s.position, label = s.label, kind = s.kind,
                    unit = s.unit, direction = s.direction, baseline_value = s.baseline_value,
                    baseline_year = s.baseline_year, partial_threshold = s.partial_threshold,
                    targets_source = s.targets_source
           WHEN NOT MATCHED THEN INSERT (plan_id, action_id, position, label, kind, unit, direction,
                                         baseline_value, baseline_year, partial_threshold, targets_source,
                                         source_indicator_id)
                VALUES (s.plan_id, s.action_id, s.position, s.label, s.kind, s.unit, s.direction,
                        s.baseline_value, s.baseline_year, s.partial_threshold, s.targets_source, s.source)"#,
        carrier,
        &plans
    )
    .execute(&mut *conn)
    .await?;

    // Targets: the carrier's, outside the member's locked years (the database refuses those).
    sqlx::query!(
        r#"DELETE FROM indicator_target t USING indicator i
            WHERE t.indicator_id = i.id AND i.plan_id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM plan_year_lock l WHERE l.plan_id = t.plan_id AND l.year = t.year)
              AND NOT EXISTS (SELECT 1 FROM indicator_target c
                               WHERE c.indicator_id = i.source_indicator_id AND c.year = t.year)"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO indicator_target (indicator_id, year, value, text)
           SELECT i.id, c.year, c.value, c.text
             FROM indicator i JOIN indicator_target c ON c.indicator_id = i.source_indicator_id
            WHERE i.plan_id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM plan_year_lock l WHERE l.plan_id = i.plan_id AND l.year = c.year)
              AND NOT EXISTS (SELECT 1 FROM indicator_target t WHERE t.indicator_id = i.id AND t.year = c.year
                                 AND t.value IS NOT DISTINCT FROM c.value AND t.text IS NOT DISTINCT FROM c.text)
           ON CONFLICT (indicator_id, year) DO UPDATE SET value = EXCLUDED.value, text = EXCLUDED.text"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;

    // Pilots: the member's services of the carrier's pilots' names, where the member named none.
    sqlx::query!(
        r#"INSERT INTO service (organisation_id, name)
           SELECT DISTINCT ON (mp.organisation_id, lower(s.name)) mp.organisation_id, s.name
             FROM plan mp
             JOIN action ma ON ma.plan_id = mp.id
             JOIN (SELECT action_id, service_id FROM action_pilot
                   UNION ALL
                   SELECT i.action_id, ip.service_id FROM indicator_pilot ip JOIN indicator i ON i.id = ip.indicator_id) cp
               ON cp.action_id = ma.source_action_id
             JOIN service s ON s.id = cp.service_id
            WHERE mp.id = ANY($1)
           ON CONFLICT (organisation_id, lower(name)) DO NOTHING"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO action_pilot (action_id, service_id)
           SELECT ma.id, ms.id
             FROM action ma JOIN plan mp ON mp.id = ma.plan_id
             JOIN action_pilot cp ON cp.action_id = ma.source_action_id
             JOIN service cs ON cs.id = cp.service_id
             JOIN service ms ON ms.organisation_id = mp.organisation_id AND lower(ms.name) = lower(cs.name)
            WHERE ma.plan_id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM action_pilot x WHERE x.action_id = ma.id)
              AND NOT EXISTS (SELECT 1 FROM indicator_pilot x JOIN indicator xi ON xi.id = x.indicator_id
                               WHERE xi.action_id = ma.id)
           ON CONFLICT DO NOTHING"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO indicator_pilot (indicator_id, service_id)
           SELECT mi.id, ms.id
             FROM indicator mi JOIN plan mp ON mp.id = mi.plan_id
             JOIN indicator_pilot cp ON cp.indicator_id = mi.source_indicator_id
             JOIN service cs ON cs.id = cp.service_id
             JOIN service ms ON ms.organisation_id = mp.organisation_id AND lower(ms.name) = lower(cs.name)
            WHERE mi.plan_id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM indicator_pilot x WHERE x.indicator_id = mi.id)
           ON CONFLICT DO NOTHING"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;

    // What the carrier removed, bottom up, unless it holds anything of a locked year (or, for a
    // level above, still holds items).
    sqlx::query!(
        r#"DELETE FROM indicator i
            WHERE i.plan_id = ANY($1) AND i.source_indicator_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM plan_year_lock l
                               WHERE l.plan_id = i.plan_id
                                 AND (EXISTS (SELECT 1 FROM indicator_actual v WHERE v.indicator_id = i.id AND v.year = l.year)
                                      OR EXISTS (SELECT 1 FROM indicator_target t WHERE t.indicator_id = i.id AND t.year = l.year)))"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"DELETE FROM action a
            WHERE a.plan_id = ANY($1) AND a.source_action_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM indicator i WHERE i.action_id = a.id)
              AND NOT EXISTS (SELECT 1 FROM plan_year_lock l
                               WHERE l.plan_id = a.plan_id
                                 AND (EXISTS (SELECT 1 FROM action_narrative n WHERE n.action_id = a.id AND n.year = l.year)
                                      OR EXISTS (SELECT 1 FROM action_review r WHERE r.action_id = a.id AND r.year = l.year)))"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"DELETE FROM objective o
            WHERE o.plan_id = ANY($1) AND o.source_objective_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM action a WHERE a.objective_id = o.id)
              AND NOT EXISTS (SELECT 1 FROM status_override s JOIN plan_year_lock l
                                  ON l.plan_id = s.plan_id AND l.year = s.year
                               WHERE s.plan_id = o.plan_id AND s.level = 'objective' AND s.item_id = o.id)"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"DELETE FROM axis x
            WHERE x.plan_id = ANY($1) AND x.source_axis_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM objective o WHERE o.axis_id = x.id)"#,
        &plans
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One member's actual of an indicator for a year, under the carrier's indicator it mirrors.
#[derive(Debug, Clone)]
pub struct MemberActual {
    pub plan_id: PlanId,
    /// The carrier's indicator.
    pub indicator_id: IndicatorId,
    pub value: Option<Decimal>,
    pub text: Option<String>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// Validated by procurement staff, or of a locked year: the public may read it.
    pub public: bool,
}

/// A status a member set by hand, under the carrier's item it mirrors.
#[derive(Debug, Clone)]
pub struct MemberOverride {
    pub plan_id: PlanId,
    pub level: String,
    /// The carrier's item.
    pub item_id: i64,
    pub status: String,
    pub justification: String,
    pub set_by: String,
    pub set_at: chrono::DateTime<chrono::Utc>,
}

/// Every member's values of a year, for the consolidated bilan: two queries whatever the number
/// of members and indicators (the members' locks of the year come with the actuals).
pub struct MembersYear {
    pub actuals: Vec<MemberActual>,
    pub overrides: Vec<MemberOverride>,
    /// The member plans whose year is locked, with who locked it and when.
    pub locks: HashMap<PlanId, (String, chrono::DateTime<chrono::Utc>)>,
}

/// Reads what [`MembersYear`] holds for the carrier's plan and a year.
pub async fn members_year(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
    year: i32,
) -> Result<MembersYear, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT m.member_plan_id AS "plan_id!", coalesce(i.source_indicator_id, i.id) AS "indicator_id?",
                  v.value, v.text, v.numerator, v.denominator,
                  (l.plan_id IS NOT NULL OR r.state = 'validated') AS "public?",
                  u.display_name AS "locked_by?", l.locked_at AS "locked_at?"
             FROM plan_member m
             LEFT JOIN plan_year_lock l ON l.plan_id = m.member_plan_id AND l.year = $2
             LEFT JOIN app_user u ON u.id = l.locked_by
             LEFT JOIN indicator_actual v ON v.plan_id = m.member_plan_id AND v.year = $2
             LEFT JOIN indicator i ON i.id = v.indicator_id
             LEFT JOIN action_review r ON r.action_id = i.action_id AND r.year = $2
            WHERE m.carrier_plan_id = $1
              AND (m.member_plan_id = $1 OR i.id IS NULL OR i.source_indicator_id IS NOT NULL)"#,
        carrier_plan_id.get(),
        year
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut actuals = Vec::new();
    let mut locks = HashMap::new();
    for r in rows {
        if let (Some(by), Some(at)) = (r.locked_by, r.locked_at) {
            locks.insert(PlanId(r.plan_id), (by, at));
        }
        if let Some(indicator) = r.indicator_id {
            actuals.push(MemberActual {
                plan_id: PlanId(r.plan_id),
                indicator_id: IndicatorId(indicator),
                value: r.value,
                text: r.text,
                numerator: r.numerator,
                denominator: r.denominator,
                public: r.public.unwrap_or(false),
            });
        }
    }
    let overrides = sqlx::query_as!(
        MemberOverride,
        r#"SELECT s.plan_id AS "plan_id: PlanId", s.level,
                  CASE s.level WHEN 'indicator' THEN coalesce(i.source_indicator_id, i.id)
                               WHEN 'action' THEN coalesce(a.source_action_id, a.id)
                               ELSE coalesce(o.source_objective_id, o.id) END AS "item_id!",
                  s.status, s.justification, u.display_name AS set_by, s.set_at
             FROM plan_member m JOIN status_override s ON s.plan_id = m.member_plan_id AND s.year = $2
             JOIN app_user u ON u.id = s.set_by
             LEFT JOIN indicator i ON s.level = 'indicator' AND i.id = s.item_id
             LEFT JOIN action a ON s.level = 'action' AND a.id = s.item_id
             LEFT JOIN objective o ON s.level = 'objective' AND o.id = s.item_id
            WHERE m.carrier_plan_id = $1
              AND (m.member_plan_id = $1 OR coalesce(i.source_indicator_id, a.source_action_id, o.source_objective_id) IS NOT NULL)"#,
        carrier_plan_id.get(),
        year
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(MembersYear {
        actuals,
        overrides,
        locks,
    })
}

/// The members of the shared plan this plan belongs to, as its carrier or as a member (the
/// carrier first); empty for a plan of one buyer. One query.
pub async fn circle(conn: &mut PgConnection, plan_id: PlanId) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as!(
        Member,
        r#"SELECT o.id AS "organisation_id: OrganisationId", o.slug AS organisation_slug,
                  o.name AS organisation_name, o.short_name, p.id AS "plan_id: PlanId",
                  p.slug AS plan_slug, p.published_at IS NOT NULL AS "published!",
                  m.member_plan_id = m.carrier_plan_id AS "carrier!"
             FROM plan_member m JOIN organisation o ON o.id = m.organisation_id
             JOIN plan p ON p.id = m.member_plan_id
            WHERE m.carrier_plan_id = (SELECT coalesce(shared_from_plan_id, id) FROM plan WHERE id = $1)
            ORDER BY m.member_plan_id <> m.carrier_plan_id, o.name"#,
        plan_id.get()
    )
    .fetch_all(conn)
    .await
}

mod readers;
pub use readers::{Reader, grant_reader, is_reader, readers, revoke_reader};
