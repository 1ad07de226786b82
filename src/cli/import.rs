//! `spaser import`: a plan brought in from its spreadsheet by the command line.

use super::CliError;
use crate::db::Database;
use crate::plans::read;

#[allow(clippy::too_many_arguments)]
pub(super) async fn import_file(
    db: &Database,
    file: &std::path::Path,
    organisation: &str,
    plan: Option<&str>,
    title: Option<&str>,
    period: Option<(i32, i32)>,
    dry_run: bool,
    confirm_removals: bool,
) -> Result<(), CliError> {
    use crate::domain::model::{ObjectiveTerm, PlanHeader};
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Invalid(format!("lecture de {} : {e}", file.display())))?;
    let mut conn = db.pool.acquire().await?;
    let org = read::organisation(&mut conn, organisation)
        .await?
        .ok_or_else(|| CliError::Invalid(format!("organisation « {organisation} » introuvable")))?;
    let (existing, header) = match plan {
        Some(slug) => {
            let head = read::plan_head(&mut conn, organisation, slug)
                .await?
                .ok_or_else(|| CliError::Invalid(format!("plan « {slug} » introuvable")))?;
            let header = PlanHeader {
                slug: head.slug.clone(),
                title: head.title.clone(),
                first_year: head.first_year,
                last_year: head.last_year,
                adopted_on: head.adopted_on,
                objective_term: head.objective_term,
            };
            (Some(head), header)
        }
        None => {
            let title = title.ok_or_else(|| {
                CliError::Invalid(
                    "donnez --title pour un nouveau plan (ou --plan pour en mettre un à jour)"
                        .into(),
                )
            })?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let (first_year, last_year) = period
                .or_else(|| crate::import::marked_period(&bytes, &name))
                .ok_or_else(|| {
                    CliError::Invalid(
                        "donnez --first-year et --last-year (le fichier ne les écrit pas dans ses valeurs cibles)"
                            .into(),
                    )
                })?;
            (
                None,
                PlanHeader {
                    slug: crate::import::slugify(title),
                    title: title.to_string(),
                    first_year,
                    last_year,
                    adopted_on: None,
                    objective_term: ObjectiveTerm::Objectif,
                },
            )
        }
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut payload = crate::import::read_file(&bytes, &name, header).map_err(CliError::Invalid)?;
    let changes = match &existing {
        Some(head) => Some(crate::import::changes(
            &read::plan_content(&mut conn, head.clone()).await?,
            &payload.draft,
        )),
        None => None,
    };
    print!(
        "{}",
        crate::import::preview_text(&payload, changes.as_ref())
    );
    if dry_run {
        println!("Essai à blanc : rien n'a été enregistré.");
        return Ok(());
    }
    if changes.as_ref().is_some_and(|c| !c.removed.is_empty()) && !confirm_removals {
        return Err(CliError::Invalid(
            "des éléments seraient retirés : relancez avec --confirm-removals pour l'accepter"
                .into(),
        ));
    }
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    match &existing {
        Some(head) => {
            match crate::plans::store::sync_plan(
                &mut tx,
                org.id,
                head.id,
                &payload.draft,
                confirm_removals,
            )
            .await
            {
                Ok(()) => {}
                Err(locked @ crate::plans::store::SyncError::Locked(_)) => {
                    return Err(CliError::Invalid(locked.to_string()));
                }
                Err(crate::plans::store::SyncError::Db(e)) => return Err(e.into()),
            }
        }
        None => {
            payload.header.slug = crate::plans::store::new_plan_slug(
                &mut tx,
                org.id,
                &payload.header.title,
            )
            .await?
            .ok_or_else(|| {
                CliError::Invalid(format!(
                    "l'organisation a déjà un plan « {} » : donnez --plan pour le mettre à jour",
                    payload.header.title
                ))
            })?;
            crate::plans::store::insert_plan(&mut tx, org.id, &payload.header, &payload.draft)
                .await?;
        }
    }
    tx.commit().await?;
    println!(
        "Plan enregistré : /organisations/{}/plans/{}",
        org.slug, payload.header.slug
    );
    Ok(())
}
