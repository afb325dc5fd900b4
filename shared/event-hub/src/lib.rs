//! The event hub: one trait ([`EventHub`]), two engines.
//!
//! - [`embedded::EmbeddedHub`] (the default): a durable log in a SQLite file in WAL mode that
//!   several processes on one machine append to and tail; in-process subscribers wake at once,
//!   other processes within a few milliseconds (polling); retention by age and count.
//! - [`nats::NatsHub`] (`EVENT_HUB_URL=nats://…`): a NATS JetStream stream with durable pull
//!   consumers and acknowledgements, for several machines.
//!
//! Positions are the log's sequence numbers (1, 2, …); position 0 means "before the first".
//! Delivery is at-least-once: consumers dedupe by event id (the BFF kit's listener does).
//! Both engines drop a second publish of the same event id (the embedded log by a unique
//! index, JetStream by `Nats-Msg-Id` within its duplicate window).

pub mod embedded;
pub mod nats;
pub mod testing;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tessera_contracts::Envelope;

/// A position in the log: the sequence number of the last event seen (0 = none).
pub type Position = u64;

/// An event as delivered: its position and raw bytes (a consumer must survive events it
/// cannot parse, so parsing is the consumer's step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub position: Position,
    pub kind: String,
    pub body: Vec<u8>,
}

impl Delivered {
    pub fn envelope(&self) -> Result<Envelope, serde_json::Error> {
        Envelope::from_bytes(&self.body)
    }
}

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// The oldest retained event.
    Beginning,
    /// Just after this position (a checkpoint kept by the consumer).
    After(Position),
    /// After the consumer's last acknowledged position, kept by the hub.
    Acknowledged,
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("the event hub is unavailable: {0}")]
    Unavailable(String),
    #[error("position {requested} is older than the hub keeps (the oldest kept is {first})")]
    Expired { requested: Position, first: Position },
    #[error("invalid request to the event hub: {0}")]
    Invalid(String),
}

/// Retention limits; the oldest events go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_age: Duration,
    pub max_events: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self { max_age: Duration::from_secs(7 * 24 * 3600), max_events: 10_000_000 }
    }
}

#[async_trait]
pub trait EventHub: Send + Sync + Debug {
    /// Appends events in order, all or none.
    async fn publish(&self, events: &[Envelope]) -> Result<(), HubError>;

    /// Appends one event given as bytes (relays of stored events; tests of poison events).
    async fn publish_raw(&self, kind: &str, id: &str, body: &[u8]) -> Result<(), HubError>;

    /// A named, durable subscription to some event types (all types when `types` is empty).
    async fn subscribe(&self, consumer: &str, types: &[String], from: StartFrom) -> Result<Box<dyn Subscription>, HubError>;

    /// The position of the newest event (for lag).
    async fn head(&self) -> Result<Position, HubError>;

    /// The position of the newest event of these types (0 when there is none): a replay is
    /// complete once it has passed it.
    async fn last_position(&self, types: &[String]) -> Result<Position, HubError>;

    /// Applies retention now (engines also apply it on their own).
    async fn enforce_retention(&self) -> Result<(), HubError>;

    /// Checks the hub answers (for `/health`).
    async fn health(&self) -> Result<(), HubError>;
}

#[async_trait]
pub trait Subscription: Send {
    /// The next event, waiting for one to arrive.
    async fn next(&mut self) -> Result<Delivered, HubError>;

    /// Acknowledges everything up to and including `position`.
    async fn ack(&mut self, position: Position) -> Result<(), HubError>;
}

/// Opens the hub a URL names: `nats://…` for JetStream, otherwise a path (or `sqlite://path`)
/// of the embedded log.
pub async fn connect(url: &str, retention: Retention) -> Result<Arc<dyn EventHub>, HubError> {
    if url.starts_with("nats://") || url.starts_with("tls://") {
        Ok(Arc::new(nats::NatsHub::connect(url, retention).await?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(embedded::EmbeddedHub::open(std::path::Path::new(path), retention).await?))
    }
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
