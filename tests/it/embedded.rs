//! The embedded default, as a user meets it: the real binary, no DATABASE_URL, a data
//! directory; it starts, serves, stops with the server and starts again on the same data.

use std::path::Path;
use std::process::Command;

use crate::process::{Running, http, sign_in, stop};
use crate::support::texts;

fn start(data_dir: &Path) -> Running {
    crate::process::start(&[("SPASER_DATA_DIR", data_dir.to_str().unwrap())])
}

#[test]
fn the_embedded_default_starts_serves_stops_and_restarts_on_the_same_data() {
    let dir = std::env::temp_dir().join(format!("spaser-embedded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pid_file = dir.join("pg").join("postmaster.pid");
    let plan_path = "/organisations/office-habitat/plans/spaser-2025-2027";

    // First start: creates the cluster, loads the demo, serves it.
    let running = start(&dir);
    assert!(pid_file.exists(), "PostgreSQL runs while the server does");
    let cookie = sign_in(&running.address, "comite@office-habitat.demo");
    let (status, _, html) = http(&running.address, "GET", "/", Some(&cookie), None);
    assert_eq!(status, 200);
    assert_eq!(texts(&html, "main h2"), ["Office public de l'habitat"]);
    let (status, _, plan) = http(&running.address, "GET", plan_path, Some(&cookie), None);
    assert_eq!(status, 200);
    assert_eq!(texts(&plan, "article.spaser-action").len(), 15);
    stop(running);
    assert!(!pid_file.exists(), "PostgreSQL is stopped with the server");

    // Second start: the same data, the demo not loaded twice, the session still there.
    let running = start(&dir);
    let (status, _, _) = http(&running.address, "GET", plan_path, Some(&cookie), None);
    assert_eq!(
        status, 200,
        "sessions live in the database: still signed in after a restart"
    );
    let cookie = sign_in(&running.address, "comite@grand-orly-seine-bievre.demo");
    let (status, _, html) = http(&running.address, "GET", "/", Some(&cookie), None);
    assert_eq!(status, 200);
    assert_eq!(
        texts(&html, "main h2"),
        ["Établissement public territorial Grand-Orly Seine Bièvre"]
    );
    assert_eq!(
        texts(&html, ".card-title").len(),
        1,
        "the demo is not loaded twice"
    );
    stop(running);
    assert!(!pid_file.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_url_nor_postgresql_the_binary_says_what_to_do() {
    let dir = std::env::temp_dir().join(format!("spaser-nobin-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_spaser"))
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("SPASER_DATA_DIR", &dir)
        .env("SPASER_PG_BIN", dir.join("nowhere"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PostgreSQL n'est pas installé"), "{stderr}");
    assert!(stderr.contains("apt-get install postgresql"), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
