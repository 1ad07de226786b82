//! `spaser organisation add` and `spaser organisation list`: setting up an instance's buyers.

use super::CliError;
use crate::db::Database;
use crate::domain::organisation::{OrganisationKind, parse_siren, parse_slug};
use crate::plans::profile::{self, NewOrganisation};

pub(super) async fn add(
    db: &Database,
    slug: &str,
    name: &str,
    short_name: Option<&str>,
    kind: Option<&str>,
    siren: Option<&str>,
) -> Result<(), CliError> {
    let slug = parse_slug(slug).map_err(CliError::Invalid)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(CliError::Invalid(
            "le nom est obligatoire (200 caractères au plus)".into(),
        ));
    }
    let short_name = short_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(name);
    let kind = kind
        .map(|k| {
            OrganisationKind::parse(k).ok_or_else(|| {
                CliError::Invalid(format!(
                    "nature inconnue « {k} » : {}",
                    OrganisationKind::CODES.join(", ")
                ))
            })
        })
        .transpose()?;
    let siren = siren
        .map(parse_siren)
        .transpose()
        .map_err(CliError::Invalid)?;
    let mut conn = db.pool.acquire().await?;
    let created = profile::create_organisation(
        &mut conn,
        &NewOrganisation {
            slug: &slug,
            name,
            short_name,
            kind: kind.map(OrganisationKind::label),
            siren: siren.as_deref(),
        },
    )
    .await?;
    if !created {
        return Err(CliError::Invalid(format!(
            "l'adresse « {slug} » est déjà celle d'une organisation : choisissez-en une autre"
        )));
    }
    println!("Organisation créée : {name} (/organisations/{slug})");
    println!(
        "Créez son premier administrateur : spaser user add --organisation {slug} --role admin --email …"
    );
    Ok(())
}

pub(super) async fn list(db: &Database) -> Result<(), CliError> {
    let mut conn = db.pool.acquire().await?;
    let rows = profile::organisation_list(&mut conn).await?;
    if rows.is_empty() {
        println!("Aucune organisation. Créez-en une : spaser organisation add --slug … --name …");
    }
    for row in rows {
        println!(
            "{}\t{}\t{}\t{} plan(s)\t{} membre(s)",
            row.slug,
            row.name,
            row.kind.unwrap_or_default(),
            row.plans,
            row.members
        );
    }
    Ok(())
}
