//! The benchmark's national DECP file: a generated file of a million records (about 1 GB) in
//! the shape of the consolidated JSON (with its `NaN` literals, its duplicates and its
//! modifications), imported by the real `spaser contracts import` while its time and peak memory
//! are measured.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes `records` contracts of 2 000 buyers, one in ten of them `ours`; one in fifty carries a
/// modification, one in a hundred is repeated later with it, one in 100 000 has an absurd
/// amount. Returns the file's size in bytes.
pub fn generate(path: &Path, records: usize, ours: &str) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(b"{\"marches\": {\"marche\": [\n")?;
    for i in 0..records {
        let buyer = if i % 10 == 0 {
            ours.to_string()
        } else {
            format!("2{:08}{:05}", 10_000_000 + i % 2_000, 11)
        };
        // The tenth record after a repeated one is that contract again, modified.
        let (id, modified) = if i % 100 == 10 {
            (format!("B{}", i - 10), true)
        } else {
            (format!("B{i}"), i % 50 == 0)
        };
        let amount = if i % 100_000 == 99_990 {
            "1e17".to_string()
        } else {
            format!("{}.0", 25_000 + (i * 37) % 900_000)
        };
        let social = match i % 4 {
            0 => r#""Clause sociale""#,
            1 => r#""Critère social", "Marché réservé""#,
            _ => r#""Pas de considération sociale""#,
        };
        let env = if i % 3 == 0 {
            r#""Clause environnementale""#
        } else {
            r#""Pas de considération environnementale""#
        };
        let modification = if modified {
            r#"{"modification": {"id": 1, "montant": 99000.0, "dureeMois": 18, "dateNotificationModification": "2025-11-02", "datePublicationDonneesModification": "2025-11-10", "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "38012986600042"}}]}}"#
        } else {
            ""
        };
        write!(
            out,
            r#"{}{{"id": "{id}", "acheteur": {{"id": "{buyer}"}}, "nature": "Marché", "objet": "Marché {i} : travaux d'entretien et de réhabilitation des bâtiments communaux, lot {lot}", "codeCPV": "45000000-7", "procedure": "Appel d'offres ouvert", "techniques": {{"technique": ["Accord-cadre"]}}, "modalitesExecution": {{"modaliteExecution": ["Bons de commande"]}}, "lieuExecution": {{"code": "93048", "typeCode": "Code commune"}}, "dureeMois": "NC", "dateNotification": "2025-{month:02}-{day:02}", "datePublicationDonnees": "", "montant": {amount}, "formePrix": "Unitaire", "typesPrix": {{"typePrix": ["Définitif révisable"]}}, "attributionAvance": false, "tauxAvance": NaN, "offresRecues": NaN, "marcheInnovant": false, "ccag": "Travaux", "sousTraitanceDeclaree": false, "origineUE": NaN, "origineFrance": NaN, "titulaires": [{{"titulaire": {{"typeIdentifiant": "SIRET", "id": "22222222222222"}}}}, {{"titulaire": {{"typeIdentifiant": "SIRET", "id": "40483304800022"}}}}], "considerationsSociales": {{"considerationSociale": [{social}]}}, "considerationsEnvironnementales": {{"considerationEnvironnementale": [{env}]}}, "modifications": [{modification}], "source": "data.gouv.fr_aife"}}"#,
            if i > 0 { ",\n" } else { "" },
            lot = i % 12,
            month = 1 + i % 12,
            day = 1 + i % 28,
        )?;
    }
    out.write_all(b"\n]}}\n")?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// What one run of `spaser contracts import` took.
pub struct Run {
    pub took: Duration,
    /// Its peak resident memory, as it reports it (Linux's VmHWM), in MB.
    pub peak_mb: Option<u64>,
    pub stdout: String,
    pub success: bool,
}

/// Runs the `spaser` binary next to this one on `file` for `organisation`, imported partially
/// (the file holds a few absurd amounts), against the database `url`.
pub fn run_import(
    spaser: &Path,
    url: &str,
    file: &Path,
    organisation: &str,
) -> std::io::Result<Run> {
    let started = Instant::now();
    let output = std::process::Command::new(spaser)
        .args(["contracts", "import"])
        .arg(file)
        .args(["--organisation", organisation, "--partial"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()?;
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let peak_mb = stdout
        .split("mémoire maximale : ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok());
    Ok(Run {
        took,
        peak_mb,
        success: output.status.success(),
        stdout,
    })
}

/// Where the benchmark keeps its generated file: the build's target directory (never the
/// repository), made once and reused while its size is right.
pub fn bench_file(records: usize) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/release/bench → target/
    let target = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    target.join(format!("decp-national-{records}.json"))
}

/// The bench's part: the national file through the command line: 1 000 000 records generated under the target
/// directory, one in ten of the bench organisation's (SIRET 11111111111111, declared above).
pub fn streamed_bench(database_url: Option<&str>, database: &str) {
    const RECORDS: usize = 1_000_000;
    println!();
    println!(
        "DECP: a generated national file of 1 000 000 records, through `spaser contracts import`"
    );
    let file = bench_file(RECORDS);
    let size = match std::fs::metadata(&file) {
        Ok(m) if m.len() > 0 => m.len(),
        _ => generate(&file, RECORDS, "11111111111111").expect("generated file"),
    };
    let spaser = std::env::current_exe().unwrap().with_file_name("spaser");
    let url = match database_url {
        Some(url) => format!(
            "{}/{database}",
            url.split('?')
                .next()
                .unwrap_or(url)
                .rsplit_once('/')
                .map_or(url, |(base, _)| base)
        ),
        None => {
            println!(
                "  skipped: give --database-url (or DATABASE_URL) so that the binary can reach the bench database"
            );
            return;
        }
    };
    if !spaser.exists() {
        println!(
            "  skipped: build the binary first (`cargo build --release`), {} is missing",
            spaser.display()
        );
        return;
    }
    let run = run_import(&spaser, &url, &file, "banc").expect("spaser runs");
    println!("  {}", run.stdout.trim().replace('\n', "\n  "));
    println!(
        "  file of {} MB ({}): imported in {:.1} s, peak memory {} MB (targets: ≤ 120 s, ≤ 300 MB){}",
        size / 1_000_000,
        file.display(),
        run.took.as_secs_f64(),
        run.peak_mb.map_or("?".into(), |m| m.to_string()),
        if run.success {
            ""
        } else {
            " — the import FAILED"
        }
    );
}
