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
