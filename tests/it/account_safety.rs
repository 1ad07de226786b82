//! Attacks on accounts and sessions (issue 11): an invitation that takes over an existing
//! account, redirects after sign-in, racing the sign-in limit, caching of members' pages,
//! anonymous sessions, activation links from the `Host` header, guessable passwords.

use std::net::SocketAddr;

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::support::{Client, DEMO_PASSWORD, PUBLIC_URL, app, demo_pool, normalise};

const GOSB_USERS: &str = "/organisations/grand-orly-seine-bievre/utilisateurs";
const OFFICE_USERS: &str = "/organisations/office-habitat/utilisateurs";

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn password_hash(pool: &PgPool, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT password_hash FROM app_user WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn from(address: &str) -> Option<SocketAddr> {
    Some(address.parse().unwrap())
}

#[tokio::test]
async fn inviting_an_existing_account_adds_a_membership_and_never_a_password_link() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let victim = "admin@office-habitat.demo";
    let hash_before = password_hash(&pool, victim).await;
    let mut attacker = Client::signed_in(&app, "admin@grand-orly-seine-bievre.demo").await;
    attacker.get(GOSB_USERS).await;
    let invited = attacker
        .post(
            GOSB_USERS,
            &[
                ("email", "ADMIN@office-habitat.demo"),
                ("name", "Nom choisi par l'attaquant"),
                ("role", "committee"),
            ],
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    assert!(
        invited.texts("#lien-activation").is_empty(),
        "no activation link for an existing account"
    );
    let notice = invited.texts(".alert-title").join(" ");
    assert!(notice.contains("a déjà un compte"), "{notice}");
    assert!(
        !notice.contains("Office") && !notice.contains("office-habitat/"),
        "nothing of the other organisations: {notice}"
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM activation a JOIN app_user u ON u.id = a.user_id \
             WHERE u.email = 'admin@office-habitat.demo'"
        )
        .await,
        0
    );
    assert_eq!(password_hash(&pool, victim).await, hash_before);
    let name: String = sqlx::query_scalar("SELECT display_name FROM app_user WHERE email = $1")
        .bind(victim)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(name, "Nom choisi par l'attaquant");

    // The owner still signs in with their own password and finds the new organisation.
    let mut owner = Client::signed_in(&app, victim).await;
    let home = owner.get("/compte").await;
    assert!(
        normalise(&home.body).contains("Grand-Orly"),
        "the new membership shows"
    );

    // A link made for an account that already has a password (as the invitation made before
    // this fix) sets nothing.
    let user_id = scalar(
        &pool,
        "SELECT id FROM app_user WHERE email = 'admin@office-habitat.demo'",
    )
    .await;
    sqlx::query(
        "INSERT INTO activation (token, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')",
    )
    .bind("a".repeat(64))
    .bind(user_id)
    .execute(&pool)
    .await
    .unwrap();
    let link = format!("/activation/{}", "a".repeat(64));
    let mut thief = Client::new(&app);
    assert_eq!(thief.get(&link).await.status, StatusCode::NOT_FOUND);
    thief.get("/connexion").await;
    let taken = thief
        .post(
            &link,
            &[
                ("password", "mot-de-passe-du-voleur"),
                ("confirmation", "mot-de-passe-du-voleur"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::NOT_FOUND);
    assert_eq!(password_hash(&pool, victim).await, hash_before);
}

#[tokio::test]
async fn the_users_list_does_not_tell_whether_an_account_is_active_elsewhere() {
    let pool = demo_pool().await;
    let app = app(&pool);
    // The office invites someone who has not activated yet.
    let mut office = Client::signed_in(&app, "admin@office-habitat.demo").await;
    office.get(OFFICE_USERS).await;
    let created = office
        .post(
            OFFICE_USERS,
            &[
                ("email", "nouvelle@exemple.fr"),
                ("name", "Nouvelle Personne"),
                ("role", "committee"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let office_list = office.get(OFFICE_USERS).await;
    // The « État » cell of a member's row.
    let row = |page: &crate::support::Page, email: &str| {
        let document = scraper::Html::parse_document(&page.body);
        let rows = scraper::Selector::parse("#membres tbody tr").unwrap();
        let cell = |n: usize| scraper::Selector::parse(&format!("td:nth-child({n})")).unwrap();
        document
            .select(&rows)
            .find(|r| {
                r.select(&cell(2))
                    .any(|c| c.text().collect::<String>() == email)
            })
            .and_then(|r| r.select(&cell(5)).next())
            .map(|c| normalise(&c.text().collect::<String>()))
            .unwrap()
    };
    assert!(row(&office_list, "nouvelle@exemple.fr").contains("Activation en attente"));

    // GOSB adds an account active in the office: it reads as any member there, and GOSB's own
    // pending invitation is the only one said to be pending.
    let mut gosb = Client::signed_in(&app, "admin@grand-orly-seine-bievre.demo").await;
    gosb.get(GOSB_USERS).await;
    for (email, link) in [
        ("comite@office-habitat.demo", false),
        ("invitee-gosb@exemple.fr", true),
    ] {
        let added = gosb
            .post(
                GOSB_USERS,
                &[("email", email), ("name", "X"), ("role", "committee")],
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{email}");
        assert_eq!(!added.texts("#lien-activation").is_empty(), link, "{email}");
    }
    // The office's pending invitation cannot be added to by GOSB (see the test below).
    let list = gosb.get(GOSB_USERS).await;
    assert_eq!(row(&list, "comite@office-habitat.demo"), "Membre");
    assert_eq!(
        row(&list, "invitee-gosb@exemple.fr"),
        "Activation en attente"
    );
    // The office's own link still works, once, for the person it was made for.
    let link = created.texts("#lien-activation")[0].clone();
    let path = link.strip_prefix(PUBLIC_URL).unwrap();
    let mut person = Client::new(&app);
    person.get(path).await;
    let done = person
        .post(
            path,
            &[
                ("password", "trois mots sans rapport"),
                ("confirmation", "trois mots sans rapport"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(
        !row(&office.get(OFFICE_USERS).await, "nouvelle@exemple.fr")
            .contains("Activation en attente")
    );
}

#[tokio::test]
async fn after_sign_in_only_same_origin_paths_are_followed() {
    let pool = demo_pool().await;
    let app = app(&pool);
    for suite in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
    ] {
        let mut client = Client::new(&app);
        client.get("/connexion").await;
        let page = client
            .post(
                "/connexion",
                &[
                    ("email", "comite@office-habitat.demo"),
                    ("password", DEMO_PASSWORD),
                    ("suite", suite),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{suite:?}");
        assert_eq!(page.location(), Some("/"), "{suite:?}");
    }
    // The form carries only a safe path forward.
    let mut client = Client::new(&app);
    let form = client.get("/connexion?suite=%2F%09%2Fevil.example").await;
    let document = scraper::Html::parse_document(&form.body);
    let hidden = scraper::Selector::parse("input[name='suite']").unwrap();
    assert_eq!(
        document
            .select(&hidden)
            .next()
            .unwrap()
            .value()
            .attr("value"),
        Some("/")
    );
    // A real path is kept.
    let mut client = Client::new(&app);
    client.get("/connexion").await;
    let page = client
        .post(
            "/connexion",
            &[
                ("email", "comite@office-habitat.demo"),
                ("password", DEMO_PASSWORD),
                ("suite", "/organisations/office-habitat?x=1"),
            ],
        )
        .await;
    assert_eq!(page.location(), Some("/organisations/office-habitat?x=1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_in_attempts_cannot_pass_the_limit_nor_lock_the_owner_out() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let victim = "pilote@office-habitat.demo";
    let mut attacker = Client::new(&app);
    attacker.address = from("203.0.113.7:5000");
    attacker.get("/connexion").await;
    let tries = (0..64).map(|_| {
        let mut client = attacker.clone();
        tokio::spawn(async move {
            client
                .post(
                    "/connexion",
                    &[("email", victim), ("password", "pas-le-mot-de-passe")],
                )
                .await
                .status
        })
    });
    let mut checked = 0;
    let mut refused = 0;
    for task in tries.collect::<Vec<_>>() {
        match task.await.unwrap() {
            StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        checked,
        spaser::auth::MAX_FAILURES_PER_EMAIL,
        "passwords checked"
    );
    assert_eq!(refused, 64 - checked);
    // The owner, elsewhere, signs in with the right password.
    let mut owner = Client::new(&app);
    owner.address = from("198.51.100.20:6000");
    assert_eq!(
        owner.sign_in(victim, DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // The attacker's address stays refused, even with the right password.
    assert_eq!(
        attacker.sign_in(victim, DEMO_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // From one address, at most the per-address limit of checks, whatever the e-mails.
    let mut sprayer = Client::new(&app);
    sprayer.address = from("192.0.2.99:7000");
    sprayer.get("/connexion").await;
    let mut checks = 0;
    for i in 0..30 {
        let page = sprayer
            .post(
                "/connexion",
                &[
                    ("email", format!("personne{i}@exemple.fr").as_str()),
                    ("password", "pas-le-mot-de-passe"),
                ],
            )
            .await;
        if page.status == StatusCode::UNPROCESSABLE_ENTITY {
            checks += 1;
        }
    }
    assert_eq!(checks, spaser::auth::MAX_FAILURES_PER_ADDRESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_hashing_runs_no_more_at_once_than_there_are_cores() {
    let pool = demo_pool().await;
    let app = app(&pool);
    // Many sign-ins at once, each from its own address so that none is throttled.
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut client = Client::new(&app);
                client.address = from(&format!("10.9.{}.{}:4000", i / 200, i % 200 + 1));
                client
                    .sign_in("comite@office-habitat.demo", DEMO_PASSWORD)
                    .await
                    .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::SEE_OTHER);
    }
    let peak = spaser::auth::hashing_peak();
    assert!(peak >= 1);
    assert!(
        peak <= spaser::auth::hashing_bound(),
        "{peak} hashes at once for {} cores",
        spaser::auth::hashing_bound()
    );
}

#[tokio::test]
async fn members_pages_are_kept_by_no_cache_and_tls_asks_for_tls() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut member = Client::signed_in(&app, "comite@office-habitat.demo").await;
    for path in [
        "/organisations/office-habitat/plans/spaser-2025-2027",
        "/organisations/office-habitat/plans/spaser-2025-2027/bilan/2025/bilan.csv",
        "/compte",
        "/organisations/unknown",
    ] {
        let page = member.get(path).await;
        assert_eq!(
            page.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("private, no-store"),
            "{path}"
        );
        assert!(page.headers.get("strict-transport-security").is_none());
    }
    // The sign-in form holds a token: not kept either.
    let mut visitor = Client::new(&app);
    let form = visitor.get("/connexion").await;
    assert_eq!(
        form.headers.get("cache-control").unwrap(),
        "private, no-store"
    );
    // Behind TLS, browsers are told to keep to TLS.
    let mut tls = Client::new(&app);
    tls.forwarded_https = true;
    let page = tls.get("/").await;
    assert_eq!(
        page.headers
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
}

#[tokio::test]
async fn anonymous_visits_store_no_session_and_expired_rows_are_purged() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let before = scalar(&pool, "SELECT count(*) FROM user_session").await;
    let mut visitor = Client::new(&app);
    for _ in 0..20 {
        assert_eq!(visitor.get("/connexion").await.status, StatusCode::OK);
        let mut other = Client::new(&app);
        other.get("/connexion").await;
    }
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM user_session").await,
        before
    );
    // The visitor's token still protects the form: a token signed for another nonce is refused.
    let mut forger = Client::new(&app);
    forger.get("/connexion").await;
    forger.csrf = visitor.csrf.clone();
    let forged = forger
        .post(
            "/connexion",
            &[
                ("email", "comite@office-habitat.demo"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut no_cookie = visitor.clone();
    no_cookie.cookie = None;
    assert_eq!(
        no_cookie
            .post(
                "/connexion",
                &[
                    ("email", "comite@office-habitat.demo"),
                    ("password", DEMO_PASSWORD),
                ],
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A visitor cannot make the server hold a large body.
    let large = "x".repeat(100 * 1024);
    let page = visitor
        .post("/connexion", &[("email", large.as_str())])
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("64 Ko au plus"), "{}", page.body);
    let signed = visitor
        .post(
            "/connexion",
            &[
                ("email", "comite@office-habitat.demo"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM user_session").await,
        before + 1,
        "a session is stored once it holds someone"
    );

    // What has expired goes; what has not stays.
    let user = scalar(
        &pool,
        "SELECT id FROM app_user WHERE email = 'comite@office-habitat.demo'",
    )
    .await;
    let organisation = scalar(
        &pool,
        "SELECT id FROM organisation WHERE slug = 'office-habitat'",
    )
    .await;
    for (id, age) in [("1", "31 minutes"), ("2", "1 minute")] {
        sqlx::query("INSERT INTO user_session (id, user_id, csrf_token, last_seen_at) VALUES ($1, $2, 'x', now() - $3::interval)")
            .bind(id.repeat(64))
            .bind(user)
            .bind(age)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO sign_in_throttle (key, window_start, attempts) VALUES ('old', now() - interval '16 minutes', 3), ('new', now(), 3)")
        .execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO activation (token, user_id, expires_at) VALUES ('old', $1, now() - interval '1 minute'), ('new', $1, now() + interval '1 day')")
        .bind(user).execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO import_draft (organisation_id, created_by, file_name, payload, created_at) VALUES ($1, $2, 'vieux.xlsx', '{}', now() - interval '25 hours'), ($1, $2, 'recent.xlsx', '{}', now())")
        .bind(organisation).bind(user).execute(&pool).await.unwrap();
    let purged = spaser::auth::purge_expired(&mut pool.acquire().await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        (
            purged.sessions,
            purged.throttles,
            purged.activations,
            purged.drafts
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM user_session WHERE id IN (repeat('1', 64), repeat('2', 64))"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM import_draft WHERE file_name = 'recent.xlsx'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn activation_links_use_the_configured_address_and_guessable_passwords_are_refused() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get(OFFICE_USERS).await;
    // The client says `Host: spaser.test`: the link does not follow it.
    let created = admin
        .post(
            OFFICE_USERS,
            &[
                ("email", "jeanne@exemple.fr"),
                ("name", "Jeanne"),
                ("role", "committee"),
            ],
        )
        .await;
    let link = created.texts("#lien-activation")[0].clone();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/activation/")),
        "{link}"
    );
    let path = link.strip_prefix(PUBLIC_URL).unwrap();
    let mut jeanne = Client::new(&app);
    jeanne.get(path).await;
    for weak in ["aaaaaaaaaaaa", "MotDePasse123", "abcabcabcabc"] {
        let page = jeanne
            .post(path, &[("password", weak), ("confirmation", weak)])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert!(
            page.texts(".alert p")[0].contains("trop facile à deviner"),
            "{weak}"
        );
    }
    assert!(password_hash(&pool, "jeanne@exemple.fr").await.is_none());
}

#[tokio::test]
async fn an_invitation_waiting_for_its_owner_is_not_added_to_by_another_organisation() {
    let pool = demo_pool().await;
    let app = app(&pool);
    // The office invites someone; its administrator keeps the link.
    let mut office = Client::signed_in(&app, "admin@office-habitat.demo").await;
    office.get(OFFICE_USERS).await;
    let invited = office
        .post(
            OFFICE_USERS,
            &[
                ("email", "convoitee@exemple.fr"),
                ("name", "Personne convoitée"),
                ("role", "committee"),
            ],
        )
        .await;
    let link = invited.texts("#lien-activation")[0].clone();
    // GOSB invites the same e-mail: refused, so that the office's link never opens GOSB.
    let mut gosb = Client::signed_in(&app, "admin@grand-orly-seine-bievre.demo").await;
    gosb.get(GOSB_USERS).await;
    let refused = gosb
        .post(
            GOSB_USERS,
            &[
                ("email", "convoitee@exemple.fr"),
                ("name", "X"),
                ("role", "procurement"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .texts(".error-text")
            .join(" ")
            .contains("invitation en attente d'activation"),
        "{}",
        refused.texts(".error-text").join(" / ")
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM membership m JOIN app_user u ON u.id = m.user_id \
             WHERE u.email = 'convoitee@exemple.fr'"
        )
        .await,
        1
    );
    // Whoever uses the office's link gets the office, and only it.
    let path = link.strip_prefix(PUBLIC_URL).unwrap();
    let mut holder = Client::new(&app);
    holder.get(path).await;
    let done = holder
        .post(
            path,
            &[
                ("password", "trois mots sans rapport"),
                ("confirmation", "trois mots sans rapport"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        holder
            .get("/organisations/grand-orly-seine-bievre")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_invitation_no_other_organisation_holds_can_be_sent_again() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut office = Client::signed_in(&app, "admin@office-habitat.demo").await;
    office.get(OFFICE_USERS).await;
    let fields = [
        ("email", "relance@exemple.fr"),
        ("name", "Relance"),
        ("role", "committee"),
    ];
    let first = office.post(OFFICE_USERS, &fields).await;
    let old_link = first.texts("#lien-activation")[0].clone();
    // The link is lost or expired: inviting again gives a new one and spends the old.
    let again = office.post(OFFICE_USERS, &fields).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    let new_link = again.texts("#lien-activation")[0].clone();
    assert_ne!(new_link, old_link);
    let mut person = Client::new(&app);
    assert_eq!(
        person
            .get(old_link.strip_prefix(PUBLIC_URL).unwrap())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        person
            .get(new_link.strip_prefix(PUBLIC_URL).unwrap())
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn nul_characters_and_malformed_addresses_get_french_refusals_not_500() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut visitor = Client::new(&app);
    visitor.get("/connexion").await;
    let page = visitor
        .post(
            "/connexion",
            &[("email", "personne\0@exemple.fr"), ("password", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(page.texts("h1"), ["Requête invalide"]);
    let mut member = Client::signed_in(&app, "comite@office-habitat.demo").await;
    for path in [
        "/organisations/office-habitat/contrats?procedure=%00",
        "/organisations/office-habitat/indicateurs-legaux?procedure=%00",
        "/organisations/office-habitat/plans/spaser-2025-2027?annee=abc",
        "/organisations/office-habitat/plans/spaser-2025-2027/saisie/99999999999",
    ] {
        let page = member.get(path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(page.texts("h1"), ["Requête invalide"], "{path}");
    }
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    staff
        .get("/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025")
        .await;
    let page = staff
        .post(
            "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025",
            &[("t-1", "abc\0def")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_stolen_session_cannot_try_current_passwords_faster_than_sign_in() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut thief = Client::signed_in(&app, "comite@office-habitat.demo").await;
    thief.get("/compte").await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let page = thief
            .post(
                "/compte/mot-de-passe",
                &[
                    ("current", format!("essai numéro {i}").as_str()),
                    ("password", "nouveau mot de passe sûr"),
                    ("confirmation", "nouveau mot de passe sûr"),
                ],
            )
            .await;
        statuses.push(page.status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
            .count(),
        5
    );
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limits_count_each_client_not_the_proxy() {
    let pool = demo_pool().await;
    let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    let app = spaser::web::router(spaser::web::AppState {
        trusted_proxies: std::sync::Arc::new(vec![proxy]),
        ..spaser::web::AppState::new(pool.clone())
    });
    let victim = "pilote@office-habitat.demo";
    let through_proxy = |client_address: &str| {
        let mut client = Client::new(&app);
        client.address = from("10.0.0.2:443");
        client.forwarded_for = Some(format!("{client_address}, 10.0.0.2"));
        client
    };
    let mut attacker = through_proxy("203.0.113.9");
    for _ in 0..5 {
        attacker.sign_in(victim, "pas-le-mot-de-passe").await;
    }
    assert_eq!(
        attacker.sign_in(victim, DEMO_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not locked out with them.
    let mut owner = through_proxy("198.51.100.4");
    assert_eq!(
        owner.sign_in(victim, DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // A client that is not the proxy cannot choose its address with the header.
    let mut spoofer = Client::new(&app);
    spoofer.address = from("192.0.2.50:1000");
    for i in 0..5 {
        spoofer.forwarded_for = Some(format!("198.51.100.{i}"));
        spoofer.sign_in(victim, "pas-le-mot-de-passe").await;
    }
    spoofer.forwarded_for = Some("198.51.100.99".into());
    assert_eq!(
        spoofer.sign_in(victim, DEMO_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
