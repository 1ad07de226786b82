//! PostgreSQL for the tools and the tests: a private cluster made the way the embedded default
//! makes its own (`db::embedded`), in a temporary directory, or the server `DATABASE_URL` names;
//! and a migrated database on it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::db::embedded::{Durability, EmbeddedError, EmbeddedPostgres};
use crate::db::{DbError, MIGRATOR, ensure_database};

/// A PostgreSQL cluster of this process, in `$TMPDIR/spaser-{name}-{pid}`.
#[derive(Debug)]
pub struct PrivateCluster {
    dir: PathBuf,
    durability: Durability,
    postgres: EmbeddedPostgres,
}

impl PrivateCluster {
    /// Makes the directory (emptied first) and starts a new cluster in it; blocks about a
    /// second. The directory is readable by the `postgres` user, which runs the cluster when
    /// this process runs as root.
    pub fn start(name: &str, durability: Durability) -> Result<Self, EmbeddedError> {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("spaser-{name}-{}", std::process::id()));
        let io = |source| EmbeddedError::Io {
            path: dir.clone(),
            source,
        };
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(io)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
        let postgres = EmbeddedPostgres::start(&dir, durability)?;
        Ok(Self {
            dir,
            durability,
            postgres,
        })
    }

    /// Connection options for one database of the cluster, through its socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        self.postgres.connect_options(database)
    }

    /// Where the cluster's files and socket are.
    pub fn pgdata(&self) -> &Path {
        self.postgres.pgdata()
    }

    /// Stops PostgreSQL (fast shutdown: sessions cut, open transactions rolled back), keeping
    /// its data.
    pub fn stop_server(&self) -> Result<(), EmbeddedError> {
        self.postgres.stop()
    }

    /// Starts PostgreSQL again on the same data.
    pub fn start_server(&mut self) -> Result<(), EmbeddedError> {
        self.postgres = EmbeddedPostgres::start(&self.dir, self.durability)?;
        Ok(())
    }

    /// Stops PostgreSQL and removes the directory.
    pub fn remove(&self) {
        let _ = self.postgres.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server the tools work on: the one `DATABASE_URL` names, or a private cluster.
#[derive(Debug)]
pub enum PgServer {
    Url(Box<PgConnectOptions>),
    Private(PrivateCluster),
}

impl PgServer {
    /// The server `database_url` names when it is given (and not empty), else a new private
    /// cluster named `name`.
    pub fn open(
        database_url: Option<&str>,
        name: &str,
        durability: Durability,
    ) -> Result<Self, DbError> {
        match database_url.filter(|url| !url.is_empty()) {
            Some(url) => Ok(Self::Url(Box::new(
                PgConnectOptions::from_str(url).map_err(DbError::BadUrl)?,
            ))),
            None => Ok(Self::Private(PrivateCluster::start(name, durability)?)),
        }
    }

    /// Options to reach the server's administration database (`DATABASE_URL`'s own, or the
    /// cluster's `postgres`).
    pub fn admin(&self) -> PgConnectOptions {
        match self {
            Self::Url(options) => options.as_ref().clone(),
            Self::Private(cluster) => cluster.connect_options("postgres"),
        }
    }

    /// Stops and removes a private cluster; leaves a `DATABASE_URL` server alone.
    pub fn remove(&self) {
        if let Self::Private(cluster) = self {
            cluster.remove();
        }
    }
}

/// The database `name` on the server `admin` reaches, created unless it exists, migrated, and
/// a pool to it.
pub async fn migrated_pool(
    admin: &PgConnectOptions,
    name: &str,
    pool: PgPoolOptions,
) -> Result<PgPool, DbError> {
    ensure_database(admin, name).await?;
    let pool = pool
        .connect_with(admin.clone().database(name))
        .await
        .map_err(DbError::Connect)?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
