//! Notices and reminders by e-mail, received by a real SMTP listener the test starts on a
//! loopback port: who gets what, and never another organisation's data.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::{Client, PUBLIC_URL, action_id, demo_pool, field_value, indicator};

const PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";

/// A mail as the listener received it: its recipients and its decoded text.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) to: Vec<String>,
    pub(crate) text: String,
}

/// A small SMTP server: answers what a client needs to hand over a mail, and keeps it.
pub(crate) struct Sink {
    pub(crate) url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Sink {
    pub(crate) async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                    let mut to = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_uppercase();
                        let answer: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 OK\r\n"
                        } else if upper == "DATA" {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            kept.lock().unwrap().push(Received {
                                to: std::mem::take(&mut to),
                                text: decode(&data),
                            });
                            b"250 queued\r\n"
                        } else if upper == "QUIT" {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        write.write_all(answer).await.unwrap();
                    }
                });
            }
        });
        Sink { url, received }
    }

    /// Waits (up to 5 s) until `n` mails have come.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            let got = self.received.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received.lock().unwrap().clone()
    }
}

/// The message's text: quoted-printable and encoded subjects undone enough to read French.
fn decode(data: &str) -> String {
    let joined = data.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn app_with(pool: &sqlx::PgPool, sink: &Sink) -> axum::Router {
    spaser::web::router(spaser::web::AppState {
        public_url: PUBLIC_URL.into(),
        mailer: spaser::mail::Mailer::smtp(&sink.url, Some("SPASER <spaser@exemple.fr>")).unwrap(),
        ..spaser::web::AppState::new(pool.clone())
    })
}

#[tokio::test]
async fn a_submission_and_a_return_are_told_to_the_people_concerned_only() {
    let sink = Sink::start().await;
    let pool = demo_pool().await;
    let app = app_with(&pool, &sink);
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let dsi = indicator(&pool, "10").await;
    let dsi_action = action_id(&pool, "10").await;
    let form = pilot.get(ENTRY).await;
    let version = field_value(&form, &format!("ver-{dsi}")).unwrap_or_else(|| "0".into());
    pilot
        .post(
            ENTRY,
            &[
                (&format!("ver-{dsi}"), version.as_str()),
                (&format!("v-{dsi}"), "12"),
            ],
        )
        .await;
    let submitted = pilot
        .post(
            &format!("{ENTRY}/actions/{dsi_action}/circuit"),
            &[("transition", "soumettre")],
        )
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, ["commande-publique@office-habitat.demo"]);
    assert!(
        mails[0].text.contains("Action soumise"),
        "{}",
        mails[0].text
    );
    assert!(mails[0].text.contains("Action 10"), "{}", mails[0].text);
    assert!(
        mails[0].text.contains(&format!(
            "{PUBLIC_URL}{PLAN}/saisie/2025#action-{dsi_action}"
        )),
        "{}",
        mails[0].text
    );
    // Returned with a comment: the action's pilot is told, with the comment.
    let returned = staff
        .post(
            &format!("{ENTRY}/actions/{dsi_action}/circuit"),
            &[
                ("transition", "renvoyer"),
                ("comment", "Reprendre le total des achats"),
            ],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER);
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1].to, ["pilote@office-habitat.demo"]);
    assert!(mails[1].text.contains("Reprendre le total des achats"));
    // No mail reached anyone outside the office, nor named the other organisation.
    for mail in &mails {
        assert!(mail.to.iter().all(|t| t.ends_with("@office-habitat.demo")));
        assert!(!mail.text.contains("Grand-Orly"));
    }
}

#[tokio::test]
async fn the_reminder_before_the_deadline_lists_each_person_s_missing_values_once() {
    let sink = Sink::start().await;
    let pool = demo_pool().await;
    let mailer = spaser::mail::Mailer::smtp(&sink.url, None).unwrap();
    let today = chrono::Utc::now().date_naive();
    // Without a deadline, nothing; GOSB's deadline is far away.
    sqlx::query(
        "UPDATE organisation SET entry_deadline = CASE slug
            WHEN 'office-habitat' THEN $1::date + 3 ELSE $1::date + 30 END",
    )
    .bind(today)
    .execute(&pool)
    .await
    .unwrap();
    // A relay that is down: nothing sent, and the reminder is not spent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let nowhere = spaser::mail::Mailer::smtp(&down, None).unwrap();
    let none = spaser::mail::send_due_reminders(&pool, &nowhere, today, PUBLIC_URL)
        .await
        .unwrap();
    assert_eq!(none, 0);
    let claimed: i64 = sqlx::query_scalar("SELECT count(*) FROM reminder_sent")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(claimed, 0, "the reminder waits for a relay that answers");
    let sent = spaser::mail::send_due_reminders(&pool, &mailer, today, PUBLIC_URL)
        .await
        .unwrap();
    let mails = sink.wait_for(sent).await;
    assert_eq!(mails.len(), sent);
    assert_eq!(sent, 2, "the DSI pilot and procurement staff: {mails:?}");
    let pilot = mails
        .iter()
        .find(|m| m.to == ["pilote@office-habitat.demo"])
        .expect("the pilot's reminder");
    let dsi_label: String = sqlx::query_scalar(
        "SELECT i.label FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '10' LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(pilot.text.contains(&dsi_label), "{}", pilot.text);
    assert!(pilot.text.contains("Saisie") || pilot.text.contains("saisie"));
    let staff = mails
        .iter()
        .find(|m| m.to == ["commande-publique@office-habitat.demo"])
        .expect("procurement staff's reminder");
    assert!(staff.text.contains("DSI : "), "{}", staff.text);
    for mail in &mails {
        assert!(mail.to.iter().all(|t| t.ends_with("@office-habitat.demo")));
        assert!(!mail.text.contains("Grand-Orly"));
    }
    // Once only.
    let again = spaser::mail::send_due_reminders(&pool, &mailer, today, PUBLIC_URL)
        .await
        .unwrap();
    assert_eq!(again, 0);
}
