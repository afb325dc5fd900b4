//! Live updates: the page's one WebSocket to the host's `/live` gateway, the client side of
//! docs/live-updates.md.
//!
//! The socket asks for the union of the composition's `liveEvents` and of the types apps add
//! at runtime (`window.tessera.liveSubscribe(types)`), resumes from the last position the
//! page processed (kept in `localStorage`, so a reload resumes too), and re-dispatches what
//! arrives as window events:
//!
//! - `mfe:live` `{position, event}`: a domain event (the envelope as received), once per page
//!   and in hub order;
//! - `mfe:live-reset` `{position}`: events may have been missed, apps refetch;
//! - `mfe:live-status` `{state}`: `"connecting"`, `"open"` or `"closed"` (also
//!   `window.tessera.liveStatus()`).
//!
//! `composition-updated` (and every (re)opened socket, since pushes may have been missed
//! meanwhile) reloads `/apps.json` at once. A closed socket is reopened with exponential
//! backoff and full jitter; one that says nothing for 45 s is taken for dead.
//!
//! Everything runs on the page's one thread; the state lives in a thread-local and is never
//! borrowed while events are dispatched (listeners may call back into `window.tessera`).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use tessera_manifests::AppsManifest;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::runtime::{emit, object};

/// Where the last processed position survives reloads.
const POSITION_KEY: &str = "tessera.live.position";
const BACKOFF_FIRST_MS: f64 = 500.0;
const BACKOFF_MAX_MS: f64 = 30_000.0;
/// A socket that stayed open this long was healthy: the next failure starts the backoff over.
const HEALTHY_AFTER_MS: f64 = 10_000.0;
/// The gateway sends a heartbeat every 15 s; this much silence means the socket is dead.
const SILENCE_MS: f64 = 45_000.0;
const WATCHDOG_EVERY_MS: i32 = 5_000;
/// The gateway's close code for an ended session: signing in again takes a while.
const SESSION_ENDED: u16 = 4401;
/// The gateway ignores longer types.
const MAX_TYPE_LEN: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Connecting,
    Open,
    Closed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }
}

struct Socket {
    ws: WebSocket,
    /// Tells this socket's handlers from those of sockets already given up.
    generation: u32,
    /// The types the gateway was asked for on this socket (the URL, then `subscribe`s).
    types: Vec<String>,
    opened_at: Option<f64>,
    last_heard: f64,
}

impl Socket {
    /// Detaches the handlers and closes: nothing of this socket reaches the page any more.
    fn give_up(self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

struct Live {
    started: bool,
    /// Every type the page wants: the composition's `liveEvents` and runtime subscriptions.
    types: Vec<String>,
    /// The last position this page processed.
    position: Option<f64>,
    status: Status,
    socket: Option<Socket>,
    generation: u32,
    /// Failed attempts since the last healthy socket.
    attempt: u32,
    /// The pending reconnect timer.
    retry: Option<i32>,
}

thread_local! {
    static LIVE: RefCell<Live> = RefCell::new(Live {
        started: false,
        types: Vec::new(),
        position: stored_position(),
        status: Status::Connecting,
        socket: None,
        generation: 0,
        attempt: 0,
        retry: None,
    });
}

fn with<R>(f: impl FnOnce(&mut Live) -> R) -> R {
    LIVE.with(|live| f(&mut live.borrow_mut()))
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn storage() -> Option<web_sys::Storage> {
    // Storage may be disabled (privacy settings): the page then resumes only while it lives.
    web_sys::window()?.local_storage().ok().flatten()
}

fn stored_position() -> Option<f64> {
    let text = storage()?.get_item(POSITION_KEY).ok().flatten()?;
    text.parse::<u64>().ok().map(|p| p as f64)
}

fn store_position(position: f64) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(POSITION_KEY, &format!("{}", position as u64));
    }
}

/// A valid event type: kebab-case `<entity>-<action>`, as `mfe.json` `liveEvents` are.
fn valid_type(value: &str) -> bool {
    value.len() <= MAX_TYPE_LEN
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.contains('-')
        && !value.ends_with('-')
        && !value.contains("--")
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Adds types to a list without repeating any (lists stay short: a few dozen types).
fn add_types(list: &mut Vec<String>, types: impl IntoIterator<Item = String>) {
    for kind in types {
        if !list.contains(&kind) {
            list.push(kind);
        }
    }
}

fn url(types: &[String], after: Option<f64>) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    let mut params = Vec::new();
    if let Some(after) = after {
        params.push(format!("after={}", after as u64));
    }
    if !types.is_empty() {
        // Valid types need no escaping, and the comma is the list's separator.
        params.push(format!("events={}", types.join(",")));
    }
    let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
    Some(format!("{scheme}://{}/live{query}", location.host().ok()?))
}

fn set_status(status: Status) {
    let changed = with(|live| std::mem::replace(&mut live.status, status) != status);
    if changed {
        emit("mfe:live-status", &object(&[("state", status.as_str().into())]));
    }
}

/// Called with every new composition: the first one opens the socket; later ones that
/// bring new `liveEvents` subscribe to them.
pub(crate) fn composition_changed(apps: &AppsManifest) {
    let types = apps.apps.iter().flat_map(|app| app.live_events.iter()).filter(|t| valid_type(t)).cloned();
    let start = with(|live| {
        add_types(&mut live.types, types);
        !std::mem::replace(&mut live.started, true)
    });
    if start {
        install_watchdog();
        connect();
    } else {
        send_new_types();
    }
}

/// Adds types the page wants (`window.tessera.liveSubscribe`): an array of types, or one.
fn subscribe(types: JsValue) {
    let types: Vec<String> = match types.as_string() {
        Some(one) => vec![one],
        None => Array::from(&types).iter().filter_map(|t| t.as_string()).collect(),
    };
    with(|live| add_types(&mut live.types, types.into_iter().filter(|t| valid_type(t))));
    send_new_types();
}

/// Tells an open socket about types it was not asked for yet.
fn send_new_types() {
    with(|live| {
        let wanted = &live.types;
        let Some(socket) = live.socket.as_mut().filter(|s| s.opened_at.is_some()) else { return };
        let new: Vec<String> = wanted.iter().filter(|t| !socket.types.contains(t)).cloned().collect();
        if new.is_empty() {
            return;
        }
        let events: Array = new.iter().map(|t| JsValue::from_str(t)).collect();
        let message = object(&[("type", "subscribe".into()), ("events", events.into())]);
        if let Ok(text) = js_sys::JSON::stringify(&message)
            && socket.ws.send_with_str(&String::from(text)).is_ok()
        {
            add_types(&mut socket.types, new);
        }
        // A failed send means the socket is closing: the next one asks for every type.
    });
}

fn connect() {
    let Some((generation, types, address)) = with(|live| {
        live.retry = None;
        live.generation += 1;
        Some((live.generation, live.types.clone(), url(&live.types, live.position)?))
    }) else {
        return;
    };
    let ws = match WebSocket::new(&address) {
        Ok(ws) => ws,
        Err(_) => {
            set_status(Status::Closed);
            schedule_retry(next_delay(None));
            return;
        }
    };
    // The handlers belong to the socket (into_js_value: freed with it); `give_up` detaches them.
    let on_open = Closure::<dyn Fn()>::new(move || opened(generation));
    ws.set_onopen(Some(on_open.into_js_value().unchecked_ref()));
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| received(generation, event.data()));
    ws.set_onmessage(Some(on_message.into_js_value().unchecked_ref()));
    let on_close = Closure::<dyn Fn(CloseEvent)>::new(move |event: CloseEvent| closed(generation, Some(event.code())));
    ws.set_onclose(Some(on_close.into_js_value().unchecked_ref()));
    // An error is always followed by a close event, which reconnects.
    with(|live| live.socket = Some(Socket { ws, generation, types, opened_at: None, last_heard: now() }));
    set_status(Status::Connecting);
}

fn is_current(live: &Live, generation: u32) -> bool {
    live.socket.as_ref().is_some_and(|s| s.generation == generation)
}

fn opened(generation: u32) {
    let current = with(|live| {
        let Some(socket) = live.socket.as_mut().filter(|s| s.generation == generation) else { return false };
        socket.opened_at = Some(now());
        socket.last_heard = now();
        true
    });
    if !current {
        return;
    }
    set_status(Status::Open);
    // Types added while the socket was connecting.
    send_new_types();
    // Compositions pushed while the page was disconnected were missed.
    crate::composition::reload_now();
}

/// What a message asks the page to do, decided under the borrow and done after it.
enum Then {
    Nothing,
    Dispatch(f64, JsValue),
    Reset(f64),
    Reload,
}

fn received(generation: u32, data: JsValue) {
    let Some(text) = data.as_string() else { return };
    let Ok(message) = js_sys::JSON::parse(&text) else { return };
    let field = |name: &str| Reflect::get(&message, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let kind = field("type").as_string().unwrap_or_default();
    let position = field("position").as_f64();
    let then = with(|live| {
        if !is_current(live, generation) {
            return Then::Nothing;
        }
        if let Some(socket) = live.socket.as_mut() {
            socket.last_heard = now();
        }
        match (kind.as_str(), position) {
            ("event", Some(position)) => {
                // Processed already (a resumed socket, another socket before this one).
                if live.position.is_some_and(|p| position <= p) {
                    return Then::Nothing;
                }
                live.position = Some(position);
                Then::Dispatch(position, field("event"))
            }
            ("heartbeat", Some(position)) => {
                if live.position.is_none_or(|p| position > p) {
                    live.position = Some(position);
                }
                Then::Nothing
            }
            ("hello", Some(position)) => {
                if live.position.is_none() {
                    live.position = Some(position);
                }
                Then::Nothing
            }
            // The gateway no longer has what follows our position: its position is ours now,
            // even when lower (a hub that started over).
            ("reset", Some(position)) => {
                live.position = Some(position);
                Then::Reset(position)
            }
            ("composition-updated", _) => Then::Reload,
            _ => Then::Nothing,
        }
    });
    match then {
        Then::Nothing => {}
        Then::Dispatch(position, event) => {
            emit("mfe:live", &object(&[("position", position.into()), ("event", event)]));
        }
        Then::Reset(position) => emit("mfe:live-reset", &object(&[("position", position.into())])),
        Then::Reload => crate::composition::reload_now(),
    }
    if matches!(kind.as_str(), "event" | "heartbeat" | "hello" | "reset")
        && let Some(position) = with(|live| live.position)
    {
        store_position(position);
    }
}

/// The socket closed (`code`), or was given up for its silence (`None`).
fn closed(generation: u32, code: Option<u16>) {
    let Some(socket) = with(|live| if is_current(live, generation) { live.socket.take() } else { None }) else { return };
    let healthy = socket.opened_at.is_some_and(|at| now() - at >= HEALTHY_AFTER_MS);
    socket.give_up();
    if healthy {
        with(|live| live.attempt = 0);
    }
    set_status(Status::Closed);
    schedule_retry(next_delay(code));
}

/// Exponential backoff with full jitter: a random wait up to 0.5 s, 1 s, 2 s … 30 s.
fn next_delay(code: Option<u16>) -> f64 {
    if code == Some(SESSION_ENDED) {
        return BACKOFF_MAX_MS;
    }
    let attempt = with(|live| {
        let attempt = live.attempt;
        live.attempt = attempt.saturating_add(1);
        attempt
    });
    let ceiling = (BACKOFF_FIRST_MS * 2f64.powi(attempt.min(16) as i32)).min(BACKOFF_MAX_MS);
    js_sys::Math::random() * ceiling
}

fn schedule_retry(delay_ms: f64) {
    let Some(window) = web_sys::window() else { return };
    let callback = Closure::once_into_js(connect);
    if let Ok(handle) = window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), delay_ms as i32) {
        with(|live| live.retry = Some(handle));
    }
}

/// Once per page: gives up silent sockets, and reconnects at once when the browser is back
/// online instead of waiting out the backoff.
fn install_watchdog() {
    let Some(window) = web_sys::window() else { return };
    let watchdog = Closure::<dyn Fn()>::new(|| {
        let silent = with(|live| live.socket.as_ref().filter(|s| now() - s.last_heard > SILENCE_MS).map(|s| s.generation));
        if let Some(generation) = silent {
            closed(generation, None);
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(watchdog.as_ref().unchecked_ref(), WATCHDOG_EVERY_MS);
    watchdog.forget();

    let online = Closure::<dyn Fn()>::new(|| {
        let waiting = with(|live| if live.socket.is_none() { live.retry.take() } else { None });
        if let (Some(handle), Some(window)) = (waiting, web_sys::window()) {
            window.clear_timeout_with_handle(handle);
            connect();
        }
    });
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();
}

/// Adds `liveSubscribe(types)` and `liveStatus()` to `window.tessera` (installed before).
pub(crate) fn install() {
    let Some(api) = web_sys::window().and_then(|w| Reflect::get(&w, &JsValue::from_str("tessera")).ok()).and_then(|api| api.dyn_into::<Object>().ok()) else {
        return;
    };
    let subscribe = Closure::<dyn Fn(JsValue)>::new(subscribe);
    let _ = Reflect::set(&api, &JsValue::from_str("liveSubscribe"), &subscribe.into_js_value());
    let status = Closure::<dyn Fn() -> String>::new(|| with(|live| live.status.as_str().to_string()));
    let _ = Reflect::set(&api, &JsValue::from_str("liveStatus"), &status.into_js_value());
}

#[cfg(test)]
mod tests {
    use super::valid_type;

    #[test]
    fn only_kebab_case_entity_action_types_are_asked_for() {
        for good in ["order-placed", "menu-item-updated", "order-picked-up"] {
            assert!(valid_type(good), "{good}");
        }
        for bad in ["", "placed", "Order-placed", "order_placed", "order-", "-order", "order--placed", "order-placed,order-ready"] {
            assert!(!valid_type(bad), "{bad}");
        }
    }
}
