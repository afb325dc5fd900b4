//! The embedded engine: an append-only log in a SQLite file (WAL mode).
//!
//! WAL lets one writer and many readers in several processes share the file. Subscribers in
//! the publishing process are woken at once; subscribers elsewhere poll every few
//! milliseconds while idle, which costs one indexed query per poll.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tessera_contracts::Envelope;
use tokio::sync::Notify;

use crate::{Delivered, EventHub, HubError, Position, Retention, StartFrom, Subscription, now_millis};

/// How often an idle subscriber looks for events appended by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(3);
const BATCH: i64 = 512;

#[derive(Debug, Clone)]
pub struct EmbeddedHub {
    pool: SqlitePool,
    appended: Arc<Notify>,
    retention: Retention,
}

fn unavailable(error: sqlx::Error) -> HubError {
    HubError::Unavailable(error.to_string())
}

impl EmbeddedHub {
    pub async fn open(path: &Path, retention: Retention) -> Result<Self, HubError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| HubError::Unavailable(format!("creating {}: {e}", parent.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(unavailable)?;
        // AUTOINCREMENT: sequence numbers are never reused, even after retention deletes the tail.
        for statement in [
            "CREATE TABLE IF NOT EXISTS events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                appended INTEGER NOT NULL,
                body BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS consumers (name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        ] {
            sqlx::query(statement).execute(&pool).await.map_err(unavailable)?;
        }
        let hub = Self { pool, appended: Arc::new(Notify::new()), retention };
        let pruner = hub.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                if let Err(error) = pruner.enforce_retention().await {
                    tracing::warn!(%error, "event log retention failed");
                }
            }
        });
        Ok(hub)
    }

    async fn append(&self, rows: &[(&str, &str, i64, &[u8])]) -> Result<(), HubError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        for (id, kind, timestamp, body) in rows {
            sqlx::query("INSERT OR IGNORE INTO events (id, type, timestamp, appended, body) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(kind)
                .bind(timestamp)
                .bind(now_millis())
                .bind(body)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        self.appended.notify_waiters();
        Ok(())
    }

    /// The highest position removed by retention (0 when nothing was removed).
    async fn pruned_through(&self) -> Result<Position, HubError> {
        let value: Option<i64> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'pruned_through'").fetch_optional(&self.pool).await.map_err(unavailable)?;
        Ok(value.unwrap_or(0) as Position)
    }
}

#[async_trait]
impl EventHub for EmbeddedHub {
    async fn publish(&self, events: &[Envelope]) -> Result<(), HubError> {
        let bodies: Vec<Vec<u8>> = events.iter().map(Envelope::to_bytes).collect();
        let rows: Vec<_> = events.iter().zip(&bodies).map(|(e, b)| (e.id.as_str(), e.kind.as_str(), e.timestamp, b.as_slice())).collect();
        self.append(&rows).await
    }

    async fn publish_raw(&self, kind: &str, id: &str, body: &[u8]) -> Result<(), HubError> {
        self.append(&[(id, kind, now_millis(), body)]).await
    }

    async fn subscribe(&self, consumer: &str, types: &[String], from: StartFrom) -> Result<Box<dyn Subscription>, HubError> {
        let after = match from {
            StartFrom::Beginning => 0,
            StartFrom::After(position) => position,
            StartFrom::Acknowledged => {
                let value: Option<i64> = sqlx::query_scalar("SELECT position FROM consumers WHERE name = $1")
                    .bind(consumer)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                value.unwrap_or(0) as Position
            }
        };
        let pruned = self.pruned_through().await?;
        if from != StartFrom::Beginning && after < pruned {
            return Err(HubError::Expired { requested: after, first: pruned + 1 });
        }
        Ok(Box::new(EmbeddedSubscription {
            hub: self.clone(),
            consumer: consumer.to_string(),
            types: types.to_vec(),
            after: after.max(if from == StartFrom::Beginning { pruned } else { 0 }),
            buffer: VecDeque::new(),
        }))
    }

    async fn head(&self) -> Result<Position, HubError> {
        let value: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events").fetch_one(&self.pool).await.map_err(unavailable)?;
        Ok(value.unwrap_or(0).max(0) as Position)
    }

    async fn last_position(&self, types: &[String]) -> Result<Position, HubError> {
        if types.is_empty() {
            return self.head().await;
        }
        let placeholders: Vec<String> = (1..=types.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT MAX(seq) FROM events WHERE type IN ({})", placeholders.join(", "));
        let mut query = sqlx::query_scalar::<_, Option<i64>>(&sql);
        for kind in types {
            query = query.bind(kind);
        }
        Ok(query.fetch_one(&self.pool).await.map_err(unavailable)?.unwrap_or(0).max(0) as Position)
    }

    async fn enforce_retention(&self) -> Result<(), HubError> {
        let cutoff_time = now_millis() - self.retention.max_age.as_millis() as i64;
        let head = self.head().await? as i64;
        let cutoff_seq = head - self.retention.max_events as i64;
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        // Age counts from when the hub stored an event, not from the producer's clock.
        let last_removed: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE seq <= $1 OR appended < $2")
            .bind(cutoff_seq)
            .bind(cutoff_time)
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?;
        if let Some(last) = last_removed {
            sqlx::query("DELETE FROM events WHERE seq <= $1").bind(last).execute(&mut *tx).await.map_err(unavailable)?;
            sqlx::query("INSERT INTO meta (key, value) VALUES ('pruned_through', $1) ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)")
                .bind(last)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(())
    }

    async fn health(&self) -> Result<(), HubError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(unavailable)?;
        Ok(())
    }
}

struct EmbeddedSubscription {
    hub: EmbeddedHub,
    consumer: String,
    types: Vec<String>,
    after: Position,
    buffer: VecDeque<Delivered>,
}

impl EmbeddedSubscription {
    async fn fill(&mut self) -> Result<(), HubError> {
        let mut sql = String::from("SELECT seq, type, body FROM events WHERE seq > $1");
        if !self.types.is_empty() {
            let placeholders: Vec<String> = (0..self.types.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&format!(" AND type IN ({})", placeholders.join(", ")));
        }
        sql.push_str(&format!(" ORDER BY seq LIMIT {BATCH}"));
        let mut query = sqlx::query(&sql).bind(self.after as i64);
        for kind in &self.types {
            query = query.bind(kind);
        }
        let rows = query.fetch_all(&self.hub.pool).await.map_err(unavailable)?;
        for row in rows {
            let position = row.get::<i64, _>(0) as Position;
            self.after = position;
            self.buffer.push_back(Delivered { position, kind: row.get(1), body: row.get(2) });
        }
        Ok(())
    }
}

#[async_trait]
impl Subscription for EmbeddedSubscription {
    async fn next(&mut self) -> Result<Delivered, HubError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Ok(event);
            }
            // Register for the in-process wake-up before looking, so no append slips between.
            let appended = self.hub.appended.clone();
            let notified = appended.notified();
            self.fill().await?;
            if self.buffer.is_empty() {
                let _ = tokio::time::timeout(POLL_INTERVAL, notified).await;
            }
        }
    }

    async fn ack(&mut self, position: Position) -> Result<(), HubError> {
        sqlx::query("INSERT INTO consumers (name, position) VALUES ($1, $2) ON CONFLICT(name) DO UPDATE SET position = MAX(position, excluded.position)")
            .bind(&self.consumer)
            .bind(position as i64)
            .execute(&self.hub.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
