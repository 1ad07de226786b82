//! A private PostgreSQL cluster that the application owns, in its data directory.
//!
//! It uses the server binaries installed on the machine (Debian's `postgresql` package) and
//! listens only on a Unix socket inside the data directory, so it never competes for a port.
//! PostgreSQL refuses to run as root: when we are root, every command runs as the `postgres`
//! system user (`runuser`), and the cluster's directory belongs to that user.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::postgres::PgConnectOptions;

/// The port only names the socket file: nothing listens on TCP.
const PORT: u16 = 5432;
/// Longest Unix socket path the kernel accepts, less room for `/.s.PGSQL.5432`.
const MAX_SOCKET_DIR: usize = 107 - 14;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL n'est pas installé sur cette machine : aucun `initdb` ni `pg_ctl` trouvé \
         (cherché dans SPASER_PG_BIN, /usr/lib/postgresql/*/bin et le PATH).\n\
         Installez-le avec `apt-get install postgresql` (Debian), ou donnez une base existante \
         avec DATABASE_URL=postgres://utilisateur@hôte/base.\n\
         PostgreSQL is not installed: run `apt-get install postgresql`, or set DATABASE_URL."
    )]
    BinariesNotFound,
    #[error(
        "le dossier de données {0} n'est pas accessible à l'utilisateur système `postgres` \
         (un dossier parent est sans doute fermé, comme /root) : choisissez un autre dossier avec \
         SPASER_DATA_DIR, par exemple /var/lib/spaser.\n\
         The data directory is not reachable by the `postgres` user: set SPASER_DATA_DIR elsewhere."
    )]
    NotReachable(PathBuf),
    #[error(
        "le chemin du dossier de données {0} est trop long pour un socket Unix ; choisissez un \
         chemin plus court avec SPASER_DATA_DIR"
    )]
    PathTooLong(PathBuf),
    #[error(
        "l'utilisateur système `postgres` est introuvable (il est créé par le paquet postgresql)"
    )]
    NoPostgresUser,
    #[error("{action} a échoué : {detail}")]
    Command { action: String, detail: String },
    #[error("accès au dossier {path} : {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where the cluster's files are, and how to reach it.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    pgdata: PathBuf,
    bin_dir: PathBuf,
    run_as_postgres: bool,
    /// False when the cluster was already running: then someone else stops it.
    owned: bool,
}

/// Settings that trade durability for speed, for throwaway test clusters only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
}

impl EmbeddedPostgres {
    /// Creates the cluster under `data_dir/pg` on first use, and starts it unless it is
    /// already running. Blocks for about a second on first use.
    pub fn start(data_dir: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedError::BinariesNotFound)?;
        let run_as_postgres = is_root();
        fs::create_dir_all(data_dir).map_err(|source| EmbeddedError::Io {
            path: data_dir.into(),
            source,
        })?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(|source| EmbeddedError::Io {
                path: data_dir.into(),
                source,
            })?;
        let pgdata = data_dir.join("pg");
        if pgdata.as_os_str().len() > MAX_SOCKET_DIR {
            return Err(EmbeddedError::PathTooLong(pgdata));
        }
        if pgdata.to_string_lossy().contains('\'') {
            return Err(EmbeddedError::Command {
                action: "le choix du dossier de données".into(),
                detail: "le chemin ne doit pas contenir d'apostrophe".into(),
            });
        }
        let mut cluster = Self {
            pgdata,
            bin_dir,
            run_as_postgres,
            owned: true,
        };
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.init(durability)?;
        }
        if cluster.is_running() {
            tracing::info!(pgdata = %cluster.pgdata.display(), "PostgreSQL embarqué déjà démarré : réutilisé");
            cluster.owned = false;
        } else {
            cluster.launch(durability)?;
        }
        Ok(cluster)
    }

    fn init(&self, durability: Durability) -> Result<(), EmbeddedError> {
        fs::create_dir_all(&self.pgdata).map_err(|source| EmbeddedError::Io {
            path: self.pgdata.clone(),
            source,
        })?;
        if self.run_as_postgres {
            let (uid, gid) = postgres_ids().ok_or(EmbeddedError::NoPostgresUser)?;
            std::os::unix::fs::chown(&self.pgdata, Some(uid), Some(gid)).map_err(|source| {
                EmbeddedError::Io {
                    path: self.pgdata.clone(),
                    source,
                }
            })?;
            let reachable = Command::new("runuser")
                .args(["-u", "postgres", "--", "test", "-w"])
                .arg(&self.pgdata)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                return Err(EmbeddedError::NotReachable(self.pgdata.clone()));
            }
        }
        let mut args: Vec<String> = vec![
            "-D".into(),
            self.pgdata.to_string_lossy().into_owned(),
            "-U".into(),
            "postgres".into(),
            "--auth=trust".into(),
            "--encoding=UTF8".into(),
            "--locale=C.UTF-8".into(),
        ];
        if durability == Durability::Throwaway {
            args.push("--no-sync".into());
        }
        tracing::info!(pgdata = %self.pgdata.display(), "création du cluster PostgreSQL embarqué");
        self.run("initdb", &args, "la création du cluster (initdb)")?;
        Ok(())
    }

    fn launch(&self, durability: Durability) -> Result<(), EmbeddedError> {
        let mut options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -p {PORT}",
            self.pgdata.display()
        );
        if durability == Durability::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let args = [
            "-D".to_string(),
            self.pgdata.to_string_lossy().into_owned(),
            "-l".into(),
            self.pgdata
                .join("server.log")
                .to_string_lossy()
                .into_owned(),
            "-o".into(),
            options,
            "-w".into(),
            "-t".into(),
            "60".into(),
            "start".into(),
        ];
        self.run("pg_ctl", &args, "le démarrage de PostgreSQL (pg_ctl start)")?;
        tracing::info!(pgdata = %self.pgdata.display(), "PostgreSQL embarqué démarré");
        Ok(())
    }

    /// Whether a server is running on this cluster's data.
    pub fn is_running(&self) -> bool {
        let args = [
            "-D".to_string(),
            self.pgdata.to_string_lossy().into_owned(),
            "status".into(),
        ];
        self.command("pg_ctl", &args)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Stops the server if this process started it.
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        if !self.owned || !self.is_running() {
            return Ok(());
        }
        let args = [
            "-D".to_string(),
            self.pgdata.to_string_lossy().into_owned(),
            "-m".into(),
            "fast".into(),
            "-w".into(),
            "stop".into(),
        ];
        self.run("pg_ctl", &args, "l'arrêt de PostgreSQL (pg_ctl stop)")?;
        tracing::info!(pgdata = %self.pgdata.display(), "PostgreSQL embarqué arrêté");
        Ok(())
    }

    /// Connection options for one database of the cluster, through its socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.pgdata)
            .port(PORT)
            .username("postgres")
            .database(database)
    }

    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    fn command(&self, program: &str, args: &[String]) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.args(args);
        // Keep the server from inheriting our stdout: a parent reading it would never see EOF.
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    fn run(&self, program: &str, args: &[String], action: &str) -> Result<Output, EmbeddedError> {
        let output = self
            .command(program, args)
            .output()
            .map_err(|e| EmbeddedError::Command {
                action: action.into(),
                detail: e.to_string(),
            })?;
        if output.status.success() {
            Ok(output)
        } else {
            let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
            let log = self.pgdata.join("server.log");
            if let Ok(text) = fs::read_to_string(&log) {
                let tail: Vec<&str> = text.lines().rev().take(5).collect();
                detail.push_str(&format!(
                    "\n(journal {}) {}",
                    log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ));
            }
            Err(EmbeddedError::Command {
                action: action.into(),
                detail,
            })
        }
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    if let Some(dir) = std::env::var_os("SPASER_PG_BIN").map(PathBuf::from) {
        return has_all(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).find(|dir| has_all(dir)))
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of the `postgres` system user, from /etc/passwd.
fn postgres_ids() -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres") && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}
