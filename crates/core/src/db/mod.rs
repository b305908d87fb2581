//! The database: one pool, one set of SQL statements for SQLite and PostgreSQL.
//!
//! Statements use `$1`-style placeholders, which both accept. Columns hold only what sqlx's
//! `Any` driver carries across both backends: `BIGINT` integers (instants are Unix
//! milliseconds, money is kopecks, flags are 0/1), `TEXT` and `BLOB`/`BYTEA`. DDL differs per
//! backend, so each migration is written twice (see [`migrations`]).

mod connect;
pub mod migrations;
mod page;
pub mod values;

use std::time::Duration;

pub use connect::connect;
pub use page::ListPage;
pub use sqlx::any::AnyRow;
pub use sqlx::{Any, FromRow, Row, Transaction};

/// Which engine is behind the pool; only DDL and a few locking statements differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: sqlx::AnyPool,
    backend: Backend,
}

pub type Tx = Transaction<'static, Any>;

impl Db {
    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that reads and then writes fails with "database is locked"
    /// (SQLITE_BUSY_SNAPSHOT) when another writer committed in between, whereas an
    /// immediate one just waits its turn within the busy timeout. Our transactions exist
    /// to write, so nothing is lost by taking the lock first.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Answers whether the database responds, within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let probe = async { sqlx::query("SELECT 1").execute(&self.pool).await.is_ok() };
        tokio::time::timeout(timeout, probe).await.unwrap_or(false)
    }

    /// Applies the platform's migrations and the capabilities' `sets`; several processes
    /// may call it at once (PostgreSQL serialises them with an advisory lock, SQLite with its
    /// write lock).
    pub async fn migrate(
        &self,
        sets: &[&'static [migrations::Step]],
    ) -> Result<(), sqlx::migrate::MigrateError> {
        let mut all = vec![migrations::PLATFORM];
        all.extend_from_slice(sets);
        migrations::migrator(self.backend, &all)
            .run(&self.pool)
            .await
    }

    /// Pool figures for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a search for `text` can find anything. No stored text holds a NUL character
/// (PostgreSQL refuses one in text, so asking it would fail; SQLite would read a pattern only
/// up to it), so a search holding one finds nothing, on both backends, without asking.
pub fn can_match(text: &str) -> bool {
    !text.contains('\0')
}

/// `%text%` for `LIKE $n ESCAPE '\'`, lower-cased, with the input's own `%`, `_` and `\`
/// taken literally. Compare it with a column that was lower-cased in Rust (which folds
/// Cyrillic too; SQLite's `LOWER` does not).
pub fn like_pattern(input: &str) -> String {
    let mut out = String::from("%");
    for c in input.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
