//! The command line: `spaser serve` (default), `spaser migrate`, `spaser demo`.

mod contracts;
mod import;
mod organisation;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::auth;
use crate::db::{Database, DbError};
use crate::demo;
use crate::web::{AppState, router};

use import::import_file;
use user::add_user;

#[derive(Debug, Parser)]
#[command(
    name = "spaser",
    version,
    about = "Pilotage d'un SPASER : plan, cibles, valeurs réalisées et bilan"
)]
pub struct Cli {
    /// PostgreSQL to use; without it, a private cluster is started in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the embedded PostgreSQL keeps its files.
    #[arg(long, env = "SPASER_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Address to listen on (serve).
    #[arg(
        long,
        env = "SPASER_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,
    /// Do not load the demo plans into an empty database (serve). The variable takes 1/0,
    /// true/false, yes/no, on/off.
    #[arg(
        long,
        env = "SPASER_NO_DEMO",
        global = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_demo: bool,
    /// Mark the session cookie Secure on every response (serve behind TLS).
    #[arg(
        long,
        env = "SPASER_SECURE_COOKIES",
        global = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub secure_cookies: bool,
    /// The address people reach the application at, e.g. https://spaser.exemple.fr: activation
    /// links are made with it, never from the request's Host header. Defaults to the listen
    /// address.
    #[arg(long, env = "SPASER_PUBLIC_URL", global = true, value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The reverse proxies in front of the server (addresses, comma-separated): for a request
    /// from one of them, the client's address is read from `X-Forwarded-For` (sign-in limits).
    #[arg(
        long,
        env = "SPASER_TRUSTED_PROXIES",
        global = true,
        value_delimiter = ',',
        num_args = 0..
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The SMTP relay for notices and reminders: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://host:465`. Without it no mail is sent; the notices stay in « À faire ».
    #[arg(long, env = "SPASER_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of those mails (« SPASER <spaser@exemple.fr> »).
    #[arg(long, env = "SPASER_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// Log format: `text` (readable lines) or `json` (one JSON object a line, for log collectors).
    #[arg(long, env = "SPASER_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the application (the default).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Load the demo plans (idempotent), then exit.
    Demo {
        /// Load only the fictitious joint demo instead: a commune, its CCAS and its housing
        /// office sharing one plan.
        #[arg(long)]
        joint: bool,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the instance's organisations (buyers).
    #[command(subcommand)]
    Organisation(OrganisationCommand),
    /// Contracts (DECP).
    #[command(subcommand)]
    Contracts(ContractsCommand),
    /// Import a plan from a spreadsheet (XLSX, ODS, CSV, TSV): prints the preview, then saves it
    /// unless --dry-run.
    Import {
        /// The file.
        file: PathBuf,
        /// The organisation's slug, e.g. office-habitat.
        #[arg(long)]
        organisation: String,
        /// Update this existing plan (its slug) instead of creating one.
        #[arg(long)]
        plan: Option<String>,
        /// The new plan's title.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        first_year: Option<i32>,
        #[arg(long)]
        last_year: Option<i32>,
        /// Print the preview and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Remove from the plan what the file no longer has (and the values entered for it).
        #[arg(long)]
        confirm_removals: bool,
        /// How the preview is printed: text, or json (the whole preview, on standard output).
        #[arg(long, default_value = "text")]
        format: PreviewFormat,
        /// What a column holds, by its header or letter: "Cibles=targets", "C=objective",
        /// "Observations=ignore" (repeat for several). Fields: axis_number, axis,
        /// objective_number, objective, action_number, action, indicator, kind, targets, pilots,
        /// unit, direction, baseline, target:YEAR, ignore.
        #[arg(long = "column", value_parser = parse_column)]
        columns: Vec<(String, String)>,
        /// The sheet holding the plan (by name); by default the one whose header names the most
        /// columns of a plan.
        #[arg(long)]
        sheet: Option<String>,
        /// The new plan's adoption date (YYYY-MM-DD); by default the one the file writes
        /// (« adopté le 16/09/2025 »), if any.
        #[arg(long)]
        adopted_on: Option<chrono::NaiveDate>,
    },
}

/// How `spaser import` prints its preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PreviewFormat {
    Text,
    Json,
}

fn parse_column(spec: &str) -> Result<(String, String), String> {
    crate::import::ReadOptions::parse_column(spec)
}

#[derive(Debug, Subcommand)]
pub enum OrganisationCommand {
    /// Create an organisation; then create its first administrator with `user add`.
    Add {
        /// Its address in the application, e.g. ville-de-montreuil.
        #[arg(long)]
        slug: String,
        /// Its name, e.g. « Ville de Montreuil ».
        #[arg(long)]
        name: String,
        /// A shorter name for lists and breadcrumbs; the name when omitted.
        #[arg(long)]
        short_name: Option<String>,
        /// commune, epci, departement, region, etat, hopital, bailleur or autre.
        #[arg(long)]
        kind: Option<String>,
        /// Its SIREN (nine digits).
        #[arg(long)]
        siren: Option<String>,
    },
    /// List the organisations with their counts of plans and members.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ContractsCommand {
    /// Import a DECP file (the official JSON or the flat CSV), of any size: read record by
    /// record, the organisation's contracts kept (by its SIRETs) and written in batches inside
    /// one transaction. Strict unless --partial: one unreadable record and nothing is written.
    Import {
        /// The file.
        file: PathBuf,
        /// The organisation's slug, e.g. office-habitat.
        #[arg(long)]
        organisation: String,
        /// Import the readable records when some are not.
        #[arg(long)]
        partial: bool,
        /// Read and write, then roll back: nothing is saved.
        #[arg(long)]
        dry_run: bool,
        /// The file's form; by default told by its name (.csv), else JSON.
        #[arg(long, value_enum)]
        format: Option<contracts::FileFormat>,
        /// Recompute the plan indicators linked to the contracts in this person's name (an
        /// administrator or procurement member of the organisation).
        #[arg(long = "as", value_name = "EMAIL")]
        user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account in an organisation. The password is prompted for, or read from the
    /// first line of standard input when it is not a terminal; never from the command line.
    Add {
        #[arg(long)]
        email: String,
        /// admin, commande-publique, pilote or comite.
        #[arg(long)]
        role: String,
        /// The organisation's short name in addresses (its slug), e.g. office-habitat.
        #[arg(long)]
        organisation: String,
        /// The person's name; the e-mail when omitted.
        #[arg(long)]
        name: Option<String>,
        /// A service the pilot steers (repeat for several).
        #[arg(long = "service")]
        services: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("chargement de la démonstration : {0}")]
    Demo(#[from] demo::DemoError),
    #[error("base de données : {0}")]
    Sql(#[from] sqlx::Error),
    #[error("écoute sur {addr} impossible : {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serveur : {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("spaser : démarrage impossible : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spaser : {}", crate::web::error::cause_chain(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(mut cli: Cli) -> Result<(), CliError> {
    let command = cli.command.take().unwrap_or(Command::Serve);
    let db = Database::open(cli.database_url.as_deref(), &cli.data_dir).await?;
    let result = match command {
        Command::Migrate => {
            println!("Schéma à jour.");
            Ok(())
        }
        Command::Demo { joint } => load_demo(&db, joint).await,
        Command::Import {
            file,
            organisation,
            plan,
            title,
            first_year,
            last_year,
            dry_run,
            confirm_removals,
            format,
            columns,
            sheet,
            adopted_on,
        } => {
            import_file(
                &db,
                import::ImportArgs {
                    file,
                    organisation,
                    plan,
                    title,
                    period: first_year.zip(last_year),
                    dry_run,
                    confirm_removals,
                    json: format == PreviewFormat::Json,
                    options: crate::import::ReadOptions { sheet, columns },
                    adopted_on,
                },
            )
            .await
        }
        Command::User(UserCommand::Add {
            email,
            role,
            organisation,
            name,
            services,
        }) => {
            add_user(
                &db,
                &email,
                &role,
                &organisation,
                name.as_deref(),
                &services,
            )
            .await
        }
        Command::Organisation(OrganisationCommand::Add {
            slug,
            name,
            short_name,
            kind,
            siren,
        }) => {
            organisation::add(
                &db,
                &slug,
                &name,
                short_name.as_deref(),
                kind.as_deref(),
                siren.as_deref(),
            )
            .await
        }
        Command::Organisation(OrganisationCommand::List) => organisation::list(&db).await,
        Command::Contracts(ContractsCommand::Import {
            file,
            organisation,
            partial,
            dry_run,
            format,
            user,
        }) => {
            contracts::import_contracts(
                &db,
                contracts::Options {
                    file: &file,
                    organisation: &organisation,
                    partial,
                    dry_run,
                    format,
                    user: user.as_deref(),
                },
            )
            .await
        }
        Command::Serve => serve(&db, &cli).await,
    };
    // The embedded cluster is stopped whatever happened above.
    let closed = db.close().await;
    result?;
    closed?;
    Ok(())
}

async fn load_demo(db: &Database, joint: bool) -> Result<(), CliError> {
    let mut conn = db.pool.acquire().await?;
    let report = if joint {
        demo::load_joint(&mut conn).await?
    } else {
        demo::load(&mut conn).await?
    };
    for name in &report.loaded {
        println!("Chargé : {name}");
    }
    for name in &report.already_there {
        println!("Déjà présent : {name}");
    }
    Ok(())
}

/// An absolute `http` or `https` address with no query, kept without its final `/`.
fn parse_public_url(value: &str) -> Result<String, String> {
    let wrong = || {
        format!(
            "adresse publique invalide « {value} » : attendu par exemple https://spaser.exemple.fr"
        )
    };
    let uri: axum::http::Uri = value.trim().parse().map_err(|_| wrong())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    if !scheme_ok || uri.host().is_none_or(str::is_empty) || uri.query().is_some() {
        return Err(wrong());
    }
    Ok(value.trim().trim_end_matches('/').to_string())
}

async fn serve(db: &Database, cli: &Cli) -> Result<(), CliError> {
    let addr = cli.addr;
    if !cli.no_demo {
        let mut conn = db.pool.acquire().await?;
        if demo::is_empty(&mut conn).await? {
            drop(conn);
            tracing::info!("base vide : chargement des plans de démonstration");
            load_demo(db, false).await?;
        }
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| CliError::Listen { addr, source })?;
    let addr = listener.local_addr().map_err(CliError::Serve)?;
    let public_url = cli.public_url.clone().unwrap_or_else(|| {
        tracing::warn!("SPASER_PUBLIC_URL absent : les liens d'activation donneront http://{addr}");
        format!("http://{addr}")
    });
    // A fresh instance without the demo: the first person sets it up in the browser, through a
    // one-time address (a new one at each start while nobody has; the former one dies).
    if cli.no_demo {
        let mut conn = db.pool.acquire().await?;
        if let Some(token) = crate::auth::create_setup_token(&mut conn).await? {
            println!("Première installation : ouvrez {public_url}/installation/{token}");
        }
    }
    // Last of what the server prints at start: tests and supervisors wait for this line.
    println!("spaser écoute sur http://{addr}/");
    let mailer = match &cli.smtp_url {
        Some(url) => crate::mail::Mailer::smtp(url, cli.mail_from.as_deref())
            .map_err(|e| CliError::Invalid(e.to_string()))?,
        None => {
            tracing::info!("SPASER_SMTP_URL absent : aucun courriel ne sera envoyé");
            crate::mail::Mailer::default()
        }
    };
    purge_on_schedule(db.pool.clone(), mailer.clone(), public_url.clone());
    let app = router(AppState {
        secure_cookies: cli.secure_cookies,
        mailer,
        public_url,
        trusted_proxies: std::sync::Arc::new(cli.trusted_proxies.clone()),
        ..AppState::new(db.pool.clone())
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(CliError::Serve)?;
    tracing::info!("arrêt demandé : serveur arrêté");
    Ok(())
}

/// Purges what has expired (sessions, sign-in counts, activation links, import previews) and
/// sends the reminders due, now and every ten minutes, in the background, for as long as the
/// server runs.
fn purge_on_schedule(pool: sqlx::PgPool, mailer: crate::mail::Mailer, public_url: String) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let today = chrono::Utc::now().date_naive();
            match crate::mail::send_due_reminders(&pool, &mailer, today, &public_url).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(courriels = n, "relances envoyées"),
                Err(e) => tracing::warn!(error = %e, "relances impossibles"),
            }
            let purged = match pool.acquire().await {
                Ok(mut conn) => auth::purge_expired(&mut conn).await,
                Err(e) => Err(e),
            };
            match purged {
                Ok(p) => tracing::info!(
                    sessions = p.sessions,
                    sign_in_counts = p.throttles,
                    activations = p.activations,
                    import_drafts = p.drafts,
                    "purge des données expirées"
                ),
                Err(e) => tracing::warn!(error = %e, "purge des données expirées impossible"),
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
