//! `nav`: the always-on app that frames every page: the header with the product name, the
//! connection status (the browser's network, whether the backend answers the service worker,
//! syncing, and the live-update connection), the sync area (outbox and inbox, "Sync now", a
//! newer build to reload into: [`sync`]) and the sign-in area, and the left navigation built
//! from the `left-nav` mount point (filtered by the signed-in user's roles).

mod sync;

use leptos::prelude::*;
use serde::Deserialize;
use tessera_mfe::live::{LiveStatus, use_live_status};
use tessera_mfe::offline::{Backend, use_offline_state};
use tessera_mfe::{Session, runtime};
use wasm_bindgen::JsValue;

/// How long the live connection must be down before the status area says so.
const LIVE_STATUS_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

/// What the status area says: the dot's class, the word shown, and the sentence for
/// assistive technology and the tooltip. The browser's network first, then whether the
/// backend answers (`backend_down`: the service worker's view, a host or service that is down
/// while the network is fine), then the outbox being sent, then the live connection.
fn connection(online: bool, backend_down: bool, syncing: bool, live: LiveStatus) -> (&'static str, &'static str, &'static str) {
    match (online, backend_down, syncing, live) {
        (false, ..) => (
            "status-dot is-offline",
            "Offline",
            "You are offline. What you saw last stays readable, and changes you make are sent once you are back online.",
        ),
        (true, true, false, _) => (
            "status-dot is-offline",
            "Offline",
            "The service can't be reached. What you saw last stays readable, and changes you make are sent once it is back.",
        ),
        (true, _, true, _) => ("status-dot is-syncing", "Syncing…", "Sending the changes you made offline."),
        (true, _, _, LiveStatus::Open) => ("status-dot is-online", "Live", "Online, and updates appear as they happen."),
        (true, _, _, LiveStatus::Connecting) => ("status-dot is-syncing", "Connecting…", "Online; connecting to live updates."),
        (true, _, _, LiveStatus::Closed) => {
            ("status-dot is-offline", "Offline", "Live updates are paused: the server can't be reached. Reconnecting automatically.")
        }
    }
}

/// One `left-nav` entry from `/mount-points.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct NavEntry {
    key: String,
    content: String,
    #[serde(default)]
    icon: Option<String>,
    to: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct MountPoints {
    #[serde(rename = "mount-points", default)]
    mount_points: std::collections::BTreeMap<String, Vec<NavEntry>>,
}

fn call(method: &str) -> JsValue {
    let Some(runtime) = runtime::shell_runtime() else { return JsValue::NULL };
    js_sys::Reflect::get(&runtime, &JsValue::from_str(method))
        .ok()
        .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok())
        .and_then(|f| f.call0(&runtime).ok())
        .unwrap_or(JsValue::NULL)
}

/// The entries this session may see: signed-in users by their roles; guests what a customer
/// sees (browsing is open, ordering asks them to sign in).
fn left_nav(session: &Session) -> Vec<NavEntry> {
    let points: MountPoints = serde_wasm_bindgen::from_value(call("mountPoints")).unwrap_or_default();
    let visible = |entry: &NavEntry| {
        entry.roles.is_empty()
            || if session.signed_in { entry.roles.iter().any(|r| session.has_role(r)) } else { entry.roles.iter().any(|r| r == "customer") }
    };
    points.mount_points.get("left-nav").cloned().unwrap_or_default().into_iter().filter(visible).collect()
}

/// The sign-in area: who is signed in and a way out, or a way in that comes back here.
#[component]
fn SessionArea(session: RwSignal<Session>, path: RwSignal<String>) -> impl IntoView {
    move || {
        let current = session.get();
        if current.signed_in {
            let initial = current.name.chars().next().unwrap_or('?').to_string();
            view! {
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="session-name">{current.name.clone()}</span>
                <form method="post" action="/auth/logout">
                    <button type="submit" class="btn btn-sm btn-ghost">"Sign out"</button>
                </form>
            }
            .into_any()
        } else {
            let href = format!("/auth/login?returnTo={}", js_sys::encode_uri_component(&path.get()));
            view! { <a class="btn btn-sm btn-primary" href=href>"Sign in"</a> }.into_any()
        }
    }
}

/// The entry for the current path: the one whose `to` is the longest prefix of it.
fn current_key(entries: &[NavEntry], path: &str) -> Option<String> {
    entries
        .iter()
        .filter(|e| e.to == "/" || path == e.to || path.starts_with(&format!("{}/", e.to.trim_end_matches('/'))))
        .max_by_key(|e| e.to.len())
        .map(|e| e.key.clone())
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let session = tessera_mfe::use_session();
    let entries = RwSignal::new(left_nav(&session.get_untracked()));
    Effect::new(move |_| entries.set(left_nav(&session.get())));
    let path = RwSignal::new(props.get_untracked().path);
    let online = RwSignal::new(web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true));
    let live = use_live_status();
    // A short reconnect (a restarted host, a flaky network) is not worth announcing: losing
    // the connection shows after a moment, regaining it at once.
    let shown_live = RwSignal::new(live.get_untracked());
    Effect::new(move |_| {
        let now = live.get();
        if now == LiveStatus::Open {
            shown_live.set(now);
        } else {
            set_timeout(
                move || {
                    if live.try_get_untracked() == Some(now) {
                        shown_live.try_set(now);
                    }
                },
                LIVE_STATUS_DELAY,
            );
        }
    });
    let offline = use_offline_state();
    // The worker's `down` stands until its next API answer, which may come a while after the
    // host is back: a live socket opened since then says the backend answers again.
    let down_since = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        let down = offline.with(|o| o.backend == Backend::Down);
        if !down {
            down_since.set(None);
        } else if down_since.get_untracked().is_none() {
            down_since.set(Some(js_sys::Date::now()));
        }
    });
    let open_since = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        let open = live.get() == LiveStatus::Open;
        open_since.set(open.then(|| open_since.get_untracked().unwrap_or_else(js_sys::Date::now)));
    });
    let backend_down = Memo::new(move |_| match (down_since.get(), open_since.get()) {
        (Some(down), Some(open)) => down > open,
        (down, _) => down.is_some(),
    });
    let status = Memo::new(move |_| connection(online.get(), backend_down.get(), offline.with(|o| o.syncing), shown_live.get()));
    let waiting = Memo::new(move |_| offline.with(|o| sync::waiting_sentence(o.pending)));
    let version = RwSignal::new(call("version").as_string().unwrap_or_default());

    runtime::use_window_event("mfe:composition", move |_| {
        entries.set(left_nav(&session.get_untracked()));
        version.set(call("version").as_string().unwrap_or_default());
    });
    runtime::use_window_event("mfe:route", move |detail| {
        if let Some(p) = js_sys::Reflect::get(&detail, &JsValue::from_str("path")).ok().and_then(|v| v.as_string()) {
            path.set(p);
        }
    });
    runtime::use_window_event("online", move |_| online.set(true));
    runtime::use_window_event("offline", move |_| online.set(false));
    let current = Memo::new(move |_| entries.with(|e| current_key(e, &path.get())));
    runtime::app_ready(&props.get_untracked().name);

    view! {
        <header class="topbar">
            <a class="brand" href="/" aria-label="Tessera Eats, home">
                <span class="brand-mark" aria-hidden="true">"T"</span>
                <span>"Tessera Eats"</span>
            </a>
            <span class="spacer"></span>
            <div class="status" role="status" aria-live="polite" title=move || status.get().2>
                <span class=move || status.get().0 aria-hidden="true"></span>
                <span class="status-text">
                    {move || status.get().1}
                    <span class="visually-hidden">
                        {move || format!(" ({}{})", status.get().2, waiting.get().map(|w| format!(" {w}")).unwrap_or_default())}
                    </span>
                    {move || {
                        let v = version.get();
                        (!v.is_empty()).then(|| format!(" · build {}", &v[..v.len().min(7)]))
                    }}
                </span>
            </div>
            {sync::sync_area(offline, path)}
            <div class="session">
                <SessionArea session=session path=path/>
            </div>
        </header>
        <nav class="sidenav" aria-label="Main">
            <ul class="nav-list">
                <For each=move || entries.get() key=|e| e.key.clone() let:entry>
                    <li>
                        <a
                            class="nav-link"
                            href=entry.to.clone()
                            aria-current=move || (current.get().as_deref() == Some(entry.key.as_str())).then_some("page")
                        >
                            <span class="nav-icon" aria-hidden="true">{entry.icon.clone().unwrap_or_default()}</span>
                            <span class="nav-label">{entry.content.clone()}</span>
                        </a>
                    </li>
                </For>
            </ul>
        </nav>
    }
}

tessera_mfe::export_app!(app);
