//! The real `spaser` binary as a child process, spoken to over plain sockets (the client the
//! `soak` and `bench` tools use: `spaser::tools::http`).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use spaser::tools::http::{self as client, Request, TIMEOUT};

pub struct Running {
    pub child: Child,
    pub address: String,
}

/// Starts `spaser serve` on a free port with these environment variables (no `DATABASE_URL`
/// unless given) and waits for the address it prints.
pub fn start(envs: &[(&str, &str)]) -> Running {
    spawn(envs, false).0
}

/// Like [`start`], with the log lines it writes on stderr collected as they come.
pub fn start_with_logs(envs: &[(&str, &str)]) -> (Running, Arc<Mutex<Vec<String>>>) {
    spawn(envs, true)
}

fn spawn(envs: &[(&str, &str)], capture: bool) -> (Running, Arc<Mutex<Vec<String>>>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spaser"));
    command
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("SPASER_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(if capture {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the spaser binary starts");
    let logs: Arc<Mutex<Vec<String>>> = Arc::default();
    if let Some(stderr) = child.stderr.take() {
        let logs = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                logs.lock().unwrap().push(line);
            }
        });
    }
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
    (Running { child, address }, logs)
}

/// One HTTP/1.1 exchange over a plain socket: (status, head, body).
pub fn http(
    address: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, String, String) {
    try_http(address, method, path, cookie, form).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// One HTTP/1.1 exchange; an error when the server refuses the connection or closes it
/// without a complete answer.
pub fn try_http(
    address: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> std::io::Result<(u16, String, String)> {
    let request = match form {
        Some(form) => Request::post_form(path, form),
        None => Request::get(path),
    };
    let request = Request {
        method,
        ..request.cookie(cookie)
    };
    let response = client::exchange_blocking(address, &request, TIMEOUT)?;
    Ok((response.status, response.head, response.body))
}

/// The CSRF token a page's forms carry.
pub fn csrf(body: &str) -> String {
    client::csrf_token(body).expect("a CSRF field").to_string()
}

/// Signs in as a demo account through the form; returns the session cookie.
pub fn sign_in(address: &str, email: &str) -> String {
    client::sign_in_blocking(address, email, spaser::demo::DEMO_PASSWORD)
        .unwrap_or_else(|e| panic!("sign-in of {email}: {e}"))
}

/// Sends SIGTERM to the server.
pub fn terminate(running: &Running) {
    // SAFETY: sending SIGTERM to our own child process.
    let rc = unsafe { libc::kill(running.child.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0);
}

/// A server left running by a failed test is killed rather than orphaned.
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// SIGTERM, then waits for a clean exit.
pub fn stop(mut running: Running) {
    terminate(&running);
    let status = running.child.wait().unwrap();
    assert!(
        status.success(),
        "the server exits cleanly on SIGTERM: {status}"
    );
}
