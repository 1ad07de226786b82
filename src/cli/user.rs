//! `spaser user add`: an account made from the command line.

use super::CliError;
use crate::auth;
use crate::db::Database;
use crate::domain::account::{Email, Role, check_new_password, parse_display_name};
use crate::domain::ids::ServiceId;
use crate::plans::read;

pub(super) async fn add_user(
    db: &Database,
    email: &str,
    role: &str,
    organisation: &str,
    name: Option<&str>,
    services: &[String],
) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Invalid(e.into()))?;
    let role = Role::parse(role).ok_or_else(|| {
        CliError::Invalid(format!(
            "rôle inconnu « {role} » : admin, commande-publique, pilote ou comite"
        ))
    })?;
    let name = parse_display_name(name.unwrap_or(email.as_str()))
        .map_err(|e| CliError::Invalid(e.into()))?;
    let mut conn = db.pool.acquire().await?;
    let org = read::organisation(&mut conn, organisation)
        .await?
        .ok_or_else(|| CliError::Invalid(format!("organisation « {organisation} » introuvable")))?;
    let mut service_ids = Vec::new();
    for service in services {
        let id = sqlx::query_scalar!(
            r#"SELECT id AS "id: ServiceId" FROM service WHERE organisation_id = $1 AND lower(name) = lower($2)"#,
            org.id.get(),
            service
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            CliError::Invalid(format!(
                "service « {service} » introuvable dans {}",
                org.short_name
            ))
        })?;
        service_ids.push(id);
    }
    if role == Role::Pilot && service_ids.is_empty() {
        return Err(CliError::Invalid(
            "un pilote pilote au moins un service : ajoutez --service NOM".into(),
        ));
    }
    let password =
        read_password().map_err(|e| CliError::Invalid(format!("lecture du mot de passe : {e}")))?;
    check_new_password(&password, &password).map_err(|e| CliError::Invalid(e.into()))?;
    let hash = auth::hash_password(&password);
    let new = auth::NewUser {
        email: email.as_str(),
        display_name: &name,
        password_hash: Some(&hash),
        organisation_id: org.id,
        role,
        services: &service_ids,
    };
    match auth::create_user(&mut conn, &new).await {
        Ok(auth::Created::Account(_)) => {
            println!(
                "Compte créé : {} ({}) dans {}",
                email.as_str(),
                role.label(),
                org.short_name
            );
            Ok(())
        }
        Ok(auth::Created::Membership(_)) => {
            println!(
                "Compte existant : {} a maintenant le rôle {} dans {} (son mot de passe n'a pas changé)",
                email.as_str(),
                role.label(),
                org.short_name
            );
            Ok(())
        }
        Err(auth::CreateUserError::AwaitingActivation) => Err(CliError::Invalid(format!(
            "{} a une invitation en attente d'activation dans une autre organisation : \
             ajoutez-la quand la personne aura activé son compte",
            email.as_str()
        ))),
        Err(auth::CreateUserError::EmailTaken) => Err(CliError::Invalid(format!(
            "{} a déjà un rôle dans {}",
            email.as_str(),
            org.short_name
        ))),
        Err(auth::CreateUserError::Db(e)) => Err(e.into()),
    }
}

/// The password: prompted without echo on a terminal, else the first line of stdin.
fn read_password() -> std::io::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Mot de passe (12 caractères au moins) : ")?;
        let second = rpassword::prompt_password("Confirmation : ")?;
        if first != second {
            return Err(std::io::Error::other("les deux saisies diffèrent"));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
