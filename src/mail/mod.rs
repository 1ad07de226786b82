//! Notices by e-mail: a pilot is told when an action is returned, procurement staff when a pilot
//! submits, and on each organisation's « date limite de saisie » everyone is reminded of what is
//! still missing. Without `SPASER_SMTP_URL` nothing is sent and nothing fails: the same notices
//! are in each person's « À faire » page.
//!
//! A mail only ever carries the data of the organisation whose event it tells: its recipients
//! are that organisation's members, and its text is made from that organisation's plan.

mod reminders;

pub use reminders::send_due_reminders;

use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One mail to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("adresse du serveur SMTP invalide (SPASER_SMTP_URL) : {0}")]
    Url(#[source] lettre::transport::smtp::Error),
    #[error("adresse d'expéditeur invalide (SPASER_MAIL_FROM) : « {0} »")]
    From(String),
    #[error("adresse de destinataire invalide : « {0} »")]
    To(String),
    #[error("message impossible à composer")]
    Build(#[source] lettre::error::Error),
    #[error("envoi refusé ou impossible")]
    Send(#[source] lettre::transport::smtp::Error),
}

/// Sends mails through SMTP, or nowhere when none is configured.
#[derive(Clone, Default)]
pub struct Mailer(Option<Arc<Smtp>>);

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Mailer(smtp)"
        } else {
            "Mailer(off)"
        })
    }
}

impl Mailer {
    /// `smtp://host:port` (plain, or `?tls=required` for STARTTLS), `smtps://host` for TLS, with
    /// `user:password@` when the relay asks; `from` is the sender's address
    /// (« SPASER <spaser@exemple.fr> » or a bare address), `spaser@localhost` when absent.
    pub fn smtp(url: &str, from: Option<&str>) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(MailError::Url)?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from.unwrap_or("spaser@localhost");
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::From(from.to_string()))?;
        Ok(Mailer(Some(Arc::new(Smtp { transport, from }))))
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Sends one mail now.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let Some(smtp) = &self.0 else {
            return Ok(());
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::To(mail.to.clone()))?;
        let message = Message::builder()
            .message_id(None)
            .from(smtp.from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(MailError::Build)?;
        smtp.transport
            .send(message)
            .await
            .map_err(MailError::Send)?;
        Ok(())
    }

    /// Sends mails after the answer has gone: a relay that is slow or down never delays nor
    /// fails the person's action; a failure is logged.
    pub fn send_in_background(&self, mails: Vec<Mail>) {
        if self.0.is_none() || mails.is_empty() {
            return;
        }
        let mailer = self.clone();
        tokio::spawn(async move {
            for mail in mails {
                match mailer.send(&mail).await {
                    Ok(()) => tracing::info!(subject = %mail.subject, "courriel envoyé"),
                    Err(e) => {
                        tracing::warn!(error = %e, subject = %mail.subject, "courriel non envoyé")
                    }
                }
            }
        });
    }
}

/// What happened to an action in the review, told to the people concerned.
pub struct ReviewNotice<'a> {
    pub organisation: &'a str,
    pub plan: &'a str,
    pub year: i32,
    pub action: &'a str,
    pub by: &'a str,
    pub link: &'a str,
}

/// To procurement staff: a pilot submitted an action's values.
pub fn submitted(notice: &ReviewNotice<'_>, to: &str) -> Mail {
    Mail {
        to: to.to_string(),
        subject: format!(
            "[{}] Action soumise : {}",
            notice.organisation, notice.action
        ),
        body: format!(
            "Bonjour,\n\n{} a soumis pour validation les valeurs {} de l'action :\n{}\n\nPlan : {}\n\n\
             Pour les valider ou les renvoyer : {}\n\n-- \nspaser, pour {}\n",
            notice.by, notice.year, notice.action, notice.plan, notice.link, notice.organisation
        ),
    }
}

/// To a pilot: an action's values were returned, with what to take up again.
pub fn returned(notice: &ReviewNotice<'_>, comment: &str, to: &str) -> Mail {
    Mail {
        to: to.to_string(),
        subject: format!(
            "[{}] Action renvoyée : {}",
            notice.organisation, notice.action
        ),
        body: format!(
            "Bonjour,\n\n{} vous a renvoyé les valeurs {} de l'action :\n{}\n\nSon message : « {} »\n\n\
             Plan : {}\n\nPour les reprendre : {}\n\n-- \nspaser, pour {}\n",
            notice.by,
            notice.year,
            notice.action,
            comment,
            notice.plan,
            notice.link,
            notice.organisation
        ),
    }
}
