//! `spaser import`: a plan brought in from its spreadsheet by the command line.

use super::CliError;
use crate::db::Database;
use crate::import::ReadOptions;
use crate::plans::read;

/// What `spaser import` was asked.
pub(super) struct ImportArgs {
    pub file: std::path::PathBuf,
    pub organisation: String,
    pub plan: Option<String>,
    pub title: Option<String>,
    pub period: Option<(i32, i32)>,
    pub dry_run: bool,
    pub confirm_removals: bool,
    /// The preview as JSON on standard output (messages then go to standard error).
    pub json: bool,
    pub options: ReadOptions,
    pub adopted_on: Option<chrono::NaiveDate>,
}

pub(super) async fn import_file(db: &Database, args: ImportArgs) -> Result<(), CliError> {
    use crate::domain::model::{ObjectiveTerm, PlanHeader};
    let file = &args.file;
    let organisation = args.organisation.as_str();
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Invalid(format!("lecture de {} : {e}", file.display())))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The file is read first: the plan's years and date may come from it.
    let sheets =
        crate::import::read_sheets(&bytes, &name).map_err(|e| CliError::Invalid(e.to_string()))?;
    let table = crate::import::locate(sheets, &args.options).map_err(CliError::Invalid)?;
    let mut conn = db.pool.acquire().await?;
    let org = read::organisation(&mut conn, organisation)
        .await?
        .ok_or_else(|| CliError::Invalid(format!("organisation « {organisation} » introuvable")))?;
    let (existing, header) = match args.plan.as_deref() {
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
            let title = args.title.as_deref().ok_or_else(|| {
                CliError::Invalid(
                    "donnez --title pour un nouveau plan (ou --plan pour en mettre un à jour)"
                        .into(),
                )
            })?;
            let (first_year, last_year) = args
                .period
                .or_else(|| table.marked_period())
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
                    adopted_on: args.adopted_on.or_else(|| table.adopted_on()),
                    objective_term: ObjectiveTerm::Objectif,
                },
            )
        }
    };
    let mut payload = crate::import::read_located(&table, header).map_err(CliError::Invalid)?;
    let changes = match &existing {
        Some(head) => Some(crate::import::changes(
            &read::plan_content(&mut conn, head.clone()).await?,
            &payload.draft,
        )),
        None => None,
    };
    // With JSON on standard output, what is said to a person goes to standard error.
    let say = |text: &str| {
        if args.json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    };
    if args.json {
        let json = crate::import::preview_json(&payload, changes.as_ref());
        println!(
            "{}",
            serde_json::to_string_pretty(&json).map_err(|e| CliError::Invalid(e.to_string()))?
        );
    } else {
        print!(
            "{}",
            crate::import::preview_text(&payload, changes.as_ref())
        );
    }
    if args.dry_run {
        say("Essai à blanc : rien n'a été enregistré.");
        return Ok(());
    }
    if changes.as_ref().is_some_and(|c| !c.removed.is_empty()) && !args.confirm_removals {
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
                args.confirm_removals,
            )
            .await
            {
                Ok(()) => {}
                Err(
                    locked @ (crate::plans::store::SyncError::Locked(_)
                    | crate::plans::store::SyncError::SharedMember),
                ) => {
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
    say(&format!(
        "Plan enregistré : /organisations/{}/plans/{}",
        org.slug, payload.header.slug
    ));
    Ok(())
}
