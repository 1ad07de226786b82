//! `spaser contracts import`: a DECP file of any size (the national consolidated files weigh
//! gigabytes) read record by record, the organisation's contracts kept and written in batches
//! inside one transaction, so that memory holds one batch, never the file.

use std::collections::HashSet;
use std::time::Instant;

use super::CliError;
use crate::contracts;
use crate::db::Database;
use crate::decp::{self, Contract, Found, Reading, Scope, Uids};
use crate::plans::read;

/// The file's form: given, or told by its name (`.csv`), else JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Json,
    Csv,
}

/// What the reading thread found besides the contracts it sent.
#[derive(Default)]
struct Tally {
    bad: Reading,
    other_buyer: usize,
    merged: usize,
    kept: usize,
}

pub(super) struct Options<'a> {
    pub file: &'a std::path::Path,
    pub organisation: &'a str,
    pub partial: bool,
    pub dry_run: bool,
    pub format: Option<FileFormat>,
    pub user: Option<&'a str>,
}

pub(super) async fn import_contracts(db: &Database, o: Options<'_>) -> Result<(), CliError> {
    let started = Instant::now();
    let mut conn = db.pool.acquire().await?;
    let org = read::organisation(&mut conn, o.organisation)
        .await?
        .ok_or_else(|| {
            CliError::Invalid(format!("organisation « {} » introuvable", o.organisation))
        })?;
    let user = match o.user {
        None => None,
        Some(email) => Some(
            sqlx::query_scalar!(
                r#"SELECT u.id AS "id: crate::domain::ids::UserId" FROM app_user u
                     JOIN membership m ON m.user_id = u.id
                    WHERE lower(u.email) = lower($1) AND m.organisation_id = $2
                      AND m.role IN ('admin', 'procurement')"#,
                email,
                org.id.get()
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| {
                CliError::Invalid(format!(
                    "« {email} » n'est ni administrateur ni commande publique de « {} »",
                    o.organisation
                ))
            })?,
        ),
    };
    let sirets: HashSet<String> = contracts::sirets(&mut conn, org.id)
        .await?
        .into_iter()
        .collect();
    if sirets.is_empty() {
        return Err(CliError::Invalid(format!(
            "« {} » n'a déclaré aucun SIRET : ajoutez-les sur la page des contrats, sans quoi tous les contrats seraient écartés",
            o.organisation
        )));
    }
    let format = o.format.unwrap_or_else(|| {
        if o.file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            FileFormat::Csv
        } else {
            FileFormat::Json
        }
    });
    let file = std::fs::File::open(o.file)
        .map_err(|e| CliError::Invalid(format!("lecture de {} : {e}", o.file.display())))?;
    // The reader runs on its own thread and hands over batches of the organisation's contracts
    // (one per uid); two batches at most wait, so a slow database slows the reading down.
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<Contract>>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let mut tally = Tally::default();
        let mut uids = Uids::default();
        let scope = Scope {
            buyers: Some(&sirets),
            max_records: None,
        };
        let mut on = |found: Found| match found {
            Found::Contract { contract, fold } => {
                // A batch leaves when a new contract comes, never between the rows of one.
                if uids.len() >= contracts::BATCH && !uids.has(&contract.buyer, &contract.id) {
                    tally.kept += uids.len();
                    let _ = sender.blocking_send(uids.take());
                }
                uids.add(contract, fold);
            }
            Found::Bad(e) => tally.bad.bad(e),
            Found::OtherBuyer => tally.other_buyer += 1,
        };
        let outcome = match format {
            FileFormat::Json => decp::stream_json(file, scope, &mut on),
            FileFormat::Csv => decp::stream_csv(file, scope, &mut on),
        };
        tally.merged = uids.merged;
        tally.kept += uids.len();
        let _ = sender.blocking_send(uids.take());
        outcome.map(|()| tally)
    });
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    let mut saved = 0;
    while let Some(batch) = batches.recv().await {
        saved += contracts::write_batch(&mut tx, org.id, &batch).await?;
    }
    let tally = reader
        .await
        .map_err(|e| CliError::Invalid(format!("lecture interrompue : {e}")))?
        .map_err(CliError::Invalid)?;
    let bad = &tally.bad;
    println!(
        "{} : {} contrat(s) de l'organisation lus ({} enregistrement(s) en double fusionné(s)), {} d'un autre acheteur écarté(s), {} illisible(s).",
        o.file.display(),
        tally.kept,
        tally.merged,
        tally.other_buyer,
        bad.error_count
    );
    for e in &bad.errors {
        println!("  {e}");
    }
    if bad.error_count > bad.errors.len() {
        println!(
            "  … et {} autre(s) enregistrement(s) illisible(s).",
            bad.error_count - bad.errors.len()
        );
    }
    let outcome = if bad.error_count > 0 && !o.partial {
        tx.rollback().await?;
        Err(CliError::Invalid(format!(
            "{} enregistrement(s) illisible(s) : rien n'a été importé (--partial importe les lisibles).",
            bad.error_count
        )))
    } else if o.dry_run {
        tx.rollback().await?;
        println!(
            "Essai (--dry-run) : {saved} contrat(s) auraient été écrits ; rien n'a été enregistré."
        );
        Ok(())
    } else {
        let recomputed = match user {
            Some(user) => Some(contracts::refresh_linked(&mut tx, org.id, user).await?),
            None => None,
        };
        tx.commit().await?;
        if saved > 1_000 {
            contracts::tidy(&mut conn).await?;
        }
        println!("{saved} contrat(s) importé(s) ou mis à jour.");
        match recomputed {
            Some(n) => println!("{n} valeur(s) d'indicateurs du plan recalculée(s)."),
            None => println!(
                "Indicateurs du plan reliés aux contrats non recalculés : donnez --as EMAIL (administrateur ou commande publique) pour les recalculer, ce qui est inscrit à l'historique à son nom."
            ),
        }
        Ok(())
    };
    println!(
        "Durée : {:.1} s ; mémoire maximale : {} Mo.",
        started.elapsed().as_secs_f64(),
        peak_rss_kb().map_or("?".to_string(), |kb| (kb / 1024).to_string())
    );
    outcome
}

/// The process's peak resident memory (Linux's VmHWM), in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
