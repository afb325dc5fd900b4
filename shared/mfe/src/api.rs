//! Talking to the app's BFF through the host (`props.bff("/path")`): JSON in and out with
//! the conventions every BFF shares.
//!
//! - Every state-changing request carries an `Idempotency-Key` (a fresh UUID per user action,
//!   or one the caller keeps to retry the same action) and the anti-CSRF header `X-CSRF: 1`.
//! - Errors arrive as [`ApiError`]: the HTTP status and the server's readable `error` text, or
//!   status 0 when the backend could not be reached; a validation answer (422) also names the
//!   `field` and the `reason`, so a form can put the message next to that field.
//!
//! Two ways to call: the free functions ([`get`], [`send`], [`send_keyed`]) take a full URL
//! (`props.bff(…)`); [`Bff`] keeps an instance's base URL and hands out `'static` futures,
//! for state that outlives one component (a page's store of signals). [`Latest`] keeps the
//! last answer of a query a page fetches again and again (polling, and after its commands).
//!
//! Offline (docs/offline.md): the service worker answers a read it can't get from the backend
//! with the copy it kept, and [`get_served`] (or [`last_served`] right after a [`get`]) says
//! so, with the time of that copy ([`Served::Offline`]); [`Latest`] keeps it in
//! [`Latest::offline_as_of`] for [`crate::ui::Freshness`]. A command that can't reach the
//! backend is kept in the worker's outbox and sent later: it ends in an [`ApiError`] for which
//! [`ApiError::is_queued`] holds (status 202), since there is no answer to decode yet. Show
//! it as saved, not as failed; [`send_noted`] also leaves a note with it for showing it while
//! it waits ([`crate::offline`]).
//!
//! JSON goes through the browser's own parser (`Response.json()`, `JSON.stringify`) and
//! `serde-wasm-bindgen`, which keeps `serde_json` out of every app's wasm.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::Props;

/// A failed request: `status` 0 means the backend was unreachable; 202 with
/// [`queued`](Self::queued) means the command was kept offline, to be sent later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// The server's `error` text (for a 422, `"<field>: <reason>"`), or one made up here.
    pub message: String,
    /// The input a validation answer (422) is about, as the request named it (`priceCents`).
    pub field: Option<String>,
    /// What is wrong with [`field`](Self::field), without the field's name (`must be between
    /// 1 and 100000`).
    pub reason: Option<String>,
    /// The outbox entry of a command the service worker kept to send later.
    pub queued: Option<u64>,
}

/// The status of a command answered by the service worker's outbox instead of the backend.
pub const QUEUED: u16 = 202;

impl ApiError {
    /// An error that is not about one field.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), field: None, reason: None, queued: None }
    }

    /// A command kept in the outbox (entry `id`), to be sent once the backend answers.
    pub fn queued(id: u64) -> Self {
        Self { queued: Some(id), ..Self::new(QUEUED, "Saved offline. It will be sent once the service can be reached.") }
    }

    /// Whether the command was kept offline to be sent later (not refused, not lost).
    pub fn is_queued(&self) -> bool {
        self.queued.is_some()
    }

    fn network() -> Self {
        Self::new(0, "The service can't be reached right now. Check your connection and try again.")
    }

    pub fn is_network(&self) -> bool {
        self.status == 0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A fresh random id (`crypto.randomUUID()`): client-generated entity ids and idempotency keys.
pub fn new_id() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    match crypto {
        Some(crypto) => crypto.random_uuid(),
        // Only very old browsers lack randomUUID; Math.random is enough for a key there.
        None => format!("{:x}{:x}", (js_sys::Math::random() * 1e15) as u64, (js_sys::Math::random() * 1e15) as u64),
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Served {
    /// From the backend, just now.
    #[default]
    Live,
    /// The copy the service worker kept, because the backend could not be reached: the data
    /// as of `as_of` (epoch ms).
    Offline { as_of: i64 },
}

impl Served {
    /// The time of the kept copy, for an offline answer.
    pub fn offline_as_of(self) -> Option<i64> {
        match self {
            Served::Live => None,
            Served::Offline { as_of } => Some(as_of),
        }
    }

    /// From the service worker's headers: `X-Tessera-Offline: 1` and `X-Tessera-As-Of`
    /// (epoch ms, or an RFC 3339 time).
    pub fn from_headers(offline: Option<&str>, as_of: Option<&str>) -> Self {
        if offline.map(str::trim) != Some("1") {
            return Served::Live;
        }
        let as_of = as_of.map(str::trim).unwrap_or_default();
        // Whole milliseconds (what the worker writes): parsing them as an integer keeps the
        // float parser and its tables (about 10 KB) out of every app's wasm.
        let millis = as_of.parse::<i64>().ok().or_else(|| {
            let parsed = js_date_parse(as_of);
            (!parsed.is_nan()).then_some(parsed as i64)
        });
        Served::Offline { as_of: millis.unwrap_or(0) }
    }
}

#[cfg(target_arch = "wasm32")]
fn js_date_parse(text: &str) -> f64 {
    js_sys::Date::parse(text)
}

#[cfg(not(target_arch = "wasm32"))]
fn js_date_parse(_text: &str) -> f64 {
    f64::NAN
}

thread_local! {
    static LAST_SERVED: Cell<Served> = const { Cell::new(Served::Live) };
}

/// Where the answer of the [`get`] that finished last came from. Read it right after awaiting
/// that `get` (before awaiting anything else): the page has one thread, and nothing else runs
/// in between.
pub fn last_served() -> Served {
    LAST_SERVED.with(Cell::get)
}

/// `GET url` and parse the JSON answer.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    get_served(url).await.map(|(data, _)| data)
}

/// `GET url`, parse the JSON answer, and say where it came from (the backend, or the copy the
/// service worker kept while the backend can't be reached).
pub async fn get_served<T: DeserializeOwned>(url: &str) -> Result<(T, Served), ApiError> {
    let answer = fetch("GET", url, None, None, None).await;
    let served = answer.as_ref().map_or(Served::Live, |(_, served)| *served);
    LAST_SERVED.with(|last| last.set(served));
    let (json, served) = answer?;
    Ok((decode(json)?, served))
}

/// A command with a fresh idempotency key.
pub async fn send<T: DeserializeOwned>(method: &str, url: &str, body: Option<&impl Serialize>) -> Result<T, ApiError> {
    send_keyed(method, url, body, &new_id()).await
}

/// A command with the caller's idempotency key (retrying the same action keeps its key).
pub async fn send_keyed<T: DeserializeOwned>(method: &str, url: &str, body: Option<&impl Serialize>, key: &str) -> Result<T, ApiError> {
    let body = encode(body)?;
    decode(fetch(method, url, body.as_ref(), Some(key), None).await?.0)
}

/// A command with the caller's idempotency key and a note for the time it may wait in the
/// outbox: `{"label": "2 × Margherita", …}`, whatever the app needs to show the command
/// before it is sent (read back with [`crate::offline::Entry::meta`]). `label` is what the
/// nav's outbox list shows. The note stays in the browser: the worker never sends it on.
pub async fn send_noted<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&impl Serialize>,
    key: &str,
    note: &impl Serialize,
) -> Result<T, ApiError> {
    let body = encode(body)?;
    let note = encode(Some(note))?.and_then(|text| text.as_string()).map(|text| String::from(js_sys::encode_uri_component(&text)));
    decode(fetch(method, url, body.as_ref(), Some(key), note.as_deref()).await?.0)
}

/// The app's BFF as one instance sees it: the base URL from its props, kept so that every
/// call builds its URL (and its body and idempotency key) at once and returns a `'static`
/// future. A request that ends after the page is gone then touches nothing but signals,
/// which ignore writes once disposed.
///
/// `Copy`, so it can live in a page's state and in async tasks. Build it inside the instance
/// (`props.with_untracked(Bff::new)`): it belongs to the reactive owner it was made in, and
/// calling it after that owner is gone panics, so check that the page still lives first.
#[derive(Debug, Clone, Copy)]
pub struct Bff {
    base: StoredValue<String>,
}

impl Bff {
    pub fn new(props: &Props) -> Self {
        Self { base: StoredValue::new(props.bff("")) }
    }

    /// The URL of a BFF resource (`url("/orders")` → `/api/orders/orders`).
    pub fn url(self, path: &str) -> String {
        self.base.with_value(|base| format!("{base}{path}"))
    }

    /// `GET path` and parse the JSON answer.
    pub fn get<T: DeserializeOwned>(self, path: &str) -> impl Future<Output = Result<T, ApiError>> + use<T> {
        let url = self.url(path);
        async move { get(&url).await }
    }

    /// A command (`POST`, `PUT`, `DELETE`, …) on `path` with a fresh idempotency key. The body
    /// is encoded now; the future still names its type `B`, so give it an owned body type (no
    /// borrowed fields) when the future must be `'static`.
    pub fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        self,
        method: &'static str,
        path: &str,
        body: Option<&B>,
    ) -> impl Future<Output = Result<T, ApiError>> + use<T, B> {
        let url = self.url(path);
        let body = encode(body);
        let key = new_id();
        async move {
            let body = body?;
            decode(fetch(method, &url, body.as_ref(), Some(&key), None).await?.0)
        }
    }
}

/// The latest answer of a query a page fetches again and again (on a timer, on focus, after
/// each of its commands), with the error of the last attempt: the data stays on screen while
/// a refresh fails.
///
/// One fetch at a time: a refresh asked for while one runs follows it instead of racing it.
/// A local [`change`](Self::change) (an answer to a command, put in place at once) makes a
/// fetch that started before it stale: that answer is dropped and the query fetched again,
/// so an older read never overwrites what a command just did. A [`live_change`](Self::live_change)
/// (what a live event says) is applied at once and again on top of the answers that follow
/// it for a while, since the BFF may not have processed the event yet when it answers.
///
/// `Copy`; make it inside the page (it lives as long as the reactive owner it was made in).
#[derive(Debug)]
pub struct Latest<T: Send + Sync + 'static> {
    /// The last answer applied; `None` until the first.
    pub data: RwSignal<Option<T>>,
    /// Why the last attempt failed; `None` once one succeeds.
    pub error: RwSignal<Option<ApiError>>,
    /// When the data was last fetched (epoch ms).
    pub fetched_at: RwSignal<Option<i64>>,
    /// When the last answer came from the service worker's kept copy (the backend could not
    /// be reached), the time of that copy (epoch ms); `None` for a live answer.
    pub offline_as_of: RwSignal<Option<i64>>,
    /// Bumped by every local change, so a fetch that started before it is not applied.
    changes: StoredValue<u32>,
    in_flight: StoredValue<bool>,
    again: StoredValue<bool>,
    /// Live changes, with when they arrived (epoch ms), replayed on top of fresh answers.
    live: StoredValue<Vec<(f64, LiveChange<T>)>, LocalStorage>,
}

type LiveChange<T> = Rc<dyn Fn(&mut T)>;

/// How long a live change is applied again on top of fetched answers: far longer than a BFF
/// takes to process an event, short enough that an answer soon has the last word (an order
/// another driver claimed, which no event announces to this one).
const LIVE_REPLAY_MS: f64 = 10_000.0;

impl<T: Send + Sync + 'static> Clone for Latest<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Latest<T> {}

impl<T: Send + Sync + 'static> Default for Latest<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> Latest<T> {
    /// Nothing fetched yet.
    pub fn new() -> Self {
        Self {
            data: RwSignal::new(None),
            error: RwSignal::new(None),
            fetched_at: RwSignal::new(None),
            offline_as_of: RwSignal::new(None),
            changes: StoredValue::new(0),
            in_flight: StoredValue::new(false),
            again: StoredValue::new(false),
            live: StoredValue::new_local(Vec::new()),
        }
    }

    /// Fetches with `fetch` and applies the answer, unless a local change overtook it; while a
    /// fetch runs, one more follows it instead. `then` runs after every attempt (applied,
    /// dropped or failed), for what the page does once an answer is in (its ready mark).
    ///
    /// Safe to call after the page is gone (a poll or a command ending late): it does nothing.
    pub fn refresh<R>(self, fetch: impl Fn() -> R + Copy + 'static, then: impl Fn() + Copy + 'static)
    where
        R: Future<Output = Result<T, ApiError>> + 'static,
    {
        let Some(busy) = self.in_flight.try_get_value() else { return };
        if busy {
            self.again.set_value(true);
            return;
        }
        self.in_flight.set_value(true);
        let started_at = self.changes.get_value();
        let request = fetch();
        leptos::task::spawn_local(async move {
            let result = request.await;
            let served = last_served();
            // The page may be gone by now: reads are `try_`; writes to disposed values are ignored.
            self.in_flight.set_value(false);
            let overtaken = self.changes.try_get_value() != Some(started_at);
            match result {
                Ok(mut data) if !overtaken => {
                    self.replay_live(&mut data);
                    self.data.set(Some(data));
                    self.error.set(None);
                    self.offline_as_of.set(served.offline_as_of());
                    if served == Served::Live {
                        self.fetched_at.set(Some(js_sys::Date::now() as i64));
                    }
                }
                Ok(_) => {}
                Err(error) => self.error.set(Some(error)),
            }
            then();
            if overtaken || self.again.try_get_value() == Some(true) {
                self.again.set_value(false);
                self.refresh(fetch, then);
            }
        });
    }

    /// Changes the data on screen now (when there is some), for example with a command's
    /// answer; a fetch already running is then fetched again rather than applied.
    pub fn change(self, change: impl FnOnce(&mut T)) {
        self.changes.update_value(|n| *n += 1);
        self.data.update(|data| {
            if let Some(data) = data {
                change(data);
            }
        });
    }

    /// Applies what a live event says: to the data on screen now (when there is some), and
    /// again to every answer that arrives in the next 10 s, the first one included. The BFF
    /// may not have processed the event yet when it answers, so a fetch to reconcile (or one
    /// already running) must not take it back.
    ///
    /// `change` must be safe to apply more than once and must never move data backwards
    /// (compare versions or status ranks): the answers may include the event already, or
    /// something newer.
    pub fn live_change(self, change: impl Fn(&mut T) + 'static) {
        let now = js_sys::Date::now();
        let change: LiveChange<T> = Rc::new(change);
        let kept = self.live.try_update_value(|list| {
            list.retain(|(at, _)| now - at < LIVE_REPLAY_MS);
            list.push((now, change.clone()));
        });
        if kept.is_none() {
            return; // the page is gone
        }
        self.data.update(|data| {
            if let Some(data) = data {
                change(data);
            }
        });
    }

    /// Applies the recent live changes to a fresh answer.
    fn replay_live(self, data: &mut T) {
        let now = js_sys::Date::now();
        let recent = self.live.try_update_value(|list| {
            list.retain(|(at, _)| now - at < LIVE_REPLAY_MS);
            list.iter().map(|(_, change)| change.clone()).collect::<Vec<_>>()
        });
        for change in recent.into_iter().flatten() {
            change(data);
        }
    }
}

/// A request body as JSON text.
fn encode<B: Serialize + ?Sized>(body: Option<&B>) -> Result<Option<JsValue>, ApiError> {
    let Some(body) = body else { return Ok(None) };
    let value = body.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| ApiError::new(0, e.to_string()))?;
    let text = js_sys::JSON::stringify(&value).map_err(|_| ApiError::new(0, "the request could not be encoded"))?;
    Ok(Some(text.into()))
}

fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, ApiError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| ApiError::new(200, format!("unexpected answer from the service: {e}")))
}

/// The service worker's header carrying a command's note ([`send_noted`]).
const NOTE_HEADER: &str = "X-Tessera-Meta";

async fn fetch(method: &str, url: &str, body: Option<&JsValue>, key: Option<&str>, note: Option<&str>) -> Result<(JsValue, Served), ApiError> {
    let window = web_sys::window().ok_or_else(ApiError::network)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::network())?;
    let _ = headers.set("Accept", "application/json");
    if let Some(key) = key {
        let _ = headers.set("Idempotency-Key", key);
        let _ = headers.set("X-CSRF", "1");
    }
    if let Some(note) = note {
        let _ = headers.set(NOTE_HEADER, note);
    }
    if let Some(body) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(body);
    }
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| ApiError::network())?
        .dyn_into()
        .map_err(|_| ApiError::network())?;
    let status = response.status();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let served = Served::from_headers(header("X-Tessera-Offline").as_deref(), header("X-Tessera-As-Of").as_deref());
    let queued = status == QUEUED && header("X-Tessera-Queued").as_deref() == Some("1");
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    if queued {
        let id = js_sys::Reflect::get(&json, &JsValue::from_str("id")).ok().and_then(|id| id.as_f64()).unwrap_or(0.0);
        return Err(ApiError::queued(id as u64));
    }
    if response.ok() {
        return Ok((json, served));
    }
    let text = |key: &str| js_sys::Reflect::get(&json, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    let message = text("error").unwrap_or_else(|| match status {
        401 => "Please sign in to continue.".to_string(),
        403 => "You don't have access to this.".to_string(),
        404 => "Not found.".to_string(),
        502..=504 => "The service is not available right now. Try again in a moment.".to_string(),
        _ => format!("Something went wrong (HTTP {status})."),
    });
    Err(ApiError { status, message, field: text("field"), reason: text("reason"), queued: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_live_unless_the_worker_marks_it_offline() {
        assert_eq!(Served::from_headers(None, None), Served::Live);
        assert_eq!(Served::from_headers(Some("0"), Some("1700000000000")), Served::Live);
        assert_eq!(Served::from_headers(Some("1"), Some("1700000000000")), Served::Offline { as_of: 1_700_000_000_000 });
        assert_eq!(Served::from_headers(Some("1"), Some(" 1700000000000 ")).offline_as_of(), Some(1_700_000_000_000));
        // An offline copy of unknown age is still offline.
        assert_eq!(Served::from_headers(Some("1"), None), Served::Offline { as_of: 0 });
    }

    #[test]
    fn a_queued_command_is_told_apart_from_a_failure() {
        let queued = ApiError::queued(7);
        assert!(queued.is_queued());
        assert_eq!(queued.status, QUEUED);
        assert!(!queued.is_network());
        assert!(!ApiError::new(0, "offline").is_queued());
        assert!(!ApiError::new(409, "conflict").is_queued());
    }
}
