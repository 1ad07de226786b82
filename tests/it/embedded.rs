//! The embedded default, as a user meets it: the real binary, no DATABASE_URL, a data
//! directory; it starts, serves, stops with the server and starts again on the same data.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::texts;

struct Running {
    child: Child,
    address: String,
}

fn start(data_dir: &Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spaser"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("SPASER_DATA_DIR", data_dir)
        .env("SPASER_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the spaser binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut address = None;
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.trim().strip_prefix("spaser écoute sur http://") {
            address = Some(rest.trim_end_matches('/').to_string());
            break;
        }
        line.clear();
    }
    let address = address.expect("the server prints its address");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stdout.read_to_string(&mut sink);
    });
    Running { child, address }
}

/// One HTTP/1.1 exchange over a plain socket: (status, head, body).
fn http(
    address: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: spaser_session={cookie}\r\n"));
    }
    if let Some(form) = form {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(form.unwrap_or_default());
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status, head.to_string(), body.to_string())
}

fn set_cookie(head: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.strip_prefix("set-cookie: spaser_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .next()
}

/// Signs in as a demo account through the form; returns the session cookie.
fn sign_in(address: &str, email: &str) -> String {
    let (_, head, body) = http(address, "GET", "/connexion", None, None);
    let anonymous = set_cookie(&head).expect("an anonymous session for the form");
    let document = scraper::Html::parse_document(&body);
    let selector = scraper::Selector::parse("input[name='_csrf']").unwrap();
    let csrf = document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", csrf)
        .append_pair("email", email)
        .append_pair("password", spaser::demo::DEMO_PASSWORD)
        .finish();
    let (status, head, _) = http(address, "POST", "/connexion", Some(&anonymous), Some(&form));
    assert_eq!(status, 303);
    set_cookie(&head).expect("a new session at sign-in")
}

fn stop(mut running: Running) {
    // SAFETY: sending SIGTERM to our own child process.
    let rc = unsafe { libc::kill(running.child.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let status = running.child.wait().unwrap();
    assert!(
        status.success(),
        "the server exits cleanly on SIGTERM: {status}"
    );
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
        texts(&html, ".fr-card__title").len(),
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
