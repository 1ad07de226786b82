//! The people of member organisations a carrier opened its consolidated bilan to, for the shared
//! plan only.

use sqlx::PgConnection;

use crate::domain::ids::PlanId;

/// A person a carrier opened its consolidated bilan to.
#[derive(Debug, Clone)]
pub struct Reader {
    pub user_id: crate::domain::ids::UserId,
    pub name: String,
    pub email: String,
    pub organisation: String,
}

/// The people of member organisations the carrier opened the consolidated bilan to. One query.
pub async fn readers(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
) -> Result<Vec<Reader>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT u.id AS "id: crate::domain::ids::UserId", u.display_name, u.email,
                  (SELECT string_agg(o.name, ', ' ORDER BY o.name) FROM membership ms
                     JOIN organisation o ON o.id = ms.organisation_id
                     JOIN plan_member pm ON pm.organisation_id = o.id AND pm.carrier_plan_id = r.plan_id
                    WHERE ms.user_id = u.id) AS "organisation?"
             FROM plan_reader r JOIN app_user u ON u.id = r.user_id
            WHERE r.plan_id = $1 ORDER BY u.display_name"#,
        carrier_plan_id.get()
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Reader {
        user_id: r.id,
        name: r.display_name,
        email: r.email,
        organisation: r.organisation.unwrap_or_default(),
    })
    .collect())
}

/// Opens the consolidated bilan to the person of this e-mail, who must belong to a member
/// organisation of the shared plan. `Ok(false)` when no such person is found.
pub async fn grant_reader(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
    email: &str,
    granted_by: crate::domain::ids::UserId,
) -> Result<bool, sqlx::Error> {
    let granted = sqlx::query!(
        r#"INSERT INTO plan_reader (plan_id, user_id, granted_by)
           SELECT $1, u.id, $3 FROM app_user u
            WHERE u.email = lower(btrim($2)) AND EXISTS (
                SELECT 1 FROM membership ms JOIN plan_member pm ON pm.organisation_id = ms.organisation_id
                 WHERE ms.user_id = u.id AND pm.carrier_plan_id = $1)
           ON CONFLICT DO NOTHING RETURNING user_id"#,
        carrier_plan_id.get(),
        email,
        granted_by.get()
    )
    .fetch_optional(&mut *conn)
    .await?;
    if granted.is_some() {
        return Ok(true);
    }
    // Already a reader: nothing to add, but the person is there.
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan_reader r JOIN app_user u ON u.id = r.user_id
            WHERE r.plan_id = $1 AND u.email = lower(btrim($2))) AS "found!""#,
        carrier_plan_id.get(),
        email
    )
    .fetch_one(conn)
    .await
}

pub async fn revoke_reader(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
    user_id: crate::domain::ids::UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM plan_reader WHERE plan_id = $1 AND user_id = $2",
        carrier_plan_id.get(),
        user_id.get()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the carrier opened the consolidated bilan of this plan to the person.
pub async fn is_reader(
    conn: &mut PgConnection,
    carrier_plan_id: PlanId,
    user_id: crate::domain::ids::UserId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan_reader WHERE plan_id = $1 AND user_id = $2) AS "found!""#,
        carrier_plan_id.get(),
        user_id.get()
    )
    .fetch_one(conn)
    .await
}
