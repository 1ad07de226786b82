//! The buyer's identity, not the State's: no page or style sheet carries the State's design
//! system or brand; an organisation's pages carry its name and accent colour, which its
//! administrators set in its profile, checked for contrast.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};

use crate::support::{Client, app, demo_pool, get};

const OFFICE: &str = "/organisations/office-habitat";
const PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";

/// What would show the State's design system or brand in a page or an asset.
const STATE_MARKS: [&str; 6] = [
    "dsfr",
    "marianne",
    "république française",
    "république<br>française",
    "class=\"fr-",
    "fr-header",
];

fn state_marks(body: &str) -> Vec<&'static str> {
    let lower = body.to_lowercase();
    STATE_MARKS
        .into_iter()
        .filter(|m| lower.contains(m))
        .collect()
}

/// The demo with both plans published.
async fn published_demo() -> sqlx::PgPool {
    let pool = demo_pool().await;
    sqlx::query("UPDATE plan SET published_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

/// A path for a route of the table, with the demo's values for its parameters.
fn path_of(route: &str, indicator: &str) -> String {
    let mut path = route.to_string();
    for (param, value) in [
        ("{organisation}", "office-habitat"),
        ("{plan}", "spaser-2025-2027"),
        ("{year}", "2025"),
        ("{indicator}", indicator),
        ("{token}", "inconnu"),
        ("{draft}", "0"),
        ("{import}", "0"),
        ("{user}", "0"),
    ] {
        path = path.replace(param, value);
    }
    let file = if route.starts_with("/theme/") {
        "2b5d34.css"
    } else if route.contains("/export/") {
        "plan.csv"
    } else {
        "bilan.json"
    };
    path.replace("{file}", file)
}

/// The style sheets, scripts and images a page loads from the application.
fn assets(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for piece in html.split(attribute).skip(1) {
            let url = &piece[..piece.find('"').unwrap_or(0)];
            if url.starts_with("/static/") || url.starts_with("/theme/") {
                found.push(url.to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn no_page_nor_asset_carries_the_state_design_system() {
    let pool = published_demo().await;
    let indicator: i64 = sqlx::query_scalar("SELECT min(id) FROM indicator")
        .fetch_one(&pool)
        .await
        .unwrap();
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut visitor = Client::new(&app);
    let mut pages = 0;
    let mut seen_assets = BTreeSet::new();
    for route in spaser::web::routes() {
        if route.method != Method::GET {
            continue;
        }
        let path = path_of(route.path, &indicator.to_string());
        for client in [&mut admin, &mut visitor] {
            let page = client.get(&path).await;
            assert!(
                page.status.is_success()
                    || page.status.is_redirection()
                    || page.status.is_client_error(),
                "{path}: {}",
                page.status
            );
            let marks = state_marks(&page.body);
            assert!(marks.is_empty(), "{path} carries {marks:?}");
            seen_assets.extend(assets(&page.body));
            pages += 1;
        }
    }
    assert!(pages > 40, "{pages} pages fetched");
    assert!(
        seen_assets.contains("/static/spaser.css") && seen_assets.contains("/theme/2b5d34.css"),
        "{seen_assets:?}"
    );
    for asset in &seen_assets {
        let (status, body) = get(&app, asset).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        let marks = state_marks(&body);
        assert!(marks.is_empty(), "{asset} carries {marks:?}");
    }
}

#[tokio::test]
async fn the_organisation_s_name_and_colour_are_on_its_pages_and_public_pages() {
    let pool = published_demo().await;
    let app = app(&pool);
    let mut member = Client::signed_in(&app, "comite@office-habitat.demo").await;
    for path in [
        OFFICE.to_string(),
        PLAN.to_string(),
        format!("{PLAN}/bilan/2025"),
        format!("{PLAN}/comparaison?de=2025&a=2026"),
    ] {
        let page = member.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(
            page.texts(".brand-name"),
            ["Office public de l'habitat"],
            "{path}"
        );
        assert!(page.body.contains("href=\"/theme/2b5d34.css\""), "{path}");
    }
    let mut visitor = Client::new(&app);
    for path in [
        "/public/office-habitat/spaser-2025-2027",
        "/public/office-habitat/spaser-2025-2027/bilan/2025",
        "/public/grand-orly-seine-bievre/spaser-2023-2024/bilan/2024",
    ] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let tagline = page.texts(".brand-tagline").join(" ");
        assert!(tagline.contains("publié par"), "{path}: {tagline}");
        assert!(page.body.contains("href=\"/theme/"), "{path}");
    }
    // Outside any organisation: spaser's neutral identity, no accent.
    let (_, home) = get(&app, "/").await;
    assert!(home.contains("<span class=\"brand-name\">spaser</span>"));
    assert!(!home.contains("/theme/"));
    // The theme sets the accent; a colour too light, or not a colour, is not served.
    let (status, css) = get(&app, "/theme/2b5d34.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("--accent: #2b5d34;"), "{css}");
    for refused in [
        "/theme/ffff00.css",
        "/theme/zzzzzz.css",
        "/theme/2B5D34.css",
        "/theme/2b5d34",
    ] {
        assert_eq!(
            get(&app, refused).await.0,
            StatusCode::NOT_FOUND,
            "{refused}"
        );
    }
}

#[tokio::test]
async fn an_administrator_sets_the_profile_and_a_colour_too_light_is_refused() {
    let pool = published_demo().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let profile = format!("{OFFICE}/profil");
    let form = admin.get(&profile).await;
    assert_eq!(form.status, StatusCode::OK);
    // A yellow on which white text fails AA: refused, nothing written, the input kept.
    let refused = admin
        .post(
            &profile,
            &[
                ("name", "Office de l'habitat de Montreuil"),
                ("short_name", "OPH Montreuil"),
                ("kind", ""),
                ("accent", "#ffcc00"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused.texts("#accent-error").join(" ");
    assert!(
        message.contains("trop claire") && message.contains("4,5 pour 1"),
        "{message}"
    );
    assert!(
        refused
            .body
            .contains("value=\"Office de l&#39;habitat de Montreuil\"")
            || refused
                .body
                .contains("value=\"Office de l&#x27;habitat de Montreuil\""),
        "the input kept"
    );
    assert!(refused.body.contains("value=\"#ffcc00\""));
    let stored: (String, Option<String>) =
        sqlx::query_as("SELECT name, accent_color FROM organisation WHERE slug = 'office-habitat'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        ("Office public de l'habitat".into(), Some("2b5d34".into()))
    );
    // A public page rendered before the change…
    let mut visitor = Client::new(&app);
    let public = "/public/office-habitat/spaser-2025-2027/bilan/2025";
    assert!(visitor.get(public).await.body.contains("/theme/2b5d34.css"));
    // A dark blue: saved, and every page follows, the public one's cache too.
    let saved = admin
        .post(
            &profile,
            &[
                ("name", "Office de l'habitat de Montreuil"),
                ("short_name", "OPH Montreuil"),
                ("kind", "Office public de l'habitat"),
                ("accent", "#1B3A6B"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let after = admin.get(&format!("{profile}?enregistre=1")).await;
    assert_eq!(after.texts(".alert-success p"), ["Profil enregistré."]);
    assert_eq!(
        after.texts(".brand-name"),
        ["Office de l'habitat de Montreuil"]
    );
    assert!(after.body.contains("/theme/1b3a6b.css"));
    let page = visitor.get(public).await;
    assert!(
        page.body.contains("/theme/1b3a6b.css"),
        "the public page follows the change"
    );
    assert!(
        page.texts(".brand-tagline")
            .join(" ")
            .contains("SPASER publié par OPH Montreuil")
    );
    // Invisible or direction-changing characters, and dates no calendar holds: refused in
    // French beside the field, never a server error.
    for (field, value, id) in [
        ("short_name", "\u{202E}OPH", "#short_name-error"),
        ("name", "Office\r\nX-Injected: 1", "#name-error"),
        ("deadline", "-4713-01-01", "#deadline-error"),
        ("deadline", "+10000-01-01", "#deadline-error"),
    ] {
        let mut form = vec![
            ("name", "Office"),
            ("short_name", "Office"),
            ("kind", ""),
            ("accent", ""),
            ("deadline", ""),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let refused = admin.post(&profile, &form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {value:?}"
        );
        assert_eq!(refused.texts(id).len(), 1, "{field} {value:?}");
    }
    // No colour: spaser's own.
    admin
        .post(
            &profile,
            &[
                ("name", "Office"),
                ("short_name", "Office"),
                ("kind", ""),
                ("accent", ""),
            ],
        )
        .await;
    assert!(!admin.get(OFFICE).await.body.contains("/theme/"));
}
