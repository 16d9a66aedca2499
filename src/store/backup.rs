//! `notesd backup OUT`: a consistent copy of a live SQLite database. `VACUUM INTO` reads
//! one snapshot while the daemon goes on writing, and writes a compact, self-contained file
//! (no WAL beside it) that a new daemon opens as it is. PostgreSQL has its own tool.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{Backend, Store};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; a backup never overwrites a file, give a new name")]
    Exists(String),
    #[error(
        "the database is PostgreSQL: back it up with pg_dump (e.g. `pg_dump -Fc -f notesd.dump DBNAME`)"
    )]
    Postgres,
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("copying the database into {path} failed: {source}")]
    Copy {
        path: String,
        #[source]
        source: sqlx::Error,
    },
}

impl Store {
    /// Copies the database into `out`, a new file readable by its owner only.
    pub async fn backup(&self, out: &Path) -> Result<(), BackupError> {
        if self.backend == Backend::Postgres {
            return Err(BackupError::Postgres);
        }
        let path = out.display().to_string();
        // Created empty with mode 0600 and never over an existing file: VACUUM INTO fills
        // an empty file, and the notes are never readable by others, not even for a moment.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(out)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => BackupError::Exists(path.clone()),
                _ => BackupError::Create {
                    path: path.clone(),
                    source,
                },
            })?;
        let copied = sqlx::query("VACUUM INTO ?")
            .bind(path.clone())
            .execute(&self.read)
            .await;
        if let Err(source) = copied {
            // Half a copy must not pass for a backup.
            let _ = std::fs::remove_file(out);
            return Err(BackupError::Copy { path, source });
        }
        Ok(())
    }
}
