//! The paths people use signed in: the committee's bilan, procurement staff's entry page and
//! its whole-page save under concurrency, the first render after a change, page weights and the
//! process's memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use spaser::tools::http::Request;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The server time of the last request, in microseconds (set by the bench's middleware).
pub static LAST_SERVER_MICROS: AtomicU64 = AtomicU64::new(0);

/// The people the bench signs in as: one committee member, and procurement staff.
pub struct People {
    pub committee: String,
    pub staff: Vec<String>,
}

/// Accounts and sessions made directly in the database (no password hashing to wait for).
pub async fn people(pool: &PgPool, org: i64, staff: usize) -> People {
    let mut conn = pool.acquire().await.unwrap();
    let committee = account(&mut conn, org, "comite@banc.fr", "committee", 0).await;
    let mut people = Vec::new();
    for n in 0..staff {
        people.push(
            account(
                &mut conn,
                org,
                &format!("achat-{n}@banc.fr"),
                "procurement",
                n,
            )
            .await,
        );
    }
    People {
        committee,
        staff: people,
    }
}

/// A member of the organisation with this role, and a session of theirs.
async fn account(
    conn: &mut sqlx::PgConnection,
    org: i64,
    email: &str,
    role: &str,
    n: usize,
) -> String {
    let user: i64 = sqlx::query_scalar(
        "INSERT INTO app_user (email, display_name) VALUES ($1, $1) RETURNING id",
    )
    .bind(email)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    sqlx::query("INSERT INTO membership (user_id, organisation_id, role) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(org)
        .bind(role)
        .execute(&mut *conn)
        .await
        .unwrap();
    // Session ids are 64 hexadecimal digits.
    let id = format!("{:02x}{n:062x}", role.len());
    sqlx::query("INSERT INTO user_session (id, user_id, csrf_token) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(user)
        .bind(format!("jeton-{n}"))
        .execute(&mut *conn)
        .await
        .unwrap();
    id
}

/// A response read whole on a kept-alive connection (the application's pages have a
/// `Content-Length`).
pub struct Page {
    pub status: u16,
    pub body: Vec<u8>,
}

pub async fn exchange(stream: &mut tokio::net::TcpStream, request: &[u8]) -> std::io::Result<Page> {
    stream.write_all(request).await?;
    let mut buffer = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0; 1 << 16];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let lower = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
        let status = lower.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let length: usize = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap_or(0))
            .unwrap_or(0);
        // The rest of the body read straight into a buffer of its size.
        buffer.reserve((end + 4 + length).saturating_sub(buffer.len()));
        while buffer.len() < end + 4 + length {
            if stream.read_buf(&mut buffer).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        // The body where it was read: no second copy of a large page.
        buffer.truncate(end + 4 + length);
        buffer.drain(..end + 4);
        return Ok(Page {
            status,
            body: buffer,
        });
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The entry form of a page as a browser sends it: every field of the form `saisie`, as shown.
/// One pass over the page, from one `<` to the next (a browser runs elsewhere than the server: the
/// bench's own reading of the page takes as little of the two cores they share as it can).
pub fn whole_form(page: &str) -> Vec<(String, String)> {
    let ours = |name: &str| {
        name == "_csrf"
            || name.split_once('-').is_some_and(|(prefix, id)| {
                ["v", "ver", "o", "n", "d", "t", "c", "rver", "ro"].contains(&prefix)
                    && id.bytes().all(|b| b.is_ascii_digit())
            })
    };
    let mut fields = Vec::new();
    let mut csrf = false;
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let textarea = rest.starts_with("textarea");
        if !textarea && !rest.starts_with("input") {
            continue;
        }
        let Some(end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        // Attributes written ` key="value"` (a quote inside a value is escaped): split at quotes.
        let (mut name, mut value) = (None, None);
        let mut parts = tag.split('"');
        while let (Some(key), Some(v)) = (parts.next(), parts.next()) {
            match key.rsplit(|c: char| c.is_ascii_whitespace()).next() {
                Some("name=") => name = Some(v),
                Some("value=") => value = Some(v),
                _ => {}
            }
        }
        let Some(name) = name else {
            continue;
        };
        if textarea {
            if name.starts_with("r-") {
                let text = &rest[..rest.find("</textarea>").unwrap_or(0)];
                fields.push((name.to_string(), unescape(text)));
            }
        } else if ours(name) {
            if name == "_csrf" {
                // The first token is the whole form's (every form carries the same).
                if csrf {
                    continue;
                }
                csrf = true;
            }
            fields.push((name.to_string(), value.map(unescape).unwrap_or_default()));
        }
    }
    fields
}

fn encode(fields: &[(String, String)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    form.finish()
}

/// The whole-page saves of many people at once, each changing one indicator of their own.
pub struct Saves {
    pub sent: usize,
    pub acknowledged: usize,
    pub conflicts: usize,
    pub errors: usize,
    pub p50: Duration,
    pub p99: Duration,
    /// Saves acknowledged whose value is not the stored one, or not in the history.
    pub lost: usize,
    /// History lines from no acknowledged save.
    pub stray: usize,
}

/// One person: reads the entry page, changes their indicator's value, saves the whole page,
/// follows the redirection (the entry page again), and so on until the deadline.
async fn saver(
    address: String,
    path: String,
    cookie: String,
    (indicator, person): (i64, usize),
    pace: Option<Duration>,
    deadline: Instant,
) -> (Vec<Duration>, usize, usize, usize, Option<Decimal>) {
    let (mut latencies, mut acked, mut conflicts, mut errors) = (Vec::new(), 0, 0, 0);
    let mut last = None;
    let Ok(mut stream) = tokio::net::TcpStream::connect(&address).await else {
        return (latencies, 0, 0, 1, None);
    };
    let get = Request::get(&path)
        .cookie(Some(&cookie))
        .keep_alive()
        .to_bytes(&address);
    let mut page = match exchange(&mut stream, &get).await {
        Ok(p) if p.status == 200 => p,
        _ => return (latencies, 0, 0, 1, None),
    };
    let mut n = 0;
    let mut next = Instant::now();
    if let Some(pace) = pace {
        // People do not all save at the same instant: their first saves are spread over a pace.
        next += pace.mul_f64((person % 64) as f64 / 64.0);
    }
    while Instant::now() < deadline {
        let mut fields = match std::str::from_utf8(&page.body) {
            Ok(text) => whole_form(text),
            Err(_) => whole_form(&String::from_utf8_lossy(&page.body)),
        };
        let name = format!("v-{indicator}");
        // Distinct values, within 0–100 (half the indicators are percentages), never the one the
        // page shows (sent again, it would change nothing and be counted lost).
        let shown = fields.iter().find(|f| f.0 == name).and_then(|f| {
            f.1.replace(' ', "")
                .replace(',', ".")
                .parse::<Decimal>()
                .ok()
        });
        n += 1;
        let mut value = format!("{},{:02}", n % 100, person % 100);
        if value.replace(',', ".").parse::<Decimal>().ok() == shown {
            n += 1;
            value = format!("{},{:02}", n % 100, person % 100);
        }
        for f in fields.iter_mut().filter(|f| f.0 == name) {
            f.1 = value.clone();
        }
        let form = encode(&fields);
        // A browser keeps no more than the page it shows: the page read and its fields go.
        drop((page, fields));
        let post = Request::post_form(&path, &form)
            .cookie(Some(&cookie))
            .keep_alive()
            .to_bytes(&address);
        // When the save is due: at a pace, a save sent late (the page before it was slow) counts
        // from when it was due, as the person waits from then; without pause, from now. The form
        // is made before (a browser has it on screen when the person clicks).
        let mut due = Instant::now();
        if let Some(pace) = pace {
            tokio::time::sleep_until(next.into()).await;
            due = next;
            next += pace;
            if Instant::now() >= deadline {
                break;
            }
        }
        match exchange(&mut stream, &post).await {
            Ok(p) => {
                latencies.push(due.elapsed());
                match p.status {
                    303 => {
                        acked += 1;
                        last = value.replace(',', ".").parse::<Decimal>().ok();
                    }
                    409 => conflicts += 1,
                    status => {
                        if errors < 3 {
                            eprintln!(
                                "  save answered {status}: {}",
                                String::from_utf8_lossy(&p.body)
                                    .chars()
                                    .take(300)
                                    .collect::<String>()
                            );
                        }
                        errors += 1
                    }
                }
            }
            Err(_) => {
                errors += 1;
                break;
            }
        }
        page = match exchange(&mut stream, &get).await {
            Ok(p) if p.status == 200 => p,
            _ => {
                errors += 1;
                break;
            }
        };
    }
    (latencies, acked, conflicts, errors, last)
}

/// `people` save at once for `seconds`, each their own indicator of the plan: one save after
/// another without pause, or (`pace`) one save every `pace` each; then the values and the
/// history are checked against what was acknowledged.
pub async fn saves(
    pool: &PgPool,
    address: &str,
    (plan_id, path, year): (i64, &str, i32),
    people: &[String],
    seconds: u64,
    pace: Option<Duration>,
) -> Saves {
    let indicators: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT indicator_id FROM indicator_actual WHERE plan_id = $1 ORDER BY 1",
    )
    .bind(plan_id)
    .fetch_all(pool)
    .await
    .unwrap();
    let since: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM change_log")
        .fetch_one(pool)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(person, cookie)| {
            tokio::spawn(saver(
                address.to_string(),
                path.to_string(),
                cookie.clone(),
                (indicators[person % indicators.len()], person),
                pace,
                deadline,
            ))
        })
        .collect();
    let mut all = Vec::new();
    let (mut sent, mut acknowledged, mut conflicts, mut errors, mut lost) = (0, 0, 0, 0, 0);
    let mut expected_history = 0;
    for (person, task) in tasks.into_iter().enumerate() {
        let (latencies, acked, conflicted, failed, last) = task.await.unwrap();
        sent += latencies.len();
        all.extend(latencies);
        acknowledged += acked;
        conflicts += conflicted;
        errors += failed;
        expected_history += acked;
        let indicator = indicators[person % indicators.len()];
        let stored: Option<Decimal> = sqlx::query_scalar(
            "SELECT value FROM indicator_actual WHERE indicator_id = $1 AND year = $2",
        )
        .bind(indicator)
        .bind(year)
        .fetch_optional(pool)
        .await
        .unwrap()
        .flatten();
        let logged: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM change_log WHERE id > $1 AND indicator_id = $2 AND year = $3 AND field = 'Valeur réalisée'",
        )
        .bind(since)
        .bind(indicator)
        .bind(year)
        .fetch_one(pool)
        .await
        .unwrap();
        if last.is_some() && stored != last || logged as usize != acked {
            lost += 1;
        }
    }
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM change_log WHERE id > $1 AND field = 'Valeur réalisée'",
    )
    .bind(since)
    .fetch_one(pool)
    .await
    .unwrap();
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Saves {
        sent,
        acknowledged,
        conflicts,
        errors,
        p50: pick(0.5),
        p99: pick(0.99),
        lost,
        stray: (logged as usize).saturating_sub(expected_history),
    }
}

/// The server time of the first render after a change, median of 50: a value of the plan
/// changes (its revision with it), then the page is asked once.
pub async fn first_render(
    pool: &PgPool,
    address: &str,
    plan_id: i64,
    path: &str,
    cookie: &str,
) -> Duration {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let get = Request::get(path)
        .cookie(Some(cookie))
        .keep_alive()
        .to_bytes(address);
    let mut times = Vec::new();
    for _ in 0..50 {
        sqlx::query(
            "UPDATE indicator_actual SET value = value + 1 WHERE plan_id = $1 AND year = 2028
               AND indicator_id = (SELECT min(indicator_id) FROM indicator_actual WHERE plan_id = $1)",
        )
        .bind(plan_id)
        .execute(pool)
        .await
        .unwrap();
        let page = exchange(&mut stream, &get).await.unwrap();
        assert_eq!(page.status, 200, "{path}");
        times.push(Duration::from_micros(
            LAST_SERVER_MICROS.load(Ordering::SeqCst),
        ));
    }
    times.sort();
    times[times.len() / 2]
}

/// A page's weight as sent: uncompressed, then to a client accepting gzip and brotli (the
/// body's length on the wire, chunked or not) with the encoding used.
pub async fn weight(address: &str, path: &str, cookie: Option<&str>) -> (usize, usize, String) {
    let plain = Request::get(path).cookie(cookie).to_bytes(address);
    let text = String::from_utf8_lossy(&plain).to_string();
    let compressed = text.replacen("\r\n", "\r\nAccept-Encoding: gzip, br\r\n", 1);
    let mut sizes = Vec::new();
    let mut encoding = String::from("aucune");
    for request in [text, compressed] {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0);
        let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
        let mut body = &bytes[end + 4..];
        if let Some(dump) = std::env::var_os("BENCH_DUMP").filter(|_| sizes.is_empty()) {
            let file = std::path::Path::new(&dump).join(path.replace('/', "_"));
            let _ = std::fs::write(file, body);
        }
        if let Some(e) = head
            .lines()
            .find_map(|l| l.strip_prefix("content-encoding:"))
        {
            encoding = e.trim().to_string();
        }
        if head.contains("transfer-encoding: chunked") {
            // The chunks' sizes, added up.
            let mut total = 0;
            while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
                let size =
                    usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16)
                        .unwrap_or(0);
                if size == 0 {
                    break;
                }
                total += size;
                body = &body[(line_end + 2 + size + 2).min(body.len())..];
            }
            sizes.push(total);
        } else {
            sizes.push(body.len());
        }
    }
    (sizes[0], sizes[1], encoding)
}

/// The process's resident memory and its peak, in MB (Linux).
pub fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One whole-page save of the entry page changing its first value: the status.
pub async fn one_save(address: &str, path: &str, cookie: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let get = Request::get(path)
        .cookie(Some(cookie))
        .keep_alive()
        .to_bytes(address);
    let page = exchange(&mut stream, &get).await.unwrap();
    let mut fields = whole_form(&String::from_utf8_lossy(&page.body));
    if let Some(f) = fields.iter_mut().find(|f| f.0.starts_with("v-")) {
        f.1 = "4242".into();
    }
    let form = encode(&fields);
    let post = Request::post_form(path, &form)
        .cookie(Some(cookie))
        .keep_alive()
        .to_bytes(address);
    exchange(&mut stream, &post).await.map_or(0, |p| p.status)
}
