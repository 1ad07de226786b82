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

fn http_get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
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

    // First start: creates the cluster, loads the demo, serves it.
    let running = start(&dir);
    assert!(pid_file.exists(), "PostgreSQL runs while the server does");
    let (status, html) = http_get(&running.address, "/");
    assert_eq!(status, 200);
    let organisations = texts(&html, "main h2");
    assert_eq!(organisations.len(), 2, "{organisations:?}");
    let (status, plan) = http_get(
        &running.address,
        "/organisations/office-habitat/plans/spaser-2025-2027",
    );
    assert_eq!(status, 200);
    assert_eq!(texts(&plan, "article.spaser-action").len(), 15);
    stop(running);
    assert!(!pid_file.exists(), "PostgreSQL is stopped with the server");

    // Second start: the same data, not loaded twice.
    let running = start(&dir);
    let (status, html) = http_get(&running.address, "/");
    assert_eq!(status, 200);
    assert_eq!(texts(&html, "main h2"), organisations);
    assert_eq!(texts(&html, ".fr-card__title").len(), 2);
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
