//! The gateway's shared state: one tail of the event hub feeding a window of recent events
//! (for resuming sockets) and a broadcast channel (for live ones).
//!
//! Appending to the window and broadcasting happen under one lock, and a socket takes its
//! resume snapshot and its broadcast receiver under the same lock: nothing falls between the
//! two, and nothing arrives twice.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Deserialize;
use tessera_event_hub::{Delivered, EventHub, HubError, Position, StartFrom};
use tokio::sync::{broadcast, watch};

use super::policy::Owners;

/// An event ready to fan out: its message rendered once, shared by every socket.
#[derive(Debug)]
pub struct LiveEvent {
    pub position: Position,
    pub kind: String,
    pub tags: BTreeMap<String, String>,
    /// `{"type":"event","position":…,"event":…}`.
    pub message: Arc<str>,
}

/// What the gateway broadcasts.
#[derive(Debug, Clone)]
pub enum Broadcast {
    Event(Arc<LiveEvent>),
    Composition(String),
}

#[derive(Debug, Default)]
struct Window {
    events: VecDeque<Arc<LiveEvent>>,
    /// The window holds every event after this position.
    complete_after: Position,
    /// The last position processed.
    head: Position,
}

/// Where a new socket starts.
#[derive(Debug)]
pub enum Start {
    /// Everything after `position` follows; `missed` are the window's events after it.
    Resume { position: Position, missed: Vec<Arc<LiveEvent>> },
    /// The requested position is older than the window: the client must refetch.
    Reset { position: Position },
}

#[derive(Debug)]
pub struct Gateway {
    window: Mutex<Window>,
    capacity: usize,
    sender: broadcast::Sender<Broadcast>,
    owners: RwLock<Owners>,
    shutdown: watch::Sender<bool>,
}

/// The fields of an envelope the gateway reads.
#[derive(Debug, Deserialize)]
struct Head {
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    restaurant: Option<RestaurantOwner>,
}

#[derive(Debug, Deserialize)]
struct RestaurantOwner {
    id: String,
    owner: String,
}

const RESTAURANT_UPDATED: &str = "restaurant-updated";

impl Gateway {
    /// `capacity` recent events are kept for resuming; a socket further behind than the
    /// broadcast buffer is disconnected (and resumes).
    pub fn new(capacity: usize) -> Arc<Self> {
        let (sender, _) = broadcast::channel(capacity.clamp(16, 4096));
        let (shutdown, _) = watch::channel(false);
        Arc::new(Self { window: Mutex::new(Window::default()), capacity: capacity.max(1), sender, owners: RwLock::new(Owners::new()), shutdown })
    }

    pub fn owners(&self) -> std::sync::RwLockReadGuard<'_, Owners> {
        self.owners.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes a socket that has processed everything through `after` (`None`: from now).
    pub fn join(&self, after: Option<Position>) -> (Start, broadcast::Receiver<Broadcast>) {
        let window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let receiver = self.sender.subscribe();
        let start = match after {
            None => Start::Resume { position: window.head, missed: Vec::new() },
            // A client ahead of the gateway (its hub was reset, or it talks to another hub).
            Some(after) if after > window.head => Start::Reset { position: window.head },
            Some(after) if after >= window.complete_after => {
                Start::Resume { position: after, missed: window.events.iter().filter(|e| e.position > after).cloned().collect() }
            }
            Some(_) => Start::Reset { position: window.head },
        };
        (start, receiver)
    }

    /// The last position the gateway processed.
    pub fn head(&self) -> Position {
        self.window.lock().unwrap_or_else(|e| e.into_inner()).head
    }

    pub fn composition_changed(&self, version: &str) {
        let _ = self.sender.send(Broadcast::Composition(version.to_string()));
    }

    /// Resolves when the host is shutting down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn shut_down(&self) {
        let _ = self.shutdown.send(true);
    }

    fn accept(&self, delivered: &Delivered) {
        let head: Option<Head> = serde_json::from_slice(&delivered.body).ok();
        let Ok(body) = std::str::from_utf8(&delivered.body) else { return self.skip(delivered.position) };
        let Some(head) = head else {
            tracing::warn!(position = delivered.position, "live gateway skipped an event it cannot read");
            return self.skip(delivered.position);
        };
        if delivered.kind == RESTAURANT_UPDATED
            && let Some(restaurant) = &head.restaurant
        {
            self.owners.write().unwrap_or_else(|e| e.into_inner()).insert(restaurant.id.clone(), restaurant.owner.clone());
        }
        let event = Arc::new(LiveEvent {
            position: delivered.position,
            kind: delivered.kind.clone(),
            tags: head.tags,
            message: format!(r#"{{"type":"event","position":{},"event":{body}}}"#, delivered.position).into(),
        });
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if event.position <= window.head {
            return; // redelivered after a resubscribe
        }
        window.head = event.position;
        window.events.push_back(event.clone());
        while window.events.len() > self.capacity {
            if let Some(dropped) = window.events.pop_front() {
                window.complete_after = dropped.position;
            }
        }
        let _ = self.sender.send(Broadcast::Event(event));
    }

    /// Moves past an event nobody will be sent.
    fn skip(&self, position: Position) {
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        window.head = window.head.max(position);
    }

    /// Tails the hub for the life of the host: first the owners of restaurants (from the
    /// beginning), then the last `capacity` events into the window, then live.
    pub async fn run(self: Arc<Self>, hub: Arc<dyn EventHub>) {
        let consumer = format!("live-gateway-{:016x}", rand::random::<u64>());
        if let Err(error) = self.learn_owners(&*hub, &consumer).await {
            tracing::warn!(%error, "live gateway could not read restaurant owners yet; it learns them as they change");
        }
        let mut shutdown = self.shutdown_signal();
        let mut first = true;
        loop {
            let from = if first {
                match hub.head().await {
                    Ok(head) => {
                        let after = head.saturating_sub(self.capacity as Position);
                        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
                        window.complete_after = after;
                        window.head = after;
                        after
                    }
                    Err(error) => {
                        tracing::warn!(%error, "live gateway waits for the event hub");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            } else {
                self.head()
            };
            let mut subscription = match hub.subscribe(&consumer, &[], StartFrom::After(from)).await {
                Ok(subscription) => subscription,
                Err(HubError::Expired { first: oldest, .. }) if first => {
                    let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
                    window.complete_after = oldest.saturating_sub(1);
                    window.head = oldest.saturating_sub(1);
                    drop(window);
                    first = false;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, "live gateway cannot subscribe to the event hub; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            first = false;
            loop {
                tokio::select! {
                    next = subscription.next() => match next {
                        Ok(delivered) => self.accept(&delivered),
                        Err(error) => {
                            tracing::warn!(%error, "live gateway lost the event hub; resubscribing");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            break;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
        }
    }

    async fn learn_owners(&self, hub: &dyn EventHub, consumer: &str) -> Result<(), HubError> {
        let types = [RESTAURANT_UPDATED.to_string()];
        let last = hub.last_position(&types).await?;
        if last == 0 {
            return Ok(());
        }
        let mut subscription = hub.subscribe(&format!("{consumer}-owners"), &types, StartFrom::Beginning).await?;
        loop {
            let delivered = tokio::time::timeout(Duration::from_secs(10), subscription.next())
                .await
                .map_err(|_| HubError::Unavailable("reading restaurant owners timed out".into()))??;
            if let Ok(Head { restaurant: Some(restaurant), .. }) = serde_json::from_slice::<Head>(&delivered.body) {
                self.owners.write().unwrap_or_else(|e| e.into_inner()).insert(restaurant.id, restaurant.owner);
            }
            if delivered.position >= last {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivered(position: Position, kind: &str) -> Delivered {
        Delivered { position, kind: kind.into(), body: format!(r#"{{"id":"e{position}","type":"{kind}","tags":{{"owner":"alice"}}}}"#).into_bytes() }
    }

    #[test]
    fn sockets_resume_from_the_window_or_are_told_to_reset() {
        let gateway = Gateway::new(3);
        for p in 1..=5 {
            gateway.accept(&delivered(p, "order-placed"));
        }
        let (start, _) = gateway.join(Some(3));
        match start {
            Start::Resume { position, missed } => {
                assert_eq!(position, 3);
                assert_eq!(missed.iter().map(|e| e.position).collect::<Vec<_>>(), vec![4, 5]);
                assert!(missed[0].message.starts_with(r#"{"type":"event","position":4,"event":{"id":"e4""#));
            }
            other => panic!("expected a resume, got {other:?}"),
        }
        assert!(matches!(gateway.join(Some(1)).0, Start::Reset { position: 5 }), "older than the window");
        assert!(matches!(gateway.join(Some(9)).0, Start::Reset { position: 5 }), "ahead of the gateway");
        assert!(matches!(gateway.join(None).0, Start::Resume { position: 5, .. }));
    }

    #[test]
    fn live_events_follow_the_snapshot_without_gaps_or_repeats() {
        let gateway = Gateway::new(10);
        gateway.accept(&delivered(1, "order-placed"));
        let (_, mut receiver) = gateway.join(Some(0));
        gateway.accept(&delivered(2, "order-accepted"));
        gateway.accept(&delivered(2, "order-accepted"));
        gateway.accept(&Delivered { position: 3, kind: "x-y".into(), body: b"not json".to_vec() });
        gateway.accept(&delivered(4, "order-ready"));
        let mut seen = Vec::new();
        while let Ok(Broadcast::Event(event)) = receiver.try_recv() {
            seen.push(event.position);
        }
        assert_eq!(seen, vec![2, 4], "a redelivery is dropped, an unreadable event skipped");
        assert_eq!(gateway.head(), 4);
    }

    #[test]
    fn restaurant_owners_are_learnt_from_events() {
        let gateway = Gateway::new(10);
        gateway.accept(&Delivered {
            position: 1,
            kind: RESTAURANT_UPDATED.into(),
            body: br#"{"id":"r","type":"restaurant-updated","tags":{},"restaurant":{"id":"roma","owner":"rita","name":"Roma"}}"#.to_vec(),
        });
        assert_eq!(gateway.owners().get("roma").map(String::as_str), Some("rita"));
    }
}
