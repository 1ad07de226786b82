//! Setting up an instance for a new buyer, as the README says: `spaser organisation add`, then
//! `spaser user add`, then the administrator completes the profile in the browser.

use axum::http::StatusCode;

use crate::support::{Client, app, fresh_database};

/// Runs the real binary on the test's database, with `stdin` typed in.
pub fn run(url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
        .args(args)
        .env("DATABASE_URL", url)
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
}

pub fn said(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn a_new_buyer_is_set_up_from_the_command_line_and_completes_its_profile() {
    let (pool, url) = fresh_database().await;
    let empty = run(&url, &["organisation", "list"], "");
    assert!(empty.status.success(), "{}", said(&empty));
    assert!(said(&empty).contains("Aucune organisation"));

    // Refused, each with a message naming what is wrong; nothing written.
    for (args, message) in [
        (
            vec!["--slug", "Ville de Montreuil", "--name", "Ville"],
            "adresse « Ville de Montreuil » invalide",
        ),
        (
            vec!["--slug", "montreuil", "--name", "Ville", "--kind", "mairie"],
            "nature inconnue « mairie »",
        ),
        (
            vec![
                "--slug",
                "montreuil",
                "--name",
                "Ville",
                "--siren",
                "217500017",
            ],
            "clé de contrôle",
        ),
    ] {
        let mut all = vec!["organisation", "add"];
        all.extend(args);
        let refused = run(&url, &all, "");
        assert!(!refused.status.success());
        assert!(said(&refused).contains(message), "{}", said(&refused));
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM organisation")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let add = [
        "organisation",
        "add",
        "--slug",
        "ville-de-montreuil",
        "--name",
        "Ville de Montreuil",
        "--short-name",
        "Montreuil",
        "--kind",
        "commune",
        "--siren",
        "217500016",
    ];
    let created = run(&url, &add, "");
    assert!(created.status.success(), "{}", said(&created));
    assert!(said(&created).contains("Organisation créée : Ville de Montreuil"));
    let again = run(&url, &add, "");
    assert!(!again.status.success());
    assert!(said(&again).contains("déjà celle d'une organisation"));
    let admin = run(
        &url,
        &[
            "user",
            "add",
            "--email",
            "dg@montreuil.fr",
            "--role",
            "admin",
            "--organisation",
            "ville-de-montreuil",
            "--name",
            "Directrice générale",
        ],
        "un-mot-de-passe-solide\n",
    );
    assert!(admin.status.success(), "{}", said(&admin));
    let list = run(&url, &["organisation", "list"], "");
    assert!(
        said(&list)
            .contains("ville-de-montreuil\tVille de Montreuil\tCommune\t0 plan(s)\t1 membre(s)"),
        "{}",
        said(&list)
    );

    // In the browser: the administrator signs in, sees the organisation, completes its profile.
    let app = app(&pool);
    let mut client = Client::new(&app);
    let signed = client
        .sign_in("dg@montreuil.fr", "un-mot-de-passe-solide")
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let home = client.get("/organisations/ville-de-montreuil").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.texts(".brand-name"), ["Ville de Montreuil"]);
    let profile = "/organisations/ville-de-montreuil/profil";
    let page = client.get(profile).await;
    assert_eq!(
        crate::support::field_value(&page, "siren").as_deref(),
        Some("217500016")
    );
    assert!(
        page.texts(".spaser-obligation")[0].starts_with("Indiquez le montant estimé"),
        "{:?}",
        page.texts(".spaser-obligation")
    );
    let fields = |purchases: &'static str| {
        [
            ("name", "Ville de Montreuil"),
            ("short_name", "Montreuil"),
            ("kind", "Commune"),
            ("accent", ""),
            ("deadline", ""),
            ("siren", "217500016"),
            ("purchases", purchases),
        ]
    };
    let refused = client.post(profile, &fields("beaucoup")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.texts("#purchases-error").is_empty());
    assert_eq!(
        crate::support::field_value(&refused, "purchases").as_deref(),
        Some("beaucoup")
    );
    let saved = client.post(profile, &fields("62 000 000")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = client.get(profile).await;
    let obligation = page.texts(".spaser-obligation").join(" ");
    assert!(
        obligation.contains("le SPASER est obligatoire") && obligation.contains("62 000 000"),
        "{obligation}"
    );
    let below = client.post(profile, &fields("12 000 000 €")).await;
    assert_eq!(below.status, StatusCode::SEE_OTHER);
    let obligation = client
        .get(profile)
        .await
        .texts(".spaser-obligation")
        .join(" ");
    assert!(obligation.contains("n'est pas obligatoire"), "{obligation}");
}

/// `spaser serve` on the database with no demo: the address it listens on and the setup
/// address it prints (when it prints one).
fn serve_fresh(url: &str) -> (crate::process::Running, Option<String>) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaser"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("SPASER_ADDR", "127.0.0.1:0")
        .env("SPASER_NO_DEMO", "1")
        .env_remove("SPASER_PUBLIC_URL")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut address, mut setup) = (None, None);
    let mut line = String::new();
    // The setup address, when there is one, is printed before the address listened on.
    while stdout.read_line(&mut line).unwrap() > 0 {
        let text = line.trim();
        if let Some(rest) = text.strip_prefix("Première installation : ouvrez ") {
            setup = Some(rest.to_string());
        } else if let Some(rest) = text.strip_prefix("spaser écoute sur http://") {
            address = Some(rest.trim_end_matches('/').to_string());
            break;
        }
        line.clear();
    }
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stdout.read_to_string(&mut sink);
    });
    let address = address.expect("the server prints its address");
    (crate::process::Running { child, address }, setup)
}

fn exchange(
    address: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> spaser::tools::http::Response {
    use spaser::tools::http::{Request, TIMEOUT, exchange_blocking};
    let request = match form {
        Some(form) => Request::post_form(path, form),
        None => Request::get(path),
    };
    let request = Request {
        method,
        ..request.cookie(cookie)
    };
    exchange_blocking(address, &request, TIMEOUT).unwrap()
}

#[tokio::test]
async fn a_fresh_instance_without_demo_is_set_up_through_the_address_the_server_prints() {
    let (pool, url) = fresh_database().await;
    // Each start prints a new address; the former one no longer serves.
    let (first, old) = serve_fresh(&url);
    let old = old.expect("a setup address is printed");
    // Serving (its signal handler in place) before it is stopped.
    assert_eq!(
        exchange(&first.address, "GET", "/sante", None, None).status,
        200
    );
    crate::process::stop(first);
    let (server, setup) = serve_fresh(&url);
    let setup = setup.expect("a setup address is printed again");
    let address = server.address.clone();
    let prefix = format!("http://{address}");
    let path = setup
        .strip_prefix(&prefix)
        .expect("made with the server's address")
        .to_string();
    let old_path = old
        .strip_prefix("http://")
        .and_then(|s| s.split_once('/'))
        .map(|(_, p)| format!("/{p}"))
        .unwrap();
    assert!(
        path.starts_with("/installation/") && path.len() == "/installation/".len() + 64,
        "{path}"
    );
    assert_ne!(path, old_path);
    assert_eq!(exchange(&address, "GET", &old_path, None, None).status, 404);
    assert_eq!(
        exchange(&address, "GET", "/installation/faux", None, None).status,
        404
    );
    let wrong = format!("/installation/{}", "0".repeat(64));
    assert_eq!(exchange(&address, "GET", &wrong, None, None).status, 404);

    // The form, as a browser without JavaScript fills it.
    let page = exchange(&address, "GET", &path, None, None);
    assert_eq!(page.status, 200);
    let visitor = page
        .session_cookie()
        .expect("a visitor's cookie for the form token");
    let token = spaser::tools::http::csrf_token(&page.body)
        .unwrap()
        .to_string();
    let form = |password: &str, confirmation: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("_csrf", &token)
            .append_pair("name", "Ville de Montreuil")
            .append_pair("short_name", "Montreuil")
            .append_pair("slug", "")
            .append_pair("kind", "commune")
            .append_pair("siren", "217500016")
            .append_pair("admin_name", "Directrice générale")
            .append_pair("email", "DG@Montreuil.fr")
            .append_pair("password", password)
            .append_pair("confirmation", confirmation)
            .finish()
    };
    // Refused: the input kept, the address still valid, nothing created.
    let refused = exchange(
        &address,
        "POST",
        &path,
        Some(&visitor),
        Some(&form("un-mot-de-passe-solide", "autre-chose-encore")),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(
        crate::support::texts(&refused.body, "#password-error").len(),
        1
    );
    assert_eq!(
        spaser::tools::http::form_value(&refused.body, "name"),
        Some("Ville de Montreuil")
    );
    assert_eq!(
        spaser::tools::http::form_value(&refused.body, "slug"),
        Some("ville-de-montreuil")
    );
    assert_eq!(
        spaser::tools::http::form_value(&refused.body, "password"),
        Some("")
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM organisation")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // Without the form's token: refused before anything is read.
    let forged = form("un-mot-de-passe-solide", "un-mot-de-passe-solide").replace(&token, "faux");
    assert_eq!(
        exchange(&address, "POST", &path, Some(&visitor), Some(&forged)).status,
        403
    );

    let done = exchange(
        &address,
        "POST",
        &path,
        Some(&visitor),
        Some(&form("un-mot-de-passe-solide", "un-mot-de-passe-solide")),
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.headers("location").next(),
        Some("/organisations/ville-de-montreuil")
    );
    let session = done
        .session_cookie()
        .expect("the administrator is signed in");
    let home = exchange(
        &address,
        "GET",
        "/organisations/ville-de-montreuil",
        Some(&session),
        None,
    );
    assert_eq!(home.status, 200);
    assert_eq!(
        crate::support::texts(&home.body, ".brand-name"),
        ["Ville de Montreuil"]
    );
    assert!(
        crate::support::texts(&home.body, "p")
            .iter()
            .any(|p| p == "Votre rôle : Administrateur"),
        "{}",
        home.body
    );
    let (kind, siren, role, email): (Option<String>, Option<String>, String, String) = sqlx::query_as(
        "SELECT o.kind, o.siren, m.role, u.email FROM organisation o JOIN membership m ON m.organisation_id = o.id
           JOIN app_user u ON u.id = m.user_id WHERE o.slug = 'ville-de-montreuil'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (
            kind.as_deref(),
            siren.as_deref(),
            role.as_str(),
            email.as_str()
        ),
        (
            Some("Commune"),
            Some("217500016"),
            "admin",
            "dg@montreuil.fr"
        )
    );

    // Spent: the address answers « page non trouvée », to the page and to the form.
    assert_eq!(exchange(&address, "GET", &path, None, None).status, 404);
    let again = exchange(&address, "GET", &path, Some(&visitor), None);
    assert_eq!(again.status, 404);
    crate::process::stop(server);
    // A restart of a set-up instance prints no address.
    let (server, setup) = serve_fresh(&url);
    assert_eq!(setup, None);
    assert_eq!(
        exchange(&server.address, "GET", &path, None, None).status,
        404
    );
    crate::process::stop(server);
}
