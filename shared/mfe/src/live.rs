//! Live updates: the domain events the host pushes to the page (`docs/live-updates.md`).
//!
//! The shell owns the page's one WebSocket and re-dispatches what it receives as window
//! events; apps never open sockets. This module is the typed side of those events:
//!
//! - [`use_live_events`]: the events of some types, as [`LiveEvent`]s, for as long as the
//!   calling component lives (it also asks the shell to subscribe to those types, in case no
//!   app in the composition declared them in its `mfe.json` `liveEvents`);
//! - [`use_live_reset`]: events may have been missed (the page was away longer than the host
//!   keeps events): refetch what is shown;
//! - [`use_live_status`]: whether the connection is open, for a status indicator;
//! - [`use_live_polling`]: polling as the safety net under live updates.
//!
//! Each event is delivered once per page, in the hub's order. It carries the entity's whole
//! current state, so an app applies it at once, without asking its BFF; because events of
//! one entity may still be superseded by what the page fetched meanwhile, apply them
//! order-tolerantly (compare versions or status ranks) and refetch in the background to
//! reconcile ([`crate::api::Latest::live_change`] does both for a fetched list).

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::runtime::{self, call_runtime};

/// The window event carrying one domain event: `detail` is `{position, event}`.
pub const EVENT: &str = "mfe:live";
/// The window event telling apps to refetch: `detail` is `{position}`.
pub const RESET: &str = "mfe:live-reset";
/// The window event announcing the connection's state: `detail` is `{state}`.
pub const STATUS: &str = "mfe:live-status";

/// How often [`use_live_polling`] fetches while live updates are not coming in.
const POLL_WITHOUT_LIVE: Duration = Duration::from_secs(5);

/// One domain event as the host pushed it.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// Its position in the event hub (grows with every event).
    pub position: f64,
    /// Its type (`order-ready`).
    pub kind: String,
    /// The event's id (the same fact always has the same id).
    pub id: String,
    /// When it happened (epoch ms).
    pub timestamp: f64,
    /// Routing tags (`owner`, `restaurant`, `driver`, `source`).
    pub tags: BTreeMap<String, String>,
    /// The envelope as received (`id`, `type`, `timestamp`, `partitionKey`, `tags`, entity).
    pub raw: JsValue,
}

fn get(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

impl LiveEvent {
    /// Reads the `detail` of an [`EVENT`] window event.
    pub fn from_detail(detail: &JsValue) -> Option<Self> {
        let raw = get(detail, "event");
        let kind = get(&raw, "type").as_string()?;
        Some(Self {
            position: get(detail, "position").as_f64().unwrap_or(0.0),
            kind,
            id: get(&raw, "id").as_string().unwrap_or_default(),
            timestamp: get(&raw, "timestamp").as_f64().unwrap_or(0.0),
            tags: serde_wasm_bindgen::from_value(get(&raw, "tags")).unwrap_or_default(),
            raw,
        })
    }

    /// The field `field` of the envelope (usually its entity: `order`, `menuItem`,
    /// `restaurant`), deserialized; `None` when absent or of another shape. See also
    /// [`payload`](Self::payload).
    ///
    /// ```text
    /// let order: Option<Order> = event.entity("order");
    /// ```
    pub fn entity<T: DeserializeOwned>(&self, field: &str) -> Option<T> {
        let value = get(&self.raw, field);
        if value.is_undefined() || value.is_null() {
            return None;
        }
        serde_wasm_bindgen::from_value(value).ok()
    }

    /// The entity under the field the envelope contract puts it (`Envelope::entity` in
    /// `tessera-contracts`): the type without its last segment, in camelCase. That is `order`
    /// for `order-ready`, `menuItem` for `menu-item-updated`, but `orderPicked` for
    /// `order-picked-up`: read a known field with [`entity`](Self::entity) as well when a type's
    /// action has two words.
    pub fn payload<T: DeserializeOwned>(&self) -> Option<T> {
        self.entity(&entity_field(&self.kind))
    }

    /// The tag `key` (`owner`, `restaurant`…).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

/// The field an envelope carries its entity in, as `tessera-contracts` names it: the type
/// without its last segment, in camelCase (`menu-item-updated` → `menuItem`).
fn entity_field(kind: &str) -> String {
    let entity = kind.rsplit_once('-').map_or(kind, |(entity, _)| entity);
    let mut field = String::with_capacity(entity.len());
    let mut upper = false;
    for c in entity.chars() {
        match c {
            '-' => upper = true,
            c if upper => {
                field.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => field.push(c),
        }
    }
    field
}

/// The state of the page's live connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveStatus {
    /// Opening (or reopening) the connection.
    #[default]
    Connecting,
    /// Events arrive as they happen.
    Open,
    /// Not connected (waiting to try again, or no shell with live updates).
    Closed,
}

impl LiveStatus {
    fn parse(value: &str) -> Self {
        match value {
            "open" => Self::Open,
            "connecting" => Self::Connecting,
            _ => Self::Closed,
        }
    }
}

/// The connection's state now (`window.tessera.liveStatus()`); [`LiveStatus::Closed`] when
/// the shell offers no live updates.
pub fn live_status() -> LiveStatus {
    call_runtime("liveStatus", &[]).ok().and_then(|s| s.as_string()).map(|s| LiveStatus::parse(&s)).unwrap_or(LiveStatus::Closed)
}

/// The connection's state as a signal that follows it, for as long as the calling component
/// lives.
pub fn use_live_status() -> ReadSignal<LiveStatus> {
    let (status, set_status) = signal(live_status());
    runtime::use_window_event(STATUS, move |detail| {
        if let Some(state) = get(&detail, "state").as_string() {
            set_status.set(LiveStatus::parse(&state));
        }
    });
    status
}

/// Asks the shell to push events of `types` too (`window.tessera.liveSubscribe`). Types the
/// composition's apps declare in their `mfe.json` `liveEvents` are pushed already.
pub fn subscribe(types: &[&str]) {
    let list: js_sys::Array = types.iter().map(|t| JsValue::from_str(t)).collect();
    // An older shell without live updates: the app falls back on its polling.
    let _ = call_runtime("liveSubscribe", &[list.into()]);
}

/// Calls `handler` with every live event of one of `types`, for as long as the calling
/// component lives.
pub fn use_live_events(types: &'static [&'static str], handler: impl Fn(LiveEvent) + 'static) {
    subscribe(types);
    runtime::use_window_event(EVENT, move |detail| {
        // The type first: most events are for other pages, and need no more reading.
        let kind = get(&get(&detail, "event"), "type").as_string();
        if kind.is_some_and(|kind| types.contains(&kind.as_str()))
            && let Some(event) = LiveEvent::from_detail(&detail)
        {
            handler(event);
        }
    });
}

/// Calls `handler` when events may have been missed (the page resumed from further back
/// than the host keeps events), for as long as the calling component lives: refetch what
/// is shown.
pub fn use_live_reset(handler: impl Fn() + 'static) {
    runtime::use_window_event(RESET, move |_| handler());
}

/// Polling as the safety net under live updates, for as long as the calling component
/// lives: `refresh` runs every 5 s while the live connection is not open (as it did before
/// live updates), only every `while_live` while it is, and when the window regains focus
/// after at least that long.
///
/// `refresh` decides itself whether a fetch is needed (data that can no longer change, a
/// fetch already running).
pub fn use_live_polling(while_live: Duration, refresh: impl Fn() + Clone + 'static) {
    let last = StoredValue::new(js_sys::Date::now());
    runtime::use_polling(POLL_WITHOUT_LIVE, move || {
        let now = js_sys::Date::now();
        let Some(since) = last.try_get_value().map(|last| now - last) else { return };
        if live_status() == LiveStatus::Open && since < while_live.as_millis() as f64 {
            return;
        }
        last.set_value(now);
        refresh();
    });
}

#[cfg(test)]
mod tests {
    use super::entity_field;

    #[test]
    fn entity_fields_are_named_as_the_envelope_contract_names_them() {
        assert_eq!(entity_field("order-ready"), "order");
        assert_eq!(entity_field("menu-item-updated"), "menuItem");
        assert_eq!(entity_field("order-picked-up"), "orderPicked");
        assert_eq!(entity_field("fault"), "fault");
    }
}
