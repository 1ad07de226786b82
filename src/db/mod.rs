//! Connecting to PostgreSQL: the server `DATABASE_URL` names, or the embedded default.

pub mod embedded;

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use embedded::{Durability, EmbeddedError, EmbeddedPostgres};

/// The database of the embedded cluster that holds the application's data.
pub const EMBEDDED_DATABASE: &str = "spaser";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error("DATABASE_URL illisible : {0}")]
    BadUrl(#[source] sqlx::Error),
    #[error("connexion à PostgreSQL impossible : {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration du schéma impossible : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connected pool, and the embedded cluster behind it when there is one.
pub struct Database {
    pub pool: PgPool,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects to `database_url`, or starts the embedded cluster in `data_dir`; then brings
    /// the schema up to date.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Self, DbError> {
        let (options, embedded) = match database_url {
            Some(url) => (
                PgConnectOptions::from_str(url).map_err(DbError::BadUrl)?,
                None,
            ),
            None => {
                let dir = data_dir.to_path_buf();
                let cluster = tokio::task::spawn_blocking(move || {
                    EmbeddedPostgres::start(&dir, Durability::Durable)
                })
                .await
                .expect("embedded start task")?;
                ensure_database(&cluster.connect_options("postgres"), EMBEDDED_DATABASE).await?;
                (cluster.connect_options(EMBEDDED_DATABASE), Some(cluster))
            }
        };
        let pool = pool_options()
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, embedded })
    }

    /// Closes the pool, then stops the embedded cluster if this process started it.
    pub async fn close(self) -> Result<(), DbError> {
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .expect("embedded stop task")?;
        }
        Ok(())
    }
}

/// How long a connection may have been idle in the pool and still be taken without a check.
pub const CHECK_IDLE_AFTER: std::time::Duration = std::time::Duration::from_millis(100);

/// The pool the application serves with. A request waits at most five seconds for a
/// connection: past that, the database is taken as out of reach and the user gets the French
/// 503 page rather than a hang. The pool recovers by itself once the database is back: sqlx
/// checks every connection as it comes back to the pool, and a connection idle for
/// [`CHECK_IDLE_AFTER`] or longer is checked again before it is used (one round trip). One taken
/// again sooner is not: under load, that round trip was one of every request's three with the
/// database (the statement, the check before, the check after). The price: a connection the
/// server closed within 100 ms of its check on return (a restart under load) is used once
/// unchecked, and that request gets the French 503 page at once instead of waiting for a new
/// connection; each such connection is then dropped by the check on return.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < CHECK_IDLE_AFTER {
                    return Ok(true);
                }
                // A connection the server closed meanwhile fails here and is dropped: the
                // request opens a new one (within the acquire timeout).
                conn.ping().await.map(|()| true)
            })
        })
}

/// Creates `name` on the server unless it exists.
pub async fn ensure_database(admin: &PgConnectOptions, name: &str) -> Result<(), DbError> {
    let mut conn = PgConnection::connect_with(admin)
        .await
        .map_err(DbError::Connect)?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .map_err(DbError::Connect)?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE \"{}\"", name.replace('"', "")))
            .execute(&mut conn)
            .await
            .map_err(DbError::Connect)?;
    }
    conn.close().await.map_err(DbError::Connect)?;
    Ok(())
}
