//! The view store: one database per BFF through sqlx's `Any` driver — a SQLite file by
//! default, PostgreSQL when the URL says `postgres://`. Application SQL is written once in the
//! common dialect (`$1` placeholders, `BIGINT`, `TEXT`, `ON CONFLICT`); the kit's own tables
//! are created here per dialect.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, ConnectOptions};

/// A transaction on the view store.
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// A random id made when the store was created: it names this view store's durable
    /// subscriptions, so two BFF instances with their own stores never share one.
    pub id: String,
}

impl Store {
    /// Connects, creating a SQLite file (in WAL mode) when needed, and creates the kit's tables.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres://") || url.starts_with("postgresql://") { Dialect::Postgres } else { Dialect::Sqlite };
        let url = match dialect {
            Dialect::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let sqlite_path = (dialect == Dialect::Sqlite).then(|| url.strip_prefix("sqlite://").and_then(|p| p.split('?').next())).flatten();
        if let Some(parent) = sqlite_path.and_then(|path| std::path::Path::new(path).parent()).filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let options = AnyConnectOptions::from_str(&url).context("parsing DATABASE_URL")?.disable_statement_logging();
        let max = if dialect == Dialect::Sqlite { 4 } else { 10 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL: readers never wait for the writer; a busy timeout instead of errors.
                        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("connecting to the view store")?;
        let mut store = Self { pool, dialect, id: String::new() };
        store.create_kit_tables().await?;
        sqlx::query("INSERT INTO kit_meta (key, value) VALUES ('store_id', $1) ON CONFLICT (key) DO NOTHING")
            .bind(format!("{:016x}", rand::random::<u64>()))
            .execute(&store.pool)
            .await?;
        store.id = sqlx::query_scalar("SELECT value FROM kit_meta WHERE key = 'store_id'").fetch_one(&store.pool).await?;
        Ok(store)
    }

    /// Runs a BFF's migrations (written in the common dialect).
    pub async fn migrate(&self, migrator: &Migrator) -> anyhow::Result<()> {
        migrator.run(&self.pool).await.context("running migrations")
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front (`IMMEDIATE`):
    /// a deferred transaction that reads and then writes fails at once with "database is
    /// locked" when another writer committed in between, instead of waiting its turn.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.pool.begin().await,
        }
    }

    /// Begins a read-only transaction that sees one state of the store: a query made of
    /// several statements (a card and its items, an order and its timeline) must not show
    /// half of a view change the listener commits meanwhile. SQLite in WAL mode keeps the
    /// snapshot of a transaction's first read; PostgreSQL needs `REPEATABLE READ` for that
    /// (`READ COMMITTED` takes a new snapshot per statement).
    pub async fn snapshot(&self) -> Result<Tx, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await,
            Dialect::Postgres => self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await,
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop)
    }

    async fn create_kit_tables(&self) -> anyhow::Result<()> {
        let serial = match self.dialect {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        let statements = [
            "CREATE TABLE IF NOT EXISTS kit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)".to_string(),
            // The transactional outbox: rows commit with the state change; the relay publishes.
            format!(
                "CREATE TABLE IF NOT EXISTS kit_outbox (seq {serial}, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, \
                 body TEXT NOT NULL, created_at BIGINT NOT NULL, published_at BIGINT)"
            ),
            "CREATE INDEX IF NOT EXISTS kit_outbox_pending ON kit_outbox (published_at, seq)".to_string(),
            // Listener bookkeeping, committed with each view change.
            "CREATE TABLE IF NOT EXISTS kit_processed (consumer TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (consumer, event_id))".to_string(),
            "CREATE TABLE IF NOT EXISTS kit_checkpoints (consumer TEXT PRIMARY KEY, position BIGINT NOT NULL)".to_string(),
            "CREATE TABLE IF NOT EXISTS kit_versions (consumer TEXT NOT NULL, entity TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (consumer, entity))".to_string(),
            // Idempotency keys of commands and the first response given.
            "CREATE TABLE IF NOT EXISTS kit_idempotency (key TEXT PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL)".to_string(),
        ];
        for statement in statements {
            sqlx::query(&statement).execute(&self.pool).await.with_context(|| format!("creating kit tables: {statement}"))?;
        }
        Ok(())
    }
}
