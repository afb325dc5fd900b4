//! The location as a signal, history navigation, and interception of same-origin links so
//! that apps can render plain `<a href>`s.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{HtmlAnchorElement, MouseEvent};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Router {
    pub(crate) path: RwSignal<String>,
}

fn current_path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/".into())
}

impl Router {
    /// Tracks `popstate`, intercepts link clicks and `mfe:navigate` events.
    pub(crate) fn install() -> Self {
        let this = Self { path: RwSignal::new(current_path()) };
        let window = web_sys::window().expect("a window");

        let on_pop = Closure::<dyn Fn()>::new(move || this.path.set(current_path()));
        let _ = window.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
        on_pop.forget();

        let on_click = Closure::<dyn Fn(MouseEvent)>::new(move |event: MouseEvent| {
            if event.default_prevented() || event.button() != 0 || event.meta_key() || event.ctrl_key() || event.shift_key() || event.alt_key() {
                return;
            }
            let Some(anchor) = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("a[href]").ok().flatten())
                .and_then(|e| e.dyn_into::<HtmlAnchorElement>().ok())
            else {
                return;
            };
            let same_origin = web_sys::window().and_then(|w| w.location().origin().ok()).is_some_and(|o| o == anchor.origin());
            // The host's own pages (sign-in) and APIs load for real, not through the router.
            let host_owned = ["/auth/", "/api/", "/_deploy/"].iter().any(|p| anchor.pathname().starts_with(p));
            if !same_origin || host_owned || !anchor.target().is_empty() || anchor.has_attribute("download") || anchor.has_attribute("data-external") {
                return;
            }
            event.prevent_default();
            this.navigate(&format!("{}{}{}", anchor.pathname(), anchor.search(), anchor.hash()));
        });
        let document = window.document().expect("a document");
        let _ = document.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        on_click.forget();

        let on_navigate = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            if let Some(to) = js_sys::Reflect::get(&event.detail(), &"to".into()).ok().and_then(|v| v.as_string()) {
                this.navigate(&to);
            }
        });
        let _ = window.add_event_listener_with_callback("mfe:navigate", on_navigate.as_ref().unchecked_ref());
        on_navigate.forget();
        this
    }

    /// Pushes a same-site path onto the history and activates what it routes to.
    pub(crate) fn navigate(&self, to: &str) {
        if !to.starts_with('/') || to.starts_with("//") {
            return;
        }
        let Some(window) = web_sys::window() else { return };
        if let Ok(history) = window.history() {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
        }
        let path = current_path();
        if self.path.get_untracked() != path {
            self.path.set(path);
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
    }
}
