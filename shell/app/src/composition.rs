//! The current composition: `/apps.json` and `/mount-points.json`, refreshed in open pages.
//!
//! The host pushes `composition-updated` over the live socket, and the shell then reloads
//! `/apps.json` at once ([`reload_now`]), as it does whenever the socket (re)opens (pushes may
//! have been missed meanwhile). A slow poll stays as the safety net. Every load is
//! conditional (`If-None-Match`): a 304 costs nothing, and a new version brings new apps,
//! routes and nav entries without a reload.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use leptos::prelude::*;
use tessera_manifests::{AppsManifest, MountPoints};
use wasm_bindgen::JsValue;

use crate::loader::{await_promise, fetch_json};

/// The safety net under the pushes.
const POLL_INTERVAL: Duration = Duration::from_secs(60);
/// Until a composition is loaded, and after a failed load.
const RETRY_INTERVAL: Duration = Duration::from_secs(3);

thread_local! {
    /// Ends the current wait between loads early.
    static WAKE: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    /// A reload asked for while a load was running: load again right after it.
    static ASKED: Cell<bool> = const { Cell::new(false) };
}

/// Reloads the composition now (a push said it changed, or pushes may have been missed).
pub(crate) fn reload_now() {
    match WAKE.with(|w| w.borrow_mut().take()) {
        Some(wake) => {
            let _ = wake.call0(&JsValue::NULL);
        }
        None => ASKED.with(|a| a.set(true)),
    }
}

/// Waits `duration`, or less when [`reload_now`] is called meanwhile.
async fn wait(duration: Duration) {
    if ASKED.with(|a| a.replace(false)) {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, duration.as_millis() as i32);
        }
        WAKE.with(|w| *w.borrow_mut() = Some(resolve));
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    WAKE.with(|w| w.borrow_mut().take());
}

/// A loaded composition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Loaded {
    pub(crate) apps: AppsManifest,
    pub(crate) mount_points: MountPoints,
}

/// The composition as the page knows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum State {
    Loading,
    Ready(Loaded),
    /// The first load failed (later failures keep the last good composition).
    Failed(String),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Composition {
    pub(crate) state: RwSignal<State>,
}

impl Composition {
    /// Loads the composition and keeps it fresh for the life of the page.
    pub(crate) fn start() -> Self {
        let this = Self { state: RwSignal::new(State::Loading) };
        // wasm-bindgen's executor directly: Leptos's is only set up by the first mount.
        wasm_bindgen_futures::spawn_local(async move {
            let mut etag: Option<String> = None;
            loop {
                let failed = match fetch(etag.clone()).await {
                    Ok(Some((loaded, new_etag))) => {
                        etag = new_etag;
                        let changed = this.state.with_untracked(|s| !matches!(s, State::Ready(current) if *current == loaded));
                        if changed {
                            crate::runtime::composition_changed(&loaded);
                            crate::live::composition_changed(&loaded.apps);
                            this.state.set(State::Ready(loaded));
                        }
                        false
                    }
                    Ok(None) => false,
                    Err(message) => {
                        if this.state.with_untracked(|s| !matches!(s, State::Ready(_))) {
                            this.state.set(State::Failed(message));
                        }
                        true
                    }
                };
                wait(if failed { RETRY_INTERVAL } else { POLL_INTERVAL }).await;
            }
        });
        this
    }

    pub(crate) fn apps(&self) -> Option<AppsManifest> {
        self.state.with(|s| match s {
            State::Ready(loaded) => Some(loaded.apps.clone()),
            _ => None,
        })
    }

    pub(crate) fn apps_untracked(&self) -> Option<AppsManifest> {
        self.state.with_untracked(|s| match s {
            State::Ready(loaded) => Some(loaded.apps.clone()),
            _ => None,
        })
    }
}

/// Fetches `/apps.json` (conditionally) and, when it changed, `/mount-points.json`.
async fn fetch(etag: Option<String>) -> Result<Option<(Loaded, Option<String>)>, String> {
    let answer = await_promise(fetch_json("/apps.json", etag)).await?;
    if get(&answer, "status").as_f64() == Some(304.0) {
        return Ok(None);
    }
    let apps: AppsManifest = serde_wasm_bindgen::from_value(get(&answer, "body")).map_err(|e| format!("apps.json: {e}"))?;
    let new_etag = get(&answer, "etag").as_string();
    let points = await_promise(fetch_json("/mount-points.json", None)).await?;
    let mount_points: MountPoints = serde_wasm_bindgen::from_value(get(&points, "body")).map_err(|e| format!("mount-points.json: {e}"))?;
    Ok(Some((Loaded { apps, mount_points }, new_etag)))
}

fn get(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
