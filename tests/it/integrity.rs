//! Data integrity and rights, as an attacker probes them: a locked year and the history survive
//! every path that deletes, CSV exports carry no formula, a pilot writes only the indicators
//! they pilot, numbers too large or badly grouped are refused, years and links are validated,
//! and the public sees only validated values through a cache no visitor can bypass.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::support::{Client, Page, app, demo_pool};

const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";

/// The id of the (first) indicator of an office action, by its number.
async fn indicator(pool: &PgPool, action: &str) -> String {
    sqlx::query_scalar::<_, i64>(
        "SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = $1 ORDER BY i.position LIMIT 1",
    )
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap()
    .to_string()
}

async fn action_id(pool: &PgPool, action: &str) -> String {
    sqlx::query_scalar::<_, i64>("SELECT id FROM action WHERE code = $1")
        .bind(action)
        .fetch_one(pool)
        .await
        .unwrap()
        .to_string()
}

async fn stored(pool: &PgPool, indicator: &str) -> Option<String> {
    sqlx::query_scalar::<_, Option<rust_decimal::Decimal>>(
        "SELECT value FROM indicator_actual WHERE indicator_id = $1::bigint AND year = 2025",
    )
    .bind(indicator)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
    .map(|d| d.normalize().to_string())
}

fn field_value(page: &Page, name: &str) -> Option<String> {
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse(&format!("[name='{name}']")).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
}

// Item 9: an indicator with pilots of its own is written only by them (and procurement staff).
#[tokio::test]
async fn a_pilot_cannot_write_another_services_indicator_of_their_action() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let dsi = indicator(&pool, "10").await;
    let action10 = action_id(&pool, "10").await;
    // Action 10 gets a second indicator, piloted by the DRH alone.
    let drh: i64 = sqlx::query_scalar(
        r#"WITH s AS (SELECT id FROM service WHERE name = 'DRH'),
                i AS (INSERT INTO indicator (plan_id, action_id, position, label, unit)
                      SELECT plan_id, id, 2, 'Agents formés au réemploi', 'agents' FROM action WHERE id = $1::bigint
                      RETURNING id)
           INSERT INTO indicator_pilot (indicator_id, service_id) SELECT i.id, s.id FROM i, s RETURNING indicator_id"#,
    )
    .bind(&action10)
    .fetch_one(&pool)
    .await
    .unwrap();
    let drh = drh.to_string();
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let page = pilot.get(ENTRY).await;
    assert!(field_value(&page, &format!("v-{dsi}")).is_some());
    assert!(
        field_value(&page, &format!("v-{drh}")).is_none(),
        "no field for the DRH's indicator"
    );
    let forged = pilot
        .post(
            ENTRY,
            &[
                (&format!("ver-{dsi}"), "0"),
                (&format!("v-{dsi}"), "96"),
                (&format!("ver-{drh}"), "0"),
                (&format!("v-{drh}"), "12"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&pool, &drh).await, None);
    assert_eq!(stored(&pool, &dsi).await, None, "all or nothing");
    // Their own indicator, alone, is saved.
    let own = pilot
        .post(
            ENTRY,
            &[(&format!("ver-{dsi}"), "0"), (&format!("v-{dsi}"), "96")],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&pool, &dsi).await.as_deref(), Some("96"));
    // Procurement staff write it.
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff.get(ENTRY).await;
    let saved = staff
        .post(
            ENTRY,
            &[(&format!("ver-{drh}"), "0"), (&format!("v-{drh}"), "12")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&pool, &drh).await.as_deref(), Some("12"));
}

// Item 10: a numerator and denominator at the largest number are refused, not a panic.
#[tokio::test]
async fn numbers_too_large_are_refused_with_a_message() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let share = indicator(&pool, "4").await;
    let hours = indicator(&pool, "5").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff.get(ENTRY).await;
    let max = "79228162514264337593543950335";
    let page = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{share}"), "0"),
                (&format!("n-{share}"), max),
                (&format!("d-{share}"), max),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let errors = page.texts(&format!("#d-{share}-erreur"));
    assert_eq!(errors.len(), 1, "{}", page.body);
    assert!(errors[0].contains("trop grand"), "{errors:?}");
    assert_eq!(
        field_value(&page, &format!("n-{share}")).as_deref(),
        Some(max)
    );
    assert_eq!(stored(&pool, &share).await, None);
    let page = staff
        .post(
            ENTRY,
            &[(&format!("ver-{hours}"), "0"), (&format!("v-{hours}"), max)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.texts(&format!("#v-{hours}-erreur"))[0].contains("trop grand"));
    assert_eq!(stored(&pool, &hours).await, None);
}

// Item 16 (part): a space separates thousands only between groups of three digits.
#[tokio::test]
async fn spaces_inside_a_number_are_thousands_separators_only() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let hours = indicator(&pool, "5").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff.get(ENTRY).await;
    for typed in [" 1 2 3 ", "12 00", "1 2345", "1 234 56,5"] {
        let page = staff
            .post(
                ENTRY,
                &[
                    (&format!("ver-{hours}"), "0"),
                    (&format!("v-{hours}"), typed),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let error = page.texts(&format!("#v-{hours}-erreur")).join(" ");
        assert!(error.contains("n'est pas un nombre"), "{typed:?}: {error}");
        assert_eq!(stored(&pool, &hours).await, None, "{typed:?}");
    }
    let page = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), "0"),
                (&format!("v-{hours}"), "1 234 567,5"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&pool, &hours).await.as_deref(), Some("1234567.5"));
}
