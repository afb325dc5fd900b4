//! `nav`: the always-on app that frames every page: the header with the product name, the
//! connection status and the sign-in area, and the left navigation built from the
//! `left-nav` mount point (filtered by role once a session exists).

use leptos::prelude::*;
use serde::Deserialize;
use tessera_mfe::runtime;
use wasm_bindgen::JsValue;

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

/// The signed-in user's roles, or `None` while there is no session.
fn session_roles() -> Option<Vec<String>> {
    let session = call("session");
    if session.is_null() || session.is_undefined() {
        return None;
    }
    let roles = js_sys::Reflect::get(&session, &JsValue::from_str("roles")).ok()?;
    serde_wasm_bindgen::from_value(roles).ok()
}

fn left_nav() -> Vec<NavEntry> {
    let points: MountPoints = serde_wasm_bindgen::from_value(call("mountPoints")).unwrap_or_default();
    let roles = session_roles();
    points
        .mount_points
        .get("left-nav")
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|entry| match &roles {
            None => true,
            Some(roles) => entry.roles.is_empty() || entry.roles.iter().any(|r| roles.contains(r)),
        })
        .collect()
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
    let entries = RwSignal::new(left_nav());
    let path = RwSignal::new(props.get_untracked().path);
    let online = RwSignal::new(web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true));
    let version = RwSignal::new(call("version").as_string().unwrap_or_default());

    runtime::use_window_event("mfe:composition", move |_| {
        entries.set(left_nav());
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
            <div class="status" role="status" aria-live="polite">
                <span class=move || if online.get() { "status-dot is-online" } else { "status-dot is-offline" } aria-hidden="true"></span>
                <span class="status-text">
                    {move || if online.get() { "Online" } else { "Offline" }}
                    {move || {
                        let v = version.get();
                        (!v.is_empty()).then(|| format!(" · build {}", &v[..v.len().min(7)]))
                    }}
                </span>
            </div>
            <div class="session">
                <span class="muted">"Guest"</span>
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
