//! The database itself refuses bad states, whatever the application sends.

use sqlx::PgPool;

use crate::support::{demo_pool, fresh_pool};

/// The name of the constraint a statement broke, or a panic when it went through.
async fn refused(pool: &PgPool, sql: &str) -> String {
    match sqlx::query(sql).execute(pool).await {
        Ok(_) => panic!("the database accepted: {sql}"),
        Err(sqlx::Error::Database(e)) => e.constraint().unwrap_or(e.message()).to_string(),
        Err(e) => panic!("unexpected error {e}"),
    }
}

const OFFICE_INDICATOR: &str = "(SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id
                                  JOIN plan p ON p.id = a.plan_id
                                 WHERE p.slug = 'spaser-2025-2027' AND a.code = '5')";

#[tokio::test]
async fn a_year_outside_the_plan_period_is_refused() {
    let pool = demo_pool().await;
    let target = format!(
        "INSERT INTO indicator_target (indicator_id, year, value) VALUES ({OFFICE_INDICATOR}, 2030, 1)"
    );
    assert_eq!(refused(&pool, &target).await, "year_in_plan_period");
    let actual = format!(
        "INSERT INTO indicator_actual (indicator_id, year, value) VALUES ({OFFICE_INDICATOR}, 2024, 1)"
    );
    assert_eq!(refused(&pool, &actual).await, "year_in_plan_period");
    let narrative = "INSERT INTO action_narrative (action_id, year, text)
                     SELECT id, 2031, 'x' FROM action WHERE code = '5'";
    assert_eq!(refused(&pool, narrative).await, "year_in_plan_period");
    // Nor may the period shrink away from years that hold targets.
    let shrink = "UPDATE plan SET last_year = 2026 WHERE slug = 'spaser-2025-2027'";
    assert_eq!(refused(&pool, shrink).await, "year_in_plan_period");
    // Inside the period, the same row goes in.
    let ok = format!(
        "INSERT INTO indicator_actual (indicator_id, year, value) VALUES ({OFFICE_INDICATOR}, 2025, 10500)"
    );
    sqlx::query(&ok).execute(&pool).await.unwrap();
}

#[tokio::test]
async fn one_target_per_indicator_and_year() {
    let pool = demo_pool().await;
    let duplicate = format!(
        "INSERT INTO indicator_target (indicator_id, year, value) VALUES ({OFFICE_INDICATOR}, 2025, 11000)"
    );
    assert_eq!(refused(&pool, &duplicate).await, "indicator_target_pkey");
    let empty = format!(
        "INSERT INTO indicator_actual (indicator_id, year, value, text) VALUES ({OFFICE_INDICATOR}, 2026, NULL, NULL)"
    );
    assert_eq!(refused(&pool, &empty).await, "actual_not_empty");
}

#[tokio::test]
async fn structure_cannot_cross_plans_or_organisations() {
    let pool = demo_pool().await;
    // An objective under an axis of another plan.
    let cross_axis = "INSERT INTO objective (plan_id, axis_id, code, label, position)
                      SELECT g.id, x.id, '99', 'x', 99 FROM plan g, axis x
                       WHERE g.slug = 'spaser-2023-2024' AND x.number = 1";
    assert_eq!(
        refused(&pool, cross_axis).await,
        "objective_axis_id_plan_id_fkey"
    );
    // An action under an objective of another plan.
    let cross_action = "INSERT INTO action (plan_id, objective_id, label, position)
                        SELECT g.id, o.id, 'x', 99 FROM plan g, objective o JOIN plan p ON p.id = o.plan_id
                         WHERE g.slug = 'spaser-2023-2024' AND p.slug = 'spaser-2025-2027' AND o.code = '1'";
    assert_eq!(
        refused(&pool, cross_action).await,
        "action_objective_id_plan_id_fkey"
    );
    // A pilot from another organisation.
    let foreign_pilot = "INSERT INTO action_pilot (action_id, service_id)
                         SELECT a.id, s.id FROM action a JOIN plan p ON p.id = a.plan_id, service s
                          WHERE p.slug = 'spaser-2023-2024' AND s.name = 'DSI' LIMIT 1";
    assert_eq!(
        refused(&pool, foreign_pilot).await,
        "pilot_same_organisation"
    );
    // An orphan indicator.
    let orphan =
        "INSERT INTO indicator (plan_id, action_id, position, label) VALUES (1, 999999, 1, 'x')";
    assert_eq!(
        refused(&pool, orphan).await,
        "indicator_action_id_plan_id_fkey"
    );
}

#[tokio::test]
async fn plans_and_indicators_hold_only_sensible_values() {
    let pool = fresh_pool().await;
    sqlx::query(
        "INSERT INTO organisation (slug, name, short_name) VALUES ('ville', 'Ville', 'Ville')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let backwards = "INSERT INTO plan (organisation_id, slug, title, first_year, last_year)
                     SELECT id, 'p', 'Plan', 2027, 2025 FROM organisation";
    assert_eq!(refused(&pool, backwards).await, "plan_period");
    let bad_slug =
        "INSERT INTO organisation (slug, name, short_name) VALUES ('Ville de Paris', 'x', 'x')";
    assert_eq!(refused(&pool, bad_slug).await, "organisation_slug_check");
    sqlx::query(
        "INSERT INTO plan (organisation_id, slug, title, first_year, last_year) SELECT id, 'p', 'Plan', 2025, 2027 FROM organisation",
    )
    .execute(&pool)
    .await
    .unwrap();
    let same_slug = "INSERT INTO plan (organisation_id, slug, title, first_year, last_year)
                     SELECT id, 'p', 'Autre', 2025, 2027 FROM organisation";
    assert_eq!(
        refused(&pool, same_slug).await,
        "plan_organisation_id_slug_key"
    );
    let same_service =
        "INSERT INTO service (organisation_id, name) SELECT id, 'DSI' FROM organisation
                        UNION ALL SELECT id, 'dsi' FROM organisation";
    assert_eq!(refused(&pool, same_service).await, "service_name_unique");
}
