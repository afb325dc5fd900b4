//! Offline: what the service worker does for the page, as the shell reports it
//! (docs/offline.md).
//!
//! - [`use_offline_state`]: whether the backend answers, the outbox and inbox counts, syncing,
//!   the last sync, a newer build to reload into (for a status area);
//! - [`outbox`] and [`pending_under`]: the commands waiting to be sent, for read-your-writes:
//!   an app lays the ones under its own BFF over what it fetched (a cart line's new quantity,
//!   an order not sent yet), reading each one's request [`body`](Entry::body) and the note
//!   the app left with it ([`meta`](Entry::meta), see [`crate::api::send_noted`]);
//! - [`use_outbox_changes`]: an entry was queued, synced (fetch again: it is confirmed now),
//!   rejected into the inbox, or discarded;
//! - [`sync_now`], [`discard`], [`apply_update`]: what the nav's buttons do.
//!
//! All of it goes through the shell (`window.tessera`, window events): apps never talk to the
//! worker or open its database themselves.

use leptos::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::runtime::{self, call_runtime};

/// The window event carrying the [`OfflineState`].
pub const STATE: &str = "mfe:offline";
/// The window event announcing an outbox change: `detail` is `{kind, store, entry}`.
pub const OUTBOX: &str = "mfe:outbox";

/// Whether the backend answered the service worker's last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Up,
    Down,
    /// Nothing was asked yet (or there is no service worker).
    #[default]
    #[serde(other)]
    Unknown,
}

/// What the service worker reports (`window.tessera.offline()`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OfflineState {
    /// The browser has service workers (otherwise nothing works offline).
    pub supported: bool,
    pub backend: Backend,
    /// Queued commands are being sent.
    pub syncing: bool,
    /// Commands waiting in the outbox.
    pub pending: u32,
    /// Commands the backend refused, waiting in the inbox for the user to look at.
    pub inbox: u32,
    /// When a queued command was last accepted (epoch ms).
    pub last_sync: Option<f64>,
    /// The backend asks to sign in before the outbox can be sent.
    pub sign_in_needed: bool,
    /// The build the worker keeps for offline use.
    pub version: Option<String>,
    /// A newer build than this page's is ready: reload to use it.
    pub update_available: bool,
}

/// The state now; the default (nothing known) without a shell that reports it.
pub fn offline_state() -> OfflineState {
    call_runtime("offline", &[]).ok().and_then(|state| serde_wasm_bindgen::from_value(state).ok()).unwrap_or_default()
}

/// The state as a signal that follows it, for as long as the calling component lives.
pub fn use_offline_state() -> ReadSignal<OfflineState> {
    let (state, set_state) = signal(offline_state());
    runtime::use_window_event(STATE, move |detail| {
        if let Ok(next) = serde_wasm_bindgen::from_value::<OfflineState>(detail) {
            set_state.set(next);
        }
    });
    state
}

/// A command in the outbox (waiting) or the inbox (refused by the backend).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its key in its store (outbox and inbox count separately).
    pub id: u64,
    pub method: String,
    /// The path and query, as the app requested it (`/api/cart/cart/items/margherita`).
    pub url: String,
    /// The request body (JSON text).
    #[serde(default)]
    pub body: Option<String>,
    /// The note the app left with it ([`crate::api::send_noted`]), as JSON text.
    #[serde(default)]
    pub meta: Option<String>,
    /// When it was made (epoch ms).
    pub created: f64,
    /// Who made it (user id), when known: it is only ever sent for that user.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    /// Inbox only: the backend's status, its `error` sentence and `reason`.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl Entry {
    /// The path below `base` (an app's BFF URL, `/api/cart`), when the entry is for it.
    pub fn path_under<'a>(&'a self, base: &str) -> Option<&'a str> {
        let rest = self.url.strip_prefix(base.trim_end_matches('/'))?;
        (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some(rest)
    }

    /// The id in `<base><prefix><id>` (`"/api/cart"`, `"/cart/items/"` → the item id), for a
    /// request with `method`.
    pub fn id_after<'a>(&'a self, method: &str, base: &str, prefix: &str) -> Option<&'a str> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let id = self.path_under(base)?.strip_prefix(prefix)?;
        let id = id.split(['?', '#']).next().unwrap_or_default();
        (!id.is_empty() && !id.contains('/')).then_some(id)
    }

    /// What the nav shows: the note's `label`, or the method and the path.
    pub fn label(&self) -> String {
        #[derive(Deserialize)]
        struct Note {
            label: Option<String>,
        }
        self.meta::<Note>().and_then(|note| note.label).filter(|label| !label.trim().is_empty()).unwrap_or_else(|| format!("{} {}", self.method, self.url))
    }

    /// The request body, parsed.
    pub fn body<T: DeserializeOwned>(&self) -> Option<T> {
        parse(self.body.as_deref()?)
    }

    /// The app's note, parsed.
    pub fn meta<T: DeserializeOwned>(&self) -> Option<T> {
        parse(self.meta.as_deref()?)
    }
}

fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    {
        serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = text;
        None
    }
}

/// The outbox and the inbox, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Outbox {
    #[serde(rename = "outbox")]
    pub pending: Vec<Entry>,
    #[serde(rename = "inbox")]
    pub rejected: Vec<Entry>,
}

/// The outbox and the inbox now (empty without a service worker).
pub async fn outbox() -> Outbox {
    let Ok(promise) = call_runtime("outbox", &[]) else { return Outbox::default() };
    let Ok(value) = JsFuture::from(js_sys::Promise::resolve(&promise)).await else { return Outbox::default() };
    serde_wasm_bindgen::from_value(value).unwrap_or_default()
}

/// The commands waiting to be sent to the BFF at `base` (`props.bff("")`), oldest first: what
/// an app lays over what it fetched, so the user reads their own writes.
pub async fn pending_under(base: &str) -> Vec<Entry> {
    outbox().await.pending.into_iter().filter(|entry| entry.path_under(base).is_some()).collect()
}

/// What happened to an outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Kept offline, to be sent later.
    Queued,
    /// Sent and accepted: fetch again, the backend has it now.
    Synced,
    /// Refused by the backend and moved to the inbox.
    Rejected,
    /// Thrown away by the user.
    Discarded,
}

impl Change {
    fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "queued" => Change::Queued,
            "synced" => Change::Synced,
            "rejected" => Change::Rejected,
            "discarded" => Change::Discarded,
            _ => return None,
        })
    }
}

/// Calls `handler` with every outbox change and its entry, for as long as the calling
/// component lives.
pub fn use_outbox_changes(handler: impl Fn(Change, Option<Entry>) + 'static) {
    runtime::use_window_event(OUTBOX, move |detail| {
        let field = |name: &str| js_sys::Reflect::get(&detail, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        if let Some(change) = field("kind").as_string().as_deref().and_then(Change::parse) {
            handler(change, serde_wasm_bindgen::from_value(field("entry")).ok());
        }
    });
}

/// Sends what waits now.
pub fn sync_now() {
    let _ = call_runtime("syncNow", &[]);
}

/// Throws an entry away: from the outbox (it is never sent) or the inbox (seen).
pub fn discard(entry: &Entry, from_inbox: bool) {
    let store = if from_inbox { "inbox" } else { "outbox" };
    let _ = call_runtime("discard", &[JsValue::from_str(store), JsValue::from_f64(entry.id as f64)]);
}

/// Reloads the page into the newest build.
pub fn apply_update() {
    let _ = call_runtime("applyUpdate", &[]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str, url: &str) -> Entry {
        Entry {
            id: 1,
            method: method.into(),
            url: url.into(),
            body: None,
            meta: None,
            created: 0.0,
            user: None,
            user_name: None,
            status: None,
            error: None,
            reason: None,
        }
    }

    #[test]
    fn an_entry_belongs_to_the_bff_its_url_is_under() {
        let put = entry("PUT", "/api/cart/cart/items/margherita");
        assert_eq!(put.path_under("/api/cart"), Some("/cart/items/margherita"));
        assert_eq!(put.path_under("/api/cart/"), Some("/cart/items/margherita"));
        assert_eq!(put.path_under("/api/orders"), None);
        // A prefix of another app's name is not that app.
        assert_eq!(entry("PUT", "/api/carts/x").path_under("/api/cart"), None);
    }

    #[test]
    fn the_id_after_a_prefix_names_one_resource() {
        let put = entry("PUT", "/api/cart/cart/items/margherita");
        assert_eq!(put.id_after("PUT", "/api/cart", "/cart/items/"), Some("margherita"));
        assert_eq!(put.id_after("put", "/api/cart", "/cart/items/"), Some("margherita"));
        assert_eq!(put.id_after("DELETE", "/api/cart", "/cart/items/"), None);
        assert_eq!(entry("PUT", "/api/cart/orders/o-1?x=1").id_after("PUT", "/api/cart", "/orders/"), Some("o-1"));
        assert_eq!(entry("PUT", "/api/cart/cart/items/").id_after("PUT", "/api/cart", "/cart/items/"), None);
        assert_eq!(entry("PUT", "/api/cart/cart/items/a/b").id_after("PUT", "/api/cart", "/cart/items/"), None);
    }

    #[test]
    fn without_a_note_an_entry_is_labelled_by_its_request() {
        assert_eq!(entry("DELETE", "/api/cart/cart").label(), "DELETE /api/cart/cart");
    }

    #[test]
    fn the_state_reads_unknown_backends_as_unknown() {
        #[derive(Deserialize)]
        struct Holder {
            backend: Backend,
        }
        // serde's own value deserializer stands in for the browser's objects.
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, MapDeserializer};
        let read = |value: &str| {
            let map = MapDeserializer::<_, Error>::new([("backend", value)].into_iter().map(|(k, v)| (k.into_deserializer(), v.into_deserializer())));
            Holder::deserialize(map).unwrap().backend
        };
        assert_eq!(read("up"), Backend::Up);
        assert_eq!(read("down"), Backend::Down);
        assert_eq!(read("unknown"), Backend::Unknown);
        assert_eq!(read("sideways"), Backend::Unknown);
    }
}
