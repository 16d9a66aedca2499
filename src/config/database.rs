//! `database.url`: which database it points at, decided from its scheme.

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `database.url` names neither SQLite nor PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected sqlite://PATH or postgres://user@host/db")]
pub struct BadDatabaseUrl;

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, BadDatabaseUrl> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(BadDatabaseUrl)
        }
    }
}
