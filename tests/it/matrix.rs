//! The authorisation matrix: every route of the application, asked by every kind of user,
//! answers as this table says. A route without its row fails the test.

use axum::http::{Method, StatusCode};

use crate::support::{Client, app, demo_pool};

/// Who asks: anonymous, one of the office's four roles, or GOSB's administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Admin,
    Procurement,
    Pilot,
    Committee,
    OtherOrganisation,
}

impl Who {
    const ALL: [Who; 6] = [
        Who::Anonymous,
        Who::Admin,
        Who::Procurement,
        Who::Pilot,
        Who::Committee,
        Who::OtherOrganisation,
    ];

    fn email(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Admin => Some("admin@office-habitat.demo"),
            Who::Procurement => Some("commande-publique@office-habitat.demo"),
            Who::Pilot => Some("pilote@office-habitat.demo"),
            Who::Committee => Some("comite@office-habitat.demo"),
            Who::OtherOrganisation => Some("admin@grand-orly-seine-bievre.demo"),
        }
    }
}

struct Row {
    method: Method,
    route: &'static str,
    path: String,
    form: Vec<(String, String)>,
    /// SQL run before each request of the row, so that every role meets the same state.
    setup: Option<&'static str>,
    expected: [StatusCode; 6],
}

fn row(
    method: Method,
    route: &'static str,
    path: impl Into<String>,
    expected: [StatusCode; 6],
) -> Row {
    Row {
        method,
        route,
        path: path.into(),
        form: Vec::new(),
        setup: None,
        expected,
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    use StatusCode as S;
    const OK: S = S::OK;
    const SIGN_IN: S = S::SEE_OTHER;
    const FORBIDDEN: S = S::FORBIDDEN;
    const NOT_FOUND: S = S::NOT_FOUND;
    const INVALID: S = S::UNPROCESSABLE_ENTITY;
    const DONE: S = S::SEE_OTHER;
    let pool = demo_pool().await;
    let id = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .to_string()
        }
    };
    // DSI's indicator (the pilot's) in the office's plan.
    let dsi_indicator =
        id("SELECT i.id FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '10'")
            .await;
    let dsi_action = id("SELECT id FROM action WHERE code = '10'").await;
    let dsi_service = id(
        "SELECT s.id FROM service s JOIN organisation o ON o.id = s.organisation_id
          WHERE o.slug = 'office-habitat' AND s.name = 'DSI'",
    )
    .await;
    let services = "/organisations/office-habitat/services";
    let plan = "/organisations/office-habitat/plans/spaser-2025-2027";
    let users = "/organisations/office-habitat/utilisateurs";
    let public = "/public/office-habitat/spaser-2025-2027";
    const PUBLISH: &str = "UPDATE plan SET published_at = now() WHERE slug = 'spaser-2025-2027'";
    // The office's plan shared with GOSB, whose plan follows it; both published.
    const SHARE: &str = "DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM plan_member) THEN
          UPDATE plan SET shared_from_plan_id = (SELECT id FROM plan WHERE slug = 'spaser-2025-2027')
           WHERE organisation_id = (SELECT id FROM organisation WHERE slug = 'grand-orly-seine-bievre');
          INSERT INTO plan_member (carrier_plan_id, organisation_id, member_plan_id)
          SELECT c.id, c.organisation_id, c.id FROM plan c WHERE c.slug = 'spaser-2025-2027'
          UNION ALL
          SELECT m.shared_from_plan_id, m.organisation_id, m.id FROM plan m WHERE m.shared_from_plan_id IS NOT NULL;
        END IF;
        UPDATE plan SET published_at = now();
      END $$";
    let form = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };

    // Forms are chosen so that a request changes nothing later rows see, or is undone by the
    // row's setup; an invalid form still shows who got past the checks (422).
    let matrix: Vec<Row> = vec![
        row(Method::GET, "/", "/", [OK; 6]),
        row(Method::GET, "/regles", "/regles", [OK; 6]),
        row(Method::GET, "/a-faire", "/a-faire", [SIGN_IN, OK, OK, OK, OK, OK]),
        row(Method::GET, "/sante", "/sante", [OK; 6]),
        row(Method::GET, "/connexion", "/connexion", [OK, DONE, DONE, DONE, DONE, DONE]),
        row(Method::POST, "/connexion", "/connexion", [INVALID; 6]),
        row(Method::POST, "/deconnexion", "/deconnexion", [DONE; 6]),
        row(Method::GET, "/compte", "/compte", [SIGN_IN, OK, OK, OK, OK, OK]),
        row(Method::POST, "/compte/mot-de-passe", "/compte/mot-de-passe", [SIGN_IN, INVALID, INVALID, INVALID, INVALID, INVALID]),
        row(Method::GET, "/activation/{token}", "/activation/inconnu", [NOT_FOUND; 6]),
        row(Method::POST, "/activation/{token}", "/activation/inconnu", [NOT_FOUND; 6]),
        row(Method::GET, "/organisations/{organisation}", "/organisations/office-habitat", [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        row(Method::GET, "/organisations/{organisation}/plans/{plan}", plan, [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        row(Method::GET, "/organisations/{organisation}/utilisateurs", users, [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(Method::GET, "/theme/{file}", "/theme/2b5d34.css", [OK; 6]),
        row(Method::GET, "/organisations/{organisation}/profil", "/organisations/office-habitat/profil", [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        // An empty name: refused, nothing written, once past the checks.
        Row {
            form: form(&[("name", ""), ("short_name", "Office"), ("accent", "")]),
            ..row(Method::POST, "/organisations/{organisation}/profil", "/organisations/office-habitat/profil", [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        // The plan's structure, for its administrators only.
        row(Method::GET, "/organisations/{organisation}/nouveau-plan", "/organisations/office-habitat/nouveau-plan", [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row {
            form: form(&[("title", ""), ("first_year", "2030"), ("last_year", "2032")]),
            ..row(Method::POST, "/organisations/{organisation}/nouveau-plan", "/organisations/office-habitat/nouveau-plan", [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/structure", format!("{plan}/structure"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/structure/historique", format!("{plan}/structure/historique"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/structure/plan", format!("{plan}/structure/plan"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row {
            form: form(&[("version", "1"), ("title", ""), ("first_year", "2025"), ("last_year", "2027")]),
            ..row(Method::POST, "/organisations/{organisation}/plans/{plan}/structure/plan", format!("{plan}/structure/plan"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/structure/{kind}/nouveau", format!("{plan}/structure/objectifs/nouveau"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row {
            form: form(&[("code", "99"), ("label", "")]),
            ..row(Method::POST, "/organisations/{organisation}/plans/{plan}/structure/{kind}/nouveau", format!("{plan}/structure/objectifs/nouveau"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}", format!("{plan}/structure/actions/{dsi_action}"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row {
            form: form(&[("version", "1"), ("label", "")]),
            ..row(Method::POST, "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}", format!("{plan}/structure/actions/{dsi_action}"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        Row {
            form: form(&[("sens", "ailleurs")]),
            ..row(Method::POST, "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}/deplacer", format!("{plan}/structure/actions/{dsi_action}/deplacer"), [SIGN_IN, S::BAD_REQUEST, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}/supprimer", format!("{plan}/structure/actions/{dsi_action}/supprimer"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        // Without the confirmation, the page that names what would go; nothing removed.
        row(Method::POST, "/organisations/{organisation}/plans/{plan}/structure/{kind}/{item}/supprimer", format!("{plan}/structure/actions/{dsi_action}/supprimer"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        // A form that is not multipart: refused as unreadable, once past the checks.
        row(Method::POST, "/organisations/{organisation}/profil/logo", "/organisations/office-habitat/profil/logo", [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(Method::POST, "/organisations/{organisation}/profil/logo/retirer", "/organisations/office-habitat/profil/logo/retirer", [SIGN_IN, DONE, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        // Served to anyone, but only under the current logo's hash.
        row(Method::GET, "/organisations/{organisation}/logo/{hash}", format!("/organisations/office-habitat/logo/{}", "0".repeat(32)), [NOT_FOUND; 6]),
        // The first-run address serves only a fresh instance, through its token.
        row(Method::GET, "/installation/{token}", "/installation/inconnu", [NOT_FOUND; 6]),
        row(Method::POST, "/installation/{token}", "/installation/inconnu", [NOT_FOUND; 6]),
        row(Method::GET, "/organisations/{organisation}/services", services, [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        // An empty name, no service to merge into, a service still used: refused, nothing written.
        Row {
            form: form(&[("name", " ")]),
            ..row(Method::POST, "/organisations/{organisation}/services", services, [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        Row {
            form: form(&[("name", "")]),
            ..row(Method::POST, "/organisations/{organisation}/services/{service}", format!("{services}/{dsi_service}"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        Row {
            form: form(&[("into", "")]),
            ..row(Method::POST, "/organisations/{organisation}/services/{service}/fusion", format!("{services}/{dsi_service}/fusion"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        row(Method::POST, "/organisations/{organisation}/services/{service}/retirer", format!("{services}/{dsi_service}/retirer"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row {
            form: form(&[("email", "x")]),
            ..row(Method::POST, "/organisations/{organisation}/utilisateurs", users, [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        Row {
            form: form(&[("role", "x")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/utilisateurs/{user}",
                format!("{users}/0"),
                [SIGN_IN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        row(
            Method::POST,
            "/organisations/{organisation}/utilisateurs/{user}/retirer",
            format!("{users}/0/retirer"),
            [SIGN_IN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/saisie/{year}", format!("{plan}/saisie/2025"), [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        // Saving DSI's indicator, unchanged: only those who may enter it get through.
        Row {
            form: form(&[(&format!("ver-{dsi_indicator}"), "0"), (&format!("v-{dsi_indicator}"), "")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/plans/{plan}/saisie/{year}",
                format!("{plan}/saisie/2025"),
                [SIGN_IN, FORBIDDEN, DONE, DONE, FORBIDDEN, NOT_FOUND],
            )
        },
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/mes-actions/{year}", format!("{plan}/mes-actions/2025"), [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        Row {
            form: form(&[("transition", "soumettre")]),
            setup: Some(
                "INSERT INTO action_review (action_id, year, state) SELECT id, 2025, 'entered' FROM action WHERE code = '10'
                 ON CONFLICT (action_id, year) DO UPDATE SET state = 'entered'",
            ),
            ..row(
                Method::POST,
                "/organisations/{organisation}/plans/{plan}/saisie/{year}/actions/{action}/circuit",
                format!("{plan}/saisie/2025/actions/{dsi_action}/circuit"),
                // Pilots submit; procurement staff validate, they do not submit to themselves.
                [SIGN_IN, FORBIDDEN, FORBIDDEN, DONE, FORBIDDEN, NOT_FOUND],
            )
        },
        Row {
            form: form(&[("verrou", "deverrouiller")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/plans/{plan}/saisie/{year}/verrou",
                format!("{plan}/saisie/2025/verrou"),
                [SIGN_IN, FORBIDDEN, DONE, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        Row {
            form: form(&[("level", "indicator"), ("item", &dsi_indicator), ("status", "")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/plans/{plan}/statuts/{year}",
                format!("{plan}/statuts/2025"),
                [SIGN_IN, FORBIDDEN, DONE, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        row(
            Method::GET,
            "/organisations/{organisation}/plans/{plan}/statuts/{year}/{level}/{item}",
            format!("{plan}/statuts/2025/indicator/{dsi_indicator}"),
            [SIGN_IN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(
            Method::GET,
            "/organisations/{organisation}/plans/{plan}/indicateurs/{indicator}/historique",
            format!("{plan}/indicateurs/{dsi_indicator}/historique"),
            [SIGN_IN, OK, OK, OK, OK, NOT_FOUND],
        ),
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/bilan/{year}", format!("{plan}/bilan/2025"), [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        row(
            Method::GET,
            "/organisations/{organisation}/plans/{plan}/bilan/{year}/{file}",
            format!("{plan}/bilan/2025/bilan.csv"),
            [SIGN_IN, OK, OK, OK, OK, NOT_FOUND],
        ),
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/comparaison", format!("{plan}/comparaison"), [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        Row {
            form: form(&[("publication", "retirer")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/plans/{plan}/publication",
                format!("{plan}/publication"),
                [SIGN_IN, DONE, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        row(Method::GET, "/organisations/{organisation}/import", "/organisations/office-habitat/import", [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(Method::POST, "/organisations/{organisation}/import", "/organisations/office-habitat/import", [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(
            Method::GET,
            "/organisations/{organisation}/import/{draft}",
            "/organisations/office-habitat/import/0",
            [SIGN_IN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(
            Method::POST,
            "/organisations/{organisation}/import/{draft}",
            "/organisations/office-habitat/import/0",
            [SIGN_IN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(
            Method::GET,
            "/organisations/{organisation}/import/modele.xlsx",
            "/organisations/office-habitat/import/modele.xlsx",
            [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(
            Method::POST,
            "/organisations/{organisation}/import/{draft}/colonnes",
            "/organisations/office-habitat/import/0/colonnes",
            [SIGN_IN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(
            Method::POST,
            "/organisations/{organisation}/import/{draft}/annuler",
            "/organisations/office-habitat/import/0/annuler",
            [SIGN_IN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
        ),
        row(
            Method::GET,
            "/organisations/{organisation}/plans/{plan}/export/{file}",
            format!("{plan}/export/plan.csv"),
            [SIGN_IN, OK, OK, OK, OK, NOT_FOUND],
        ),
        row(Method::GET, "/organisations/{organisation}/contrats", "/organisations/office-habitat/contrats", [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        row(Method::POST, "/organisations/{organisation}/contrats", "/organisations/office-habitat/contrats", [SIGN_IN, INVALID, INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        row(Method::GET, "/organisations/{organisation}/contrats/imports/{import}", "/organisations/office-habitat/contrats/imports/0", [SIGN_IN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND]),
        Row {
            form: form(&[("siret", "123")]),
            ..row(Method::POST, "/organisations/{organisation}/sirets", "/organisations/office-habitat/sirets", [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        row(
            Method::GET,
            "/organisations/{organisation}/indicateurs-legaux",
            "/organisations/office-habitat/indicateurs-legaux",
            [SIGN_IN, OK, OK, OK, OK, NOT_FOUND],
        ),
        Row {
            form: form(&[("indicateur", "0")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/indicateurs-legaux/liens",
                "/organisations/office-habitat/indicateurs-legaux/liens",
                [SIGN_IN, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        row(Method::GET, "/organisations/{organisation}/rapport-legal", "/organisations/office-habitat/rapport-legal", [SIGN_IN, OK, OK, OK, OK, NOT_FOUND]),
        row(
            Method::GET,
            "/organisations/{organisation}/rapport-legal/{file}",
            "/organisations/office-habitat/rapport-legal/rapport-legal.csv?annee=2026",
            [SIGN_IN, OK, OK, OK, OK, NOT_FOUND],
        ),
        Row {
            form: form(&[("cible_social_any", "douze")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/rapport-legal/cibles",
                "/organisations/office-habitat/rapport-legal/cibles",
                [SIGN_IN, INVALID, INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        Row {
            form: form(&[("achats", "beaucoup")]),
            ..row(
                Method::POST,
                "/organisations/{organisation}/rapport-legal/profil",
                "/organisations/office-habitat/rapport-legal/profil",
                [SIGN_IN, INVALID, INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND],
            )
        },
        // The public addresses, the plan published (unpublished, they answer 404: tests/it/bilan.rs).
        Row { setup: Some(PUBLISH), ..row(Method::GET, "/public/{organisation}/{plan}", public, [OK; 6]) },
        Row { setup: Some(PUBLISH), ..row(Method::GET, "/public/{organisation}/{plan}/bilan/{year}", format!("{public}/bilan/2025"), [OK; 6]) },
        Row {
            setup: Some(PUBLISH),
            ..row(Method::GET, "/public/{organisation}/{plan}/bilan/{year}/{file}", format!("{public}/bilan/2025/bilan.json"), [OK; 6])
        },
        Row { setup: Some(PUBLISH), ..row(Method::GET, "/public/{organisation}/{plan}/comparaison", format!("{public}/comparaison"), [OK; 6]) },
        // A shared plan (issue 20): administrators associate organisations; the carrier's people
        // but its pilots read the consolidated bilan; a member's people (GOSB's) do not.
        row(Method::GET, "/organisations/{organisation}/plans/{plan}/membres", format!("{plan}/membres"), [SIGN_IN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row {
            form: form(&[("organisation", "")]),
            ..row(Method::POST, "/organisations/{organisation}/plans/{plan}/membres", format!("{plan}/membres"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        Row {
            form: form(&[("email", "")]),
            ..row(Method::POST, "/organisations/{organisation}/plans/{plan}/membres/lecteurs", format!("{plan}/membres/lecteurs"), [SIGN_IN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND])
        },
        // Closing the bilan to someone it was not opened to changes nothing.
        row(Method::POST, "/organisations/{organisation}/plans/{plan}/membres/lecteurs/{user}/retirer", format!("{plan}/membres/lecteurs/999999/retirer"), [SIGN_IN, DONE, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
        Row { setup: Some(SHARE), ..row(Method::GET, "/organisations/{organisation}/plans/{plan}/consolide/{year}", format!("{plan}/consolide/2025"), [SIGN_IN, OK, OK, FORBIDDEN, OK, NOT_FOUND]) },
        Row { setup: Some(SHARE), ..row(Method::GET, "/public/{organisation}/{plan}/consolide/{year}", format!("{public}/consolide/2025"), [OK; 6]) },
        Row { setup: Some(SHARE), ..row(Method::GET, "/organisations/{organisation}/plans/{plan}/consolide/{year}/{file}", format!("{plan}/consolide/2025/consolide.csv"), [SIGN_IN, OK, OK, FORBIDDEN, OK, NOT_FOUND]) },
        Row { setup: Some(SHARE), ..row(Method::GET, "/public/{organisation}/{plan}/consolide/{year}/{file}", format!("{public}/consolide/2025/consolide.csv"), [OK; 6]) },
    ];

    // Every route of the application has its row, and every row is a route.
    let routes: Vec<(Method, &str)> = spaser::web::routes()
        .iter()
        .map(|r| (r.method.clone(), r.path))
        .collect();
    for (method, path) in &routes {
        assert!(
            matrix
                .iter()
                .any(|r| r.method == *method && r.route == *path),
            "no matrix row for {method} {path}"
        );
    }
    for r in &matrix {
        assert!(
            routes.iter().any(|(m, p)| *m == r.method && *p == r.route),
            "{} {} is not a route",
            r.method,
            r.route
        );
    }

    let app = app(&pool);
    for r in &matrix {
        for (who, expected) in Who::ALL.iter().zip(r.expected) {
            let mut client = match who.email() {
                Some(email) => Client::signed_in(&app, email).await,
                None => {
                    let mut c = Client::new(&app);
                    c.get("/connexion").await;
                    c
                }
            };
            // The rate limit is tested apart: each request starts with a clean record.
            sqlx::query("DELETE FROM sign_in_throttle")
                .execute(&pool)
                .await
                .unwrap();
            if let Some(setup) = r.setup {
                sqlx::query(setup).execute(&pool).await.unwrap();
            }
            let fields: Vec<(&str, &str)> = r
                .form
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let page = if r.method == Method::GET {
                client.get(&r.path).await
            } else {
                client.post(&r.path, &fields).await
            };
            assert_eq!(page.status, expected, "{} {} as {who:?}", r.method, r.route);
            if *who == Who::Anonymous && expected == SIGN_IN && r.route != "/deconnexion" {
                assert!(
                    page.location().unwrap().starts_with("/connexion?suite="),
                    "{} {}",
                    r.method,
                    r.route
                );
            }
        }
    }
}
