//! The event envelope:
//!
//! ```json
//! {
//!   "id": "8f4c…",                       // deterministic: the same fact always has the same id
//!   "type": "order-placed",               // kebab-case <entity>-<action>
//!   "timestamp": 1732262400000,           // epoch milliseconds
//!   "partitionKey": "order-42",           // events of one entity share it (and stay ordered)
//!   "tags": { "source": "cart", "owner": "user-7" },
//!   "order": { … }                        // the entity, under a field named after it
//! }
//! ```
//!
//! The entity sits under a field named after the event's entity (`order` for `order-placed`),
//! as in the seeds; [`Envelope::entity`] finds it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The type of fault events.
pub const FAULT_TYPE: &str = "fault";

/// A validated event type: kebab-case `<entity>-<action>` (or `fault`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventType(String);

impl EventType {
    pub fn parse(value: &str) -> Result<Self, String> {
        let kebab = !value.is_empty()
            && value.len() <= 64
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && !value.ends_with('-')
            && !value.contains("--")
            && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if kebab && (value.contains('-') || value == FAULT_TYPE) {
            Ok(Self(value.to_string()))
        } else {
            Err(format!("event type `{value}` must be kebab-case <entity>-<action>"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The entity part (`order` for `order-placed`, `menu-item` for `menu-item-updated`: the
    /// last segment is the action).
    pub fn entity(&self) -> &str {
        self.0.rsplit_once('-').map(|(entity, _)| entity).unwrap_or(&self.0)
    }
}

impl TryFrom<String> for EventType {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EventType> for String {
    fn from(value: EventType) -> Self {
        value.0
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A domain event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub timestamp: i64,
    pub partition_key: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The entity and any other payload fields.
    #[serde(flatten)]
    pub payload: BTreeMap<String, Value>,
}

impl Envelope {
    /// Builds an event whose id is derived from what makes the fact unique: the source, the
    /// type, the partition key and a `fact_key` (an entity version, a command id…). Retrying
    /// the same command produces the same id, so consumers can drop the duplicate.
    pub fn new(kind: EventType, source: &str, partition_key: &str, fact_key: &str, timestamp: i64, entity: Value) -> Self {
        let id = deterministic_id(&[source, kind.as_str(), partition_key, fact_key]);
        let mut payload = BTreeMap::new();
        payload.insert(entity_field(kind.entity()), entity);
        let mut tags = BTreeMap::new();
        tags.insert("source".to_string(), source.to_string());
        Self { id, kind, timestamp, partition_key: partition_key.to_string(), tags, payload }
    }

    /// Adds a tag (routing and authorization: `owner`, `role`…).
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key.to_string(), value.to_string());
        self
    }

    /// The entity payload (`order` for `order-placed`).
    pub fn entity(&self) -> Option<&Value> {
        self.payload.get(&entity_field(self.kind.entity()))
    }

    pub fn source(&self) -> Option<&str> {
        self.tags.get("source").map(String::as_str)
    }

    /// The event as JSON bytes (the wire format of both hub engines).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("envelopes serialize")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// A fault event: `consumer` failed to process `failed` with `error`.
    pub fn fault(consumer: &str, failed: &Envelope, error: &str, timestamp: i64) -> Self {
        let fault = Fault { consumer: consumer.to_string(), error: error.to_string(), event: Box::new(failed.clone()) };
        let kind = EventType::parse(FAULT_TYPE).expect("fault is a valid type");
        let mut envelope = Self::new(kind, consumer, &failed.partition_key, &failed.id, timestamp, Value::Null);
        envelope.payload.clear();
        envelope.payload.insert("fault".into(), serde_json::to_value(fault).expect("faults serialize"));
        envelope
    }
}

/// Payload of a `fault` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub consumer: String,
    pub error: String,
    pub event: Box<Envelope>,
}

/// camelCase field name for an entity (`menu-item` → `menuItem`).
fn entity_field(entity: &str) -> String {
    let mut out = String::with_capacity(entity.len());
    let mut upper = false;
    for c in entity.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn deterministic_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn placed(fact: &str) -> Envelope {
        Envelope::new(EventType::parse("order-placed").unwrap(), "cart", "order-42", fact, 1_700_000_000_000, json!({"id": "order-42"}))
            .with_tag("owner", "user-7")
    }

    #[test]
    fn the_envelope_has_the_seed_shape() {
        let value = serde_json::to_value(placed("v1")).unwrap();
        assert_eq!(value["type"], "order-placed");
        assert_eq!(value["partitionKey"], "order-42");
        assert_eq!(value["tags"]["source"], "cart");
        assert_eq!(value["tags"]["owner"], "user-7");
        assert_eq!(value["order"]["id"], "order-42");
        assert_eq!(value["timestamp"], 1_700_000_000_000i64);
        let back = Envelope::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap();
        assert_eq!(back, placed("v1"));
    }

    #[test]
    fn ids_are_deterministic_per_fact() {
        assert_eq!(placed("v1").id, placed("v1").id);
        assert_ne!(placed("v1").id, placed("v2").id);
    }

    #[test]
    fn multi_word_entities_use_camel_case_fields() {
        let e = Envelope::new(EventType::parse("menu-item-updated").unwrap(), "restaurant", "r1", "1", 0, json!({"price": 100}));
        assert_eq!(e.kind.entity(), "menu-item");
        assert_eq!(e.entity().unwrap()["price"], 100);
        assert!(e.payload.contains_key("menuItem"));
    }

    #[test]
    fn faults_carry_the_error_the_event_and_the_consumer() {
        let fault = Envelope::fault("orders-listener", &placed("v1"), "bad payload", 5);
        assert_eq!(fault.kind.as_str(), "fault");
        let body: Fault = serde_json::from_value(fault.payload["fault"].clone()).unwrap();
        assert_eq!(body.consumer, "orders-listener");
        assert_eq!(body.event.id, placed("v1").id);
        assert_eq!(fault.id, Envelope::fault("orders-listener", &placed("v1"), "other text", 9).id, "one fault per failed event");
    }

    #[test]
    fn bad_event_types_are_rejected() {
        for bad in ["Order-Placed", "placed", "order_placed", "order-", ""] {
            assert!(EventType::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_value::<Envelope>(json!({"id":"x","type":"BAD","timestamp":0,"partitionKey":"p"})).is_err());
    }
}
