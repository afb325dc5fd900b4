//! The trigger: a transactional outbox. A command writes its state change and its outgoing
//! events in one transaction ([`enqueue`]); the [`Relay`] publishes pending rows to the hub
//! and marks them published. At-least-once: a crash between publishing and marking publishes
//! again, and the hub and consumers drop the duplicate by event id. A hub outage only delays.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use tessera_contracts::Envelope;
use tessera_event_hub::EventHub;
use tokio::sync::{Notify, watch};

use crate::store::{Store, Tx};
use crate::now_millis;

const BATCH: i64 = 256;
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Adds events to the outbox inside the caller's transaction.
pub async fn enqueue(tx: &mut Tx, events: &[Envelope]) -> Result<(), sqlx::Error> {
    for event in events {
        sqlx::query("INSERT INTO kit_outbox (id, type, body, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
            .bind(&event.id)
            .bind(event.kind.as_str())
            .bind(String::from_utf8(event.to_bytes()).expect("JSON is UTF-8"))
            .bind(now_millis())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What one relay pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayOutcome {
    Published(usize),
    Empty,
    HubUnavailable(String),
}

/// Publishes the outbox; wake it after committing events so it does not wait for its poll.
#[derive(Debug, Clone)]
pub struct Relay {
    store: Store,
    hub: Arc<dyn EventHub>,
    pub wakeup: Arc<Notify>,
}

impl Relay {
    pub fn new(store: Store, hub: Arc<dyn EventHub>) -> Self {
        Self { store, hub, wakeup: Arc::new(Notify::new()) }
    }

    /// Publishes one batch of pending events.
    pub async fn relay_once(&self) -> Result<RelayOutcome, sqlx::Error> {
        let rows = sqlx::query("SELECT seq, type, id, body FROM kit_outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1")
            .bind(BATCH)
            .fetch_all(&self.store.pool)
            .await?;
        if rows.is_empty() {
            return Ok(RelayOutcome::Empty);
        }
        let mut events = Vec::with_capacity(rows.len());
        let mut last_seq = 0i64;
        for row in &rows {
            last_seq = row.get::<i64, _>(0);
            let body: String = row.get(3);
            match Envelope::from_bytes(body.as_bytes()) {
                Ok(event) => events.push(event),
                Err(error) => tracing::error!(%error, id = row.get::<String, _>(2), "unreadable outbox row skipped"),
            }
        }
        if let Err(error) = self.hub.publish(&events).await {
            return Ok(RelayOutcome::HubUnavailable(error.to_string()));
        }
        sqlx::query("UPDATE kit_outbox SET published_at = $1 WHERE published_at IS NULL AND seq <= $2")
            .bind(now_millis())
            .bind(last_seq)
            .execute(&self.store.pool)
            .await?;
        ::metrics::counter!("events_produced_total").increment(events.len() as u64);
        Ok(RelayOutcome::Published(events.len()))
    }

    /// Events written but not yet published.
    pub async fn pending(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM kit_outbox WHERE published_at IS NULL").fetch_one(&self.store.pool).await
    }

    /// Relays until `shutdown` flips, backing off while idle or while the hub is down.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(50);
        loop {
            let wait = match self.relay_once().await {
                Ok(RelayOutcome::Published(_)) => {
                    backoff = Duration::from_millis(50);
                    continue;
                }
                Ok(RelayOutcome::Empty) => Duration::from_millis(500),
                Ok(RelayOutcome::HubUnavailable(error)) => {
                    tracing::warn!(%error, retry_in = ?backoff, "event hub unavailable; events stay in the outbox");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    backoff
                }
                Err(error) => {
                    tracing::error!(%error, "reading the outbox failed");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    backoff
                }
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                () = self.wakeup.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}
