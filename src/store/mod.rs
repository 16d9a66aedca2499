//! Storage through sqlx: SQLite by default, PostgreSQL when several instances share the
//! work. Queries are written once in the SQL both understand and run on an `AnyPool`;
//! only the DDL differs, so each backend has its own migration folder.
//!
//! Writers on SQLite go through a pool of one connection and `BEGIN IMMEDIATE`: requests
//! queue fairly in-process instead of spinning in SQLite's busy handler, and a second
//! process on the same file still waits on the database lock. On PostgreSQL every writer
//! takes the row lock of the year's document counter first, which serialises allocation
//! across daemons without deadlocks.

mod approvals;
mod approver;
mod audit;
mod backup;
mod documents;
mod notes;
mod outbox;
mod sessions;
mod tokens;
mod tx;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::config::BadDatabaseUrl;
use crate::files;

pub use crate::config::Backend;
pub use approvals::NewApprovalToken;
pub use audit::AuditEntry;
pub use backup::BackupError;
pub use documents::Document;
pub use notes::{NewNote, NoteFilter};
pub use outbox::{Delivery, Tally};
pub use sessions::{LinkUse, NewSignIn};
pub use tokens::{NewToken, StoredToken};
pub use tx::WriteTx;
pub use users::{NewUser, User};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot reach the database: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the database file {path} private (mode 0600): {source}")]
    FileMode {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A series has no number left to hand out: a conflict with what is stored, not a bug.
    #[error(transparent)]
    Exhausted(#[from] crate::reference::SeriesExhausted),
    #[error("stored data is not readable ({what}): {detail}")]
    Corrupt { what: &'static str, detail: String },
}

impl StoreError {
    /// The database could not be reached (as opposed to a query that failed on it).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Query(e) => matches!(
                e,
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
            ),
            _ => false,
        }
    }
}

impl From<BadDatabaseUrl> for StoreError {
    fn from(e: BadDatabaseUrl) -> Self {
        Self::BadUrl(e.to_string())
    }
}

/// The database: pools for reading and writing, and which backend they talk to.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects; on SQLite creates the folder and the file and switches the file to WAL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let store = match backend {
            Backend::Sqlite => {
                let url = prepare_sqlite_file(url)?;
                // WAL is a property of the file: set it once, before the pools open.
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
                    .await
                    .map_err(StoreError::Unavailable)?;
                conn.execute("PRAGMA journal_mode = WAL").await?;
                sqlx::Connection::close(conn).await?;
                let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Unavailable)?;
                let pool = |size: u32| {
                    AnyPoolOptions::new()
                        .max_connections(size)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                // Durable at each checkpoint; a power cut may lose the last
                                // transactions but never corrupts the file.
                                conn.execute("PRAGMA synchronous = NORMAL").await?;
                                conn.execute("PRAGMA busy_timeout = 30000").await?;
                                Ok(())
                            })
                        })
                        .connect_with(options.clone())
                };
                Self {
                    read: pool(4).await.map_err(StoreError::Unavailable)?,
                    write: pool(1).await.map_err(StoreError::Unavailable)?,
                    backend,
                }
            }
            Backend::Postgres => {
                // One direct attempt first: an unreachable server fails at once instead
                // of after the pool's acquire timeout.
                let probe = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
                    .await
                    .map_err(StoreError::Unavailable)?;
                sqlx::Connection::close(probe).await?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .map_err(StoreError::Unavailable)?;
                Self {
                    read: pool.clone(),
                    write: pool,
                    backend,
                }
            }
        };
        Ok(store)
    }

    /// Connects to a database that already exists, creating and migrating nothing: `None`
    /// when a SQLite file is not there yet. For looks that must not change anything, such
    /// as `notesd check`.
    pub async fn open_existing(url: &str) -> Result<Option<Self>, StoreError> {
        if Backend::of_url(url)? == Backend::Sqlite && !Path::new(sqlite_path(url)).exists() {
            return Ok(None);
        }
        Self::connect(url).await.map(Some)
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.write).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; used at shutdown so SQLite checkpoints its WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// A transaction that will write. On SQLite it takes the write lock at once, so a
    /// transaction never reads a snapshot that another writer invalidates before commit.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }
}

/// The file path of a `sqlite://PATH?OPTIONS` URL.
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    rest.split_once('?').map_or(rest, |(path, _)| path)
}

/// Creates the folder of a SQLite file (0700) and the file itself (0600), and asks sqlx to
/// open it in create mode. SQLite gives `-wal` and `-shm` the mode of the database file, so
/// the notes never sit in a world-readable file whatever the umask; files left by an
/// earlier version are made private too.
fn prepare_sqlite_file(url: &str) -> Result<String, StoreError> {
    let path = sqlite_path(url);
    let query = url.split_once('?').map_or("", |(_, query)| query);
    if path.is_empty() || path.starts_with(":memory:") {
        return Err(StoreError::BadUrl(
            "an in-memory SQLite database would lose every note at restart; give a file path"
                .to_owned(),
        ));
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        files::create_private_dir(parent).map_err(|source| StoreError::Folder {
            path: parent.display().to_string(),
            source,
        })?;
    }
    make_private(path)?;
    Ok(if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    })
}

/// Creates the database file 0600 if missing, and sets 0600 on it and on its `-wal` and
/// `-shm` where they exist.
fn make_private(path: &str) -> Result<(), StoreError> {
    let failed = |source| StoreError::FileMode {
        path: path.to_owned(),
        source,
    };
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, files::PRIVATE_FILE);
    match create.open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(failed(e)),
    }
    for file in [
        path.to_owned(),
        format!("{path}-wal"),
        format!("{path}-shm"),
    ] {
        if Path::new(&file).exists() {
            files::set_mode(Path::new(&file), files::PRIVATE_FILE).map_err(failed)?;
        }
    }
    Ok(())
}

/// Times are kept as RFC 3339 text, which both backends store and sort alike.
fn parse_time(text: &str) -> Result<jiff::Timestamp, StoreError> {
    text.parse().map_err(|e: jiff::Error| StoreError::Corrupt {
        what: "timestamp",
        detail: format!("`{text}`: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised() {
        assert_eq!(
            Backend::of_url("sqlite://var/notesd.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://postgres@127.0.0.1/x").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://x").is_err());
    }

    #[test]
    fn sqlite_urls_get_their_folder_and_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/a/b/notes.db", dir.path().display());
        assert_eq!(
            prepare_sqlite_file(&url).unwrap(),
            format!("{url}?mode=rwc")
        );
        assert!(dir.path().join("a/b").is_dir());
        assert!(prepare_sqlite_file("sqlite::memory:").is_err());
    }
}
