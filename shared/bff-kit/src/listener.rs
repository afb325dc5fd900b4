//! The listener: consumes named event types into the view store.
//!
//! Every event is applied in one transaction together with its bookkeeping:
//! - **idempotent**: the event id is recorded per consumer; a duplicate changes nothing;
//! - **order-tolerant**: handlers guard entity updates with [`apply_if_newer`] (the seeds'
//!   "inverse oplock": an older version never overwrites a newer one);
//! - **checkpointed**: the position commits with the view change, so a crash at any point
//!   resumes exactly after the last applied event;
//! - **poison-proof**: when a handler fails (or the event cannot be parsed) its changes roll
//!   back, a `fault` event goes to the outbox in the same transaction, and the stream moves on.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use tessera_contracts::Envelope;
use tessera_event_hub::{Delivered, EventHub, HubError, Position, StartFrom, Subscription};
use tokio::sync::{Notify, watch};

use crate::now_millis;
use crate::outbox;
use crate::store::{Store, Tx};

/// Acknowledge the hub after this many applied events (JetStream allows 1,000 in flight)…
const ACK_EVERY: u32 = 100;
/// …or when no event arrived for this long.
const ACK_PAUSE: Duration = Duration::from_millis(50);

/// A BFF's event handler: which events, and how each changes the view.
#[async_trait]
pub trait Handler: Send + Sync + std::fmt::Debug {
    /// The consumer name (unique per BFF and handler).
    fn name(&self) -> &str;
    /// The event types to receive.
    fn types(&self) -> Vec<String>;
    /// Applies one event inside `tx`; an error turns the event into a `fault`.
    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()>;
    /// Empties the view before a replay from the beginning.
    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()>;
}

/// What happened to one delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Applied,
    Duplicate,
    Faulted,
    /// Before the replay's start time.
    Skipped,
}

/// Records `version` for `entity` and answers whether it is newer than what the view has;
/// handlers apply an update only when it is.
pub async fn apply_if_newer(tx: &mut Tx, consumer: &str, entity: &str, version: i64) -> Result<bool, sqlx::Error> {
    let current: Option<i64> = sqlx::query_scalar("SELECT version FROM kit_versions WHERE consumer = $1 AND entity = $2")
        .bind(consumer)
        .bind(entity)
        .fetch_optional(&mut **tx)
        .await?;
    if current.is_some_and(|v| v >= version) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO kit_versions (consumer, entity, version) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, entity) DO UPDATE SET version = excluded.version",
    )
    .bind(consumer)
    .bind(entity)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

#[derive(Debug, Clone)]
pub struct Listener {
    store: Store,
    hub: Arc<dyn EventHub>,
    handler: Arc<dyn Handler>,
    relay_wakeup: Arc<Notify>,
    /// Events older than this (epoch ms) are skipped: a replay "from a time".
    skip_before: i64,
}

impl Listener {
    pub fn new(store: Store, hub: Arc<dyn EventHub>, handler: Arc<dyn Handler>, relay_wakeup: Arc<Notify>) -> Self {
        Self { store, hub, handler, relay_wakeup, skip_before: i64::MIN }
    }

    pub fn name(&self) -> &str {
        self.handler.name()
    }

    /// The hub subscription: per handler and view store (a durable NATS consumer shared by two
    /// stores would split the stream between them).
    fn subscription_name(&self) -> String {
        format!("{}-{}", self.handler.name(), self.store.id)
    }

    /// The committed position.
    pub async fn checkpoint(&self) -> Result<Position, sqlx::Error> {
        let position: Option<i64> = sqlx::query_scalar("SELECT position FROM kit_checkpoints WHERE consumer = $1")
            .bind(self.handler.name())
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(position.unwrap_or(0) as Position)
    }

    /// Applies one delivered event with its bookkeeping in one transaction.
    pub async fn apply(&self, delivered: &Delivered) -> anyhow::Result<Applied> {
        let consumer = self.handler.name();
        let mut tx = self.store.begin().await?;
        let outcome = match delivered.envelope() {
            Err(error) => {
                // Unparseable: the fault carries what can be said about it.
                let raw = Envelope::new(
                    tessera_contracts::EventType::parse("unreadable-event").expect("valid type"),
                    consumer,
                    "unreadable",
                    &delivered.position.to_string(),
                    now_millis(),
                    serde_json::Value::String(String::from_utf8_lossy(&delivered.body).into_owned()),
                );
                self.fault(&mut tx, &raw, &format!("unreadable event: {error}")).await?;
                Applied::Faulted
            }
            Ok(event) if event.timestamp < self.skip_before => Applied::Skipped,
            Ok(event) => {
                let fresh = sqlx::query("INSERT INTO kit_processed (consumer, event_id) VALUES ($1, $2) ON CONFLICT (consumer, event_id) DO NOTHING")
                    .bind(consumer)
                    .bind(&event.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !fresh {
                    Applied::Duplicate
                } else {
                    // A savepoint: the handler's changes roll back alone when it fails.
                    sqlx::query("SAVEPOINT kit_handler").execute(&mut *tx).await?;
                    match self.handler.handle(&mut tx, &event).await {
                        Ok(()) => {
                            sqlx::query("RELEASE SAVEPOINT kit_handler").execute(&mut *tx).await?;
                            Applied::Applied
                        }
                        Err(error) => {
                            sqlx::query("ROLLBACK TO SAVEPOINT kit_handler").execute(&mut *tx).await?;
                            self.fault(&mut tx, &event, &format!("{error:#}")).await?;
                            Applied::Faulted
                        }
                    }
                }
            }
        };
        sqlx::query(
            "INSERT INTO kit_checkpoints (consumer, position) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
        )
        .bind(consumer)
        .bind(delivered.position as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let label = match outcome {
            Applied::Applied => "applied",
            Applied::Duplicate => "duplicate",
            Applied::Faulted => "faulted",
            Applied::Skipped => "skipped",
        };
        ::metrics::counter!("events_consumed_total", "consumer" => consumer.to_string(), "outcome" => label).increment(1);
        if outcome == Applied::Faulted {
            self.relay_wakeup.notify_one();
        }
        Ok(outcome)
    }

    async fn fault(&self, tx: &mut Tx, event: &Envelope, error: &str) -> Result<(), sqlx::Error> {
        tracing::warn!(consumer = self.handler.name(), event = %event.id, kind = %event.kind, %error, "event faulted");
        outbox::enqueue(tx, &[Envelope::fault(self.handler.name(), event, error, now_millis())]).await
    }

    /// Consumes until `shutdown` flips; reconnects with backoff while the hub is down.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let result = tokio::select! {
                _ = shutdown.changed() => return,
                result = self.consume() => result,
            };
            match result {
                Err(ListenError::Hub(HubError::Expired { requested, first })) => {
                    tracing::error!(consumer = self.name(), requested, first, "checkpoint older than the hub keeps; rebuilding the view from the oldest event");
                    if let Err(error) = self.reset_to(0).await {
                        tracing::error!(%error, "resetting the view failed");
                    }
                }
                Err(error) => {
                    tracing::warn!(consumer = self.name(), %error, retry_in = ?backoff, "listener interrupted");
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Ok(()) => backoff = Duration::from_millis(100),
            }
        }
    }

    async fn consume(&self) -> Result<(), ListenError> {
        let after = self.checkpoint().await?;
        let mut subscription = self.hub.subscribe(&self.subscription_name(), &self.handler.types(), StartFrom::After(after)).await?;
        // The checkpoint in the view store is what a restart resumes from, so acknowledging the
        // hub (and reading its head for the lag gauge) can wait for a batch or a pause in the
        // stream: doing it per event tripled the writes per event. The first event flushes at
        // once so the lag is known early.
        let mut unacked: Option<Position> = None;
        let mut since_flush = ACK_EVERY - 1;
        loop {
            let delivered = match unacked {
                Some(position) => match tokio::time::timeout(ACK_PAUSE, subscription.next()).await {
                    Ok(next) => next?,
                    Err(_) => {
                        self.flush(subscription.as_mut(), position).await?;
                        unacked = None;
                        since_flush = 0;
                        continue;
                    }
                },
                None => subscription.next().await?,
            };
            self.apply(&delivered).await.map_err(ListenError::Apply)?;
            unacked = Some(delivered.position);
            since_flush += 1;
            if since_flush >= ACK_EVERY {
                self.flush(subscription.as_mut(), delivered.position).await?;
                unacked = None;
                since_flush = 0;
            }
        }
    }

    /// Acknowledges through `position` and updates the lag gauge.
    async fn flush(&self, subscription: &mut dyn Subscription, position: Position) -> Result<(), HubError> {
        subscription.ack(position).await?;
        if let Ok(head) = self.hub.head().await {
            ::metrics::gauge!("events_consumer_lag", "consumer" => self.name().to_string()).set(head.saturating_sub(position) as f64);
        }
        Ok(())
    }

    /// Empties the view and the consumer's bookkeeping and sets the checkpoint.
    async fn reset_to(&self, position: Position) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        self.handler.reset(&mut tx).await?;
        for table in ["kit_processed", "kit_versions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE consumer = $1")).bind(self.name()).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM kit_checkpoints WHERE consumer = $1").bind(self.name()).execute(&mut *tx).await?;
        if position > 0 {
            sqlx::query("INSERT INTO kit_checkpoints (consumer, position) VALUES ($1, $2)").bind(self.name()).bind(position as i64).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rebuilds the view from the log and returns how many events were applied: the view and
    /// the consumer's bookkeeping are emptied, then every event is applied again — all of them
    /// (`since` = `None`), or those stamped at or after `since` (epoch ms). Returns once the
    /// consumer has caught up with the hub's head.
    pub async fn replay(&self, since: Option<i64>) -> anyhow::Result<u64> {
        let mut this = self.clone();
        this.skip_before = since.unwrap_or(i64::MIN);
        self.reset_to(0).await?;
        let last = self.hub.last_position(&self.handler.types()).await?;
        let mut subscription = self.hub.subscribe(&format!("{}-replay", self.subscription_name()), &self.handler.types(), StartFrom::Beginning).await?;
        let mut applied = 0;
        let mut position = 0;
        while position < last {
            let delivered = subscription.next().await?;
            position = delivered.position;
            if this.apply(&delivered).await? == Applied::Applied {
                applied += 1;
            }
            // Unacknowledged deliveries count against the engine's in-flight limit (JetStream
            // stops delivering at 1,000 by default).
            subscription.ack(position).await?;
        }
        Ok(applied)
    }

    /// Summary of the consumer's state, for tests and operators.
    pub async fn processed_count(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT COUNT(*) FROM kit_processed WHERE consumer = $1").bind(self.name()).fetch_one(&self.store.pool).await?;
        Ok(row.get(0))
    }
}

#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error("applying an event failed: {0:#}")]
    Apply(anyhow::Error),
}
