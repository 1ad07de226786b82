//! Accounts, sessions, CSRF, the sign-in rate limit, user management, and who may do what.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::support::{Client, DEMO_PASSWORD, app, demo_pool, fresh_database};

const OFFICE: &str = "/organisations/office-habitat";
const OFFICE_PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const OFFICE_USERS: &str = "/organisations/office-habitat/utilisateurs";

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn cookie_attributes(page: &crate::support::Page) -> String {
    page.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("spaser_session="))
        .unwrap_or_default()
}

#[tokio::test]
async fn signing_in_renews_the_session_and_sets_a_safe_cookie() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut client = Client::new(&app);
    let form = client.get("/connexion").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.texts("h1"), ["Connexion à SPASER"]);
    let anonymous = client
        .cookie
        .clone()
        .expect("an anonymous session binds the form's token");
    assert!(cookie_attributes(&form).contains("HttpOnly"));
    assert!(cookie_attributes(&form).contains("SameSite=Lax"));
    assert!(
        !cookie_attributes(&form).contains("Secure"),
        "plain HTTP: no Secure flag"
    );

    let signed = client
        .post(
            "/connexion",
            &[
                ("email", "Admin@Office-Habitat.demo "),
                ("password", DEMO_PASSWORD),
                ("suite", OFFICE),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location(), Some(OFFICE));
    let session = client.cookie.clone().unwrap();
    assert_ne!(session, anonymous, "the session id is renewed at sign-in");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM user_session WHERE id = $1")
        .bind(&anonymous)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the anonymous session is gone");
    assert_eq!(client.get(OFFICE).await.status, StatusCode::OK);

    // Behind a TLS proxy, the cookie is Secure.
    let mut tls = Client::new(&app);
    tls.forwarded_https = true;
    let page = tls.get("/connexion").await;
    assert!(cookie_attributes(&page).contains("; Secure"));

    // An open redirect is not followed.
    let mut other = Client::new(&app);
    other.get("/connexion").await;
    let page = other
        .post(
            "/connexion",
            &[
                ("email", "admin@office-habitat.demo"),
                ("password", DEMO_PASSWORD),
                ("suite", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(page.location(), Some("/"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut client = Client::new(&app);
    let wrong = client
        .sign_in("admin@office-habitat.demo", "pas-le-bon-mot-de-passe")
        .await;
    let unknown = client
        .sign_in("personne@office-habitat.demo", "pas-le-bon-mot-de-passe")
        .await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            page.texts(".alert p"),
            ["Adresse e-mail ou mot de passe incorrect."]
        );
    }
    assert!(client.cookie.is_some());
    // The e-mail typed is kept.
    let document = scraper::Html::parse_document(&unknown.body);
    let input = scraper::Selector::parse("input[name='email']").unwrap();
    assert_eq!(
        document
            .select(&input)
            .next()
            .unwrap()
            .value()
            .attr("value"),
        Some("personne@office-habitat.demo")
    );
}

#[tokio::test]
async fn repeated_failures_suspend_sign_in_for_that_email() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut client = Client::new(&app);
    for _ in 0..spaser::auth::MAX_FAILURES_PER_EMAIL {
        let page = client
            .sign_in("pilote@office-habitat.demo", "mauvais-mot-de-passe")
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Even the right password is now refused, with the limit stated.
    let page = client
        .sign_in("pilote@office-habitat.demo", DEMO_PASSWORD)
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.texts(".alert p")[0].contains("suspendue pendant 15 minutes"));
    assert!(
        crate::support::normalise(&page.body)
            .contains("Après 5 tentatives infructueuses en 15 minutes")
    );
    // Another account is not affected.
    let page = client
        .sign_in("comite@office-habitat.demo", DEMO_PASSWORD)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // Once the window has passed, the account signs in again.
    sqlx::query("UPDATE sign_in_throttle SET window_start = window_start - interval '16 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let mut again = Client::new(&app);
    assert_eq!(
        again
            .sign_in("pilote@office-habitat.demo", DEMO_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn state_changes_without_the_session_token_are_refused() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut client = Client::signed_in(&app, "admin@office-habitat.demo").await;
    client.get(OFFICE_USERS).await;
    let users_before = count(&pool, "SELECT count(*) FROM app_user").await;

    let invite = [
        ("email", "nouveau@office-habitat.demo"),
        ("name", "Nouveau"),
        ("role", "committee"),
    ];
    let no_token = client.post_raw(OFFICE_USERS, &invite).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(no_token.texts("h1"), ["Accès refusé"]);
    let mut forged: Vec<(&str, &str)> = vec![("_csrf", "0123456789abcdef")];
    forged.extend_from_slice(&invite);
    assert_eq!(
        client.post_raw(OFFICE_USERS, &forged).await.status,
        StatusCode::FORBIDDEN
    );
    // Another session's token does not do either.
    let other = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let mut theirs: Vec<(&str, &str)> = vec![("_csrf", other.csrf.as_deref().unwrap())];
    theirs.extend_from_slice(&invite);
    assert_eq!(
        client.post_raw(OFFICE_USERS, &theirs).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM app_user").await,
        users_before,
        "nothing written"
    );
    assert_eq!(
        client.post_raw("/deconnexion", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client.get(OFFICE).await.status,
        StatusCode::OK,
        "still signed in"
    );

    // With the token, the same request goes through.
    assert_eq!(
        client.post(OFFICE_USERS, &invite).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM app_user").await,
        users_before + 1
    );
}

#[tokio::test]
async fn sessions_expire_when_idle_and_end_at_sign_out() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut client = Client::signed_in(&app, "comite@office-habitat.demo").await;
    assert_eq!(client.get(OFFICE).await.status, StatusCode::OK);
    sqlx::query("UPDATE user_session SET last_seen_at = now() - interval '31 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let page = client.get(OFFICE).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        Some("/connexion?suite=%2Forganisations%2Foffice-habitat")
    );

    // Sign out; a form replayed afterwards, old cookie and token included, is refused.
    let mut client = Client::signed_in(&app, "admin@office-habitat.demo").await;
    client.get(OFFICE_USERS).await;
    let stale = client.clone();
    assert_eq!(
        client.post("/deconnexion", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(client.cookie, None, "the cookie is cleared");
    let mut replay = stale;
    let users_before = count(&pool, "SELECT count(*) FROM app_user").await;
    let page = replay
        .post(
            OFFICE_USERS,
            &[
                ("email", "rejeu@office-habitat.demo"),
                ("name", "Rejeu"),
                ("role", "committee"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM app_user").await,
        users_before
    );
    assert_eq!(replay.get(OFFICE).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn changing_ones_password() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut client = Client::signed_in(&app, "comite@office-habitat.demo").await;
    let mut elsewhere = Client::signed_in(&app, "comite@office-habitat.demo").await;
    client.get("/compte").await;
    let wrong = client
        .post(
            "/compte/mot-de-passe",
            &[
                ("current", "pas-le-bon"),
                ("password", "nouveau-mot-2025"),
                ("confirmation", "nouveau-mot-2025"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.texts(".alert-error p"),
        ["Le mot de passe actuel est incorrect."]
    );
    let short = client
        .post(
            "/compte/mot-de-passe",
            &[
                ("current", DEMO_PASSWORD),
                ("password", "court"),
                ("confirmation", "court"),
            ],
        )
        .await;
    assert_eq!(
        short.texts(".alert-error p"),
        ["Le mot de passe doit compter au moins 12 caractères."]
    );
    let empty = client
        .post("/compte/mot-de-passe", &[("current", DEMO_PASSWORD)])
        .await;
    assert_eq!(
        empty.texts(".alert-error p"),
        ["Saisissez un mot de passe."]
    );
    let done = client
        .post(
            "/compte/mot-de-passe",
            &[
                ("current", DEMO_PASSWORD),
                ("password", "nouveau-mot-2025"),
                ("confirmation", "nouveau-mot-2025"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.texts(".alert-success p")[0].starts_with("Mot de passe changé"));
    assert_eq!(
        elsewhere.get(OFFICE).await.status,
        StatusCode::SEE_OTHER,
        "other sessions are closed"
    );
    assert_eq!(
        client.get(OFFICE).await.status,
        StatusCode::OK,
        "this one stays"
    );
    let mut fresh = Client::new(&app);
    assert_eq!(
        fresh
            .sign_in("comite@office-habitat.demo", DEMO_PASSWORD)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        fresh
            .sign_in("comite@office-habitat.demo", "nouveau-mot-2025")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_administrator_invites_a_pilot_who_activates_the_account_and_sees_their_actions() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let list = admin.get(OFFICE_USERS).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.texts("td.spaser-member-name").len(),
        4,
        "the four demo accounts"
    );
    let dsi: i64 = sqlx::query_scalar("SELECT s.id FROM service s JOIN organisation o ON o.id = s.organisation_id WHERE o.slug = 'office-habitat' AND s.name = 'DSI'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let dsi = dsi.to_string();
    let created = admin
        .post(
            OFFICE_USERS,
            &[
                ("email", "Marie.Curie@Office-Habitat.demo"),
                ("name", "Marie Curie"),
                ("role", "pilot"),
                ("services", &dsi),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.texts(".alert-title"),
        ["Compte créé pour Marie Curie (marie.curie@office-habitat.demo)."]
    );
    let link = created.texts("#lien-activation")[0].clone();
    let path = link
        .strip_prefix(crate::support::PUBLIC_URL)
        .expect("an absolute link to this site, at its configured address");
    assert!(
        created
            .texts("td.spaser-member-name")
            .contains(&"Marie Curie".to_string())
    );

    let mut marie = Client::new(&app);
    let form = marie.get(path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("marie.curie@office-habitat.demo"));
    let mismatch = marie
        .post(
            path,
            &[
                ("password", "radium-polonium-1898"),
                ("confirmation", "radium"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        mismatch.texts(".alert p"),
        ["Les deux mots de passe ne sont pas identiques."]
    );
    let done = marie
        .post(
            path,
            &[
                ("password", "radium-polonium-1898"),
                ("confirmation", "radium-polonium-1898"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        marie.get(path).await.status,
        StatusCode::NOT_FOUND,
        "the link works once"
    );

    // The pilot reads the plan, with DSI's action marked as theirs.
    let plan = marie.get(OFFICE_PLAN).await;
    assert_eq!(plan.status, StatusCode::OK);
    assert_eq!(
        plan.texts(".spaser-pilot-notice .notice-title"),
        ["Vous pilotez : DSI. Les actions de vos services sont signalées « Vous pilotez »."]
    );
    let mine = plan.texts("article.spaser-action--mine h4");
    assert_eq!(mine.len(), 1);
    assert!(mine[0].starts_with("Action 10 —"));
    // …but cannot manage users.
    assert_eq!(marie.get(OFFICE_USERS).await.status, StatusCode::FORBIDDEN);

    // The administrator makes her a committee member, then removes her.
    let marie_id: i64 = sqlx::query_scalar(
        "SELECT id FROM app_user WHERE email = 'marie.curie@office-habitat.demo'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let update = format!("{OFFICE_USERS}/{marie_id}");
    assert_eq!(
        admin.post(&update, &[("role", "committee")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        marie
            .get(OFFICE_PLAN)
            .await
            .texts("article.spaser-action--mine")
            .is_empty()
    );
    assert_eq!(
        admin.post(&format!("{update}/retirer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        marie.get(OFFICE_PLAN).await.status,
        StatusCode::NOT_FOUND,
        "rights go at once"
    );
}

#[tokio::test]
async fn bad_input_to_user_management_is_refused_with_french_messages() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get(OFFICE_USERS).await;
    let before = count(&pool, "SELECT count(*) FROM membership").await;
    let gosb_service: i64 = sqlx::query_scalar(
        "SELECT s.id FROM service s JOIN organisation o ON o.id = s.organisation_id WHERE o.slug = 'office-habitat' LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // A service id of no organisation of ours (the highest id plus one) stands for a forged one.
    let forged_service = (gosb_service + 10_000).to_string();
    let long_name = "x".repeat(121);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("email", "pas-une-adresse"),
                ("name", "A"),
                ("role", "committee"),
            ],
            "Saisissez une adresse e-mail valide",
        ),
        (
            vec![("email", ""), ("name", "A"), ("role", "committee")],
            "Saisissez une adresse e-mail.",
        ),
        (
            vec![
                ("email", "a@office-habitat.demo"),
                ("name", &long_name),
                ("role", "committee"),
            ],
            "Le nom est trop long",
        ),
        (
            vec![
                ("email", "a@office-habitat.demo"),
                ("name", "  "),
                ("role", "committee"),
            ],
            "Saisissez le nom de la personne.",
        ),
        (
            vec![
                ("email", "a@office-habitat.demo"),
                ("name", "A"),
                ("role", "superadmin"),
            ],
            "Choisissez un rôle dans la liste.",
        ),
        (
            vec![
                ("email", "a@office-habitat.demo"),
                ("name", "A"),
                ("role", "pilot"),
            ],
            "Un pilote pilote au moins un service",
        ),
        (
            vec![
                ("email", "a@office-habitat.demo"),
                ("name", "A"),
                ("role", "pilot"),
                ("services", &forged_service),
            ],
            "Service inconnu.",
        ),
        (
            vec![
                ("email", "admin@office-habitat.demo"),
                ("name", "Encore"),
                ("role", "committee"),
            ],
            "fait déjà partie de l'organisation",
        ),
    ];
    for (fields, message) in cases {
        let page = admin.post(OFFICE_USERS, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let errors = page.texts(".error-text").join(" ");
        assert!(errors.contains(message), "{fields:?}: {errors}");
    }
    // The input is kept on the page.
    let page = admin
        .post(
            OFFICE_USERS,
            &[
                ("email", "pas-une-adresse"),
                ("name", "Gardé"),
                ("role", "committee"),
            ],
        )
        .await;
    let document = scraper::Html::parse_document(&page.body);
    let name = scraper::Selector::parse("#name").unwrap();
    assert_eq!(
        document.select(&name).next().unwrap().value().attr("value"),
        Some("Gardé")
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM membership").await,
        before,
        "nothing written"
    );

    // An administrator cannot change their own role nor remove themselves.
    let me: i64 =
        sqlx::query_scalar("SELECT id FROM app_user WHERE email = 'admin@office-habitat.demo'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let page = admin
        .post(&format!("{OFFICE_USERS}/{me}"), &[("role", "committee")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = admin
        .post(&format!("{OFFICE_USERS}/{me}/retirer"), &[])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A forged organisation: GOSB's administrator posts to the office's users, or names an
    // office user in GOSB's address.
    let mut gosb = Client::signed_in(&app, "admin@grand-orly-seine-bievre.demo").await;
    gosb.get("/organisations/grand-orly-seine-bievre/utilisateurs")
        .await;
    let page = gosb
        .post(
            OFFICE_USERS,
            &[
                ("email", "intrus@exemple.fr"),
                ("name", "Intrus"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = gosb
        .post(
            &format!("/organisations/grand-orly-seine-bievre/utilisateurs/{me}/retirer"),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM membership").await,
        before,
        "nothing written"
    );
}

#[tokio::test]
async fn what_users_write_is_escaped_wherever_it_shows() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let script = "<script>alert('x')</script>";
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get(OFFICE_USERS).await;
    let created = admin
        .post(
            OFFICE_USERS,
            &[
                ("email", "xss@office-habitat.demo"),
                ("name", script),
                ("role", "committee"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let link = created.texts("#lien-activation")[0].clone();
    for page in [created, admin.get(OFFICE_USERS).await] {
        assert!(!page.body.contains(script), "raw script on the users page");
        assert!(
            page.texts("td.spaser-member-name")
                .contains(&script.to_string()),
            "shown as text"
        );
    }
    let mut xss = Client::new(&app);
    let path = link.strip_prefix(crate::support::PUBLIC_URL).unwrap();
    xss.get(path).await;
    let activated = xss
        .post(
            path,
            &[
                ("password", "mot-de-passe-long"),
                ("confirmation", "mot-de-passe-long"),
            ],
        )
        .await;
    assert_eq!(
        activated.status,
        StatusCode::SEE_OTHER,
        "{}",
        activated.body
    );
    for path in ["/", "/compte", OFFICE, OFFICE_PLAN] {
        let page = xss.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains(script), "raw script on {path}");
        assert_eq!(
            page.texts(".header-nav a.btn[href='/compte']"),
            [script],
            "the name, as text, in the header of {path}"
        );
    }
    // What is typed in the sign-in form comes back escaped too.
    let mut visitor = Client::new(&app);
    let page = visitor.sign_in(script, "x").await;
    assert!(!page.body.contains(script));
}

#[tokio::test]
async fn the_first_administrator_is_created_from_the_command_line() {
    let (pool, url) = fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    spaser::demo::load(&mut conn).await.unwrap();
    drop(conn);
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let add = [
        "user",
        "add",
        "--email",
        "DG@office-habitat.fr",
        "--role",
        "admin",
        "--organisation",
        "office-habitat",
        "--name",
        "Directrice générale",
    ];
    let output = run(&add, "un-mot-de-passe-solide\n");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("Compte créé : dg@office-habitat.fr (Administrateur)")
    );
    let mut client = Client::new(&app(&pool));
    assert_eq!(
        client
            .sign_in("dg@office-habitat.fr", "un-mot-de-passe-solide")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(client.get(OFFICE_USERS).await.status, StatusCode::OK);

    for (args, stdin, message) in [
        (
            vec![
                "user",
                "add",
                "--email",
                "x@y.fr",
                "--role",
                "chef",
                "--organisation",
                "office-habitat",
            ],
            "un-mot-de-passe-solide\n",
            "rôle inconnu",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "pas-une-adresse",
                "--role",
                "admin",
                "--organisation",
                "office-habitat",
            ],
            "un-mot-de-passe-solide\n",
            "adresse e-mail valide",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@y.fr",
                "--role",
                "admin",
                "--organisation",
                "inconnue",
            ],
            "un-mot-de-passe-solide\n",
            "introuvable",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@y.fr",
                "--role",
                "admin",
                "--organisation",
                "office-habitat",
            ],
            "\n",
            "Saisissez un mot de passe.",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@y.fr",
                "--role",
                "pilote",
                "--organisation",
                "office-habitat",
            ],
            "un-mot-de-passe-solide\n",
            "au moins un service",
        ),
    ] {
        let output = run(&args, stdin);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM app_user WHERE email = 'x@y.fr'"
        )
        .await,
        0
    );
}
