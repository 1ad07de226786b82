//! The reminder before each organisation's « date limite de saisie »: a week before it (or at
//! once when the date is set closer), each pilot gets the list of the indicators they still have
//! to fill, and each procurement officer the count still missing per service. Sent once per
//! organisation and date, whichever server gets there first.

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use super::{Mail, Mailer};
use crate::auth::{self, Recipient};
use crate::domain::account::Role;
use crate::domain::format::date_fr;
use crate::domain::ids::OrganisationId;
use crate::domain::model::HasPeriod;
use crate::plans::read::{self, PlanTree};
use crate::plans::values::{self, YearValues};

/// Sends the reminders due today; answers how many mails went. Without SMTP, nothing is
/// claimed, so that the reminder still goes once a relay is configured.
pub async fn send_due_reminders(
    pool: &PgPool,
    mailer: &Mailer,
    today: NaiveDate,
    public_url: &str,
) -> Result<usize, sqlx::Error> {
    if !mailer.is_enabled() {
        return Ok(0);
    }
    let mut conn = pool.acquire().await?;
    // Claimed in one statement: two servers never send the same reminder.
    let due = sqlx::query!(
        r#"INSERT INTO reminder_sent (organisation_id, deadline)
           SELECT id, entry_deadline FROM organisation
            WHERE entry_deadline IS NOT NULL AND $1::date BETWEEN entry_deadline - 7 AND entry_deadline
           ON CONFLICT DO NOTHING
           RETURNING organisation_id AS "organisation_id: OrganisationId", deadline"#,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    let organisations = if due.is_empty() {
        Vec::new()
    } else {
        read::organisations(&mut conn).await?
    };
    for claim in due {
        let Some(organisation) = organisations.iter().find(|o| o.id == claim.organisation_id)
        else {
            continue;
        };
        let recipients = auth::recipients(
            &mut conn,
            organisation.id,
            &[Role::Pilot, Role::Procurement],
        )
        .await?;
        let pilots: Vec<&Recipient> = recipients
            .iter()
            .filter(|r| r.role == Role::Pilot)
            .collect();
        let mut missing_by_pilot: Vec<Vec<String>> = vec![Vec::new(); pilots.len()];
        let mut missing_by_service: Vec<(String, usize)> = Vec::new();
        for plan in read::plan_summaries(&mut conn, Some(organisation.id)).await? {
            let Some(tree) = read::plan_tree(&mut conn, &organisation.slug, &plan.slug).await?
            else {
                continue;
            };
            let year = tree.period().working_year(&tree.locked_years, today.year());
            let values = values::year_values(&mut conn, tree.id, year).await?;
            for (service, indicator) in missing(&tree, &values) {
                match missing_by_service.iter_mut().find(|(s, _)| *s == service) {
                    Some(entry) => entry.1 += 1,
                    None => missing_by_service.push((service.clone(), 1)),
                }
                for (i, pilot) in pilots.iter().enumerate() {
                    if pilot.services.contains(&service) {
                        let line = format!("- {} : {indicator} ({year})", tree.title);
                        if !missing_by_pilot[i].contains(&line) {
                            missing_by_pilot[i].push(line);
                        }
                    }
                }
            }
        }
        let deadline = date_fr(claim.deadline);
        let link = format!("{public_url}/a-faire");
        let subject = format!(
            "[{}] Saisie à compléter avant le {deadline}",
            organisation.short_name
        );
        let mut mails = Vec::new();
        for (pilot, lines) in pilots.iter().zip(&missing_by_pilot) {
            if lines.is_empty() {
                continue;
            }
            mails.push(Mail {
                to: pilot.email.clone(),
                subject: subject.clone(),
                body: format!(
                    "Bonjour {},\n\nLa date limite de saisie est le {deadline}. Il vous reste à renseigner :\n{}\n\n\
                     Votre liste « À faire » : {link}\n\n-- \nspaser, pour {}\n",
                    pilot.name,
                    lines.join("\n"),
                    organisation.name
                ),
            });
        }
        if !missing_by_service.is_empty() {
            missing_by_service.sort();
            let lines: Vec<String> = missing_by_service
                .iter()
                .map(|(s, n)| format!("- {s} : {n} indicateur(s) sans valeur"))
                .collect();
            for officer in recipients.iter().filter(|r| r.role == Role::Procurement) {
                mails.push(Mail {
                    to: officer.email.clone(),
                    subject: subject.clone(),
                    body: format!(
                        "Bonjour {},\n\nLa date limite de saisie est le {deadline}. Valeurs encore manquantes, par service :\n{}\n\n\
                         Votre liste « À faire » : {link}\n\n-- \nspaser, pour {}\n",
                        officer.name,
                        lines.join("\n"),
                        organisation.name
                    ),
                });
            }
        }
        let mut delivered = 0;
        for mail in &mails {
            match mailer.send(mail).await {
                Ok(()) => delivered += 1,
                Err(e) => tracing::warn!(error = %e, to = %mail.to, "relance non envoyée"),
            }
        }
        // A relay that refused everything: the claim is given back, so the next run tries again
        // (one that delivered some is kept, so that nobody is reminded twice).
        if delivered == 0 && !mails.is_empty() {
            sqlx::query!(
                "DELETE FROM reminder_sent WHERE organisation_id = $1 AND deadline = $2",
                claim.organisation_id.get(),
                claim.deadline
            )
            .execute(&mut *conn)
            .await?;
        }
        sent += delivered;
    }
    Ok(sent)
}

/// How the reminder names the indicators no service pilots.
const NO_SERVICE: &str = "sans service pilote";

/// The indicators without a value for the year, with each service that pilots them (the
/// indicator's own pilots, else its action's).
fn missing(tree: &PlanTree, values: &YearValues) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for action in tree
        .groups
        .iter()
        .flat_map(|g| g.objectives.iter())
        .flat_map(|o| o.actions.iter())
    {
        for indicator in &action.indicators {
            if values.actuals.contains_key(&indicator.id) {
                continue;
            }
            let pilots = if indicator.pilots.is_empty() {
                &action.pilots
            } else {
                &indicator.pilots
            };
            if pilots.is_empty() {
                // Procurement staff are told of these too.
                out.push((NO_SERVICE.to_string(), indicator.label.clone()));
            }
            for service in pilots {
                out.push((service.clone(), indicator.label.clone()));
            }
        }
    }
    out
}
