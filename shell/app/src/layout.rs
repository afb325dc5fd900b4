//! The page layout: always-on apps in their slots, the routed app in `main`, a not-found page.

use std::cell::Cell;
use std::collections::BTreeMap;

use leptos::prelude::*;
use tessera_manifests::{Activation, AppEntry};
use wasm_bindgen::prelude::*;

use crate::app_host::AppHost;
use crate::composition::{Composition, State};
use crate::router::Router;
use crate::runtime;

fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Sets `mfe:first-mounted` once per page load, when the routed app reports its first data.
fn watch_first_data(active: Memo<Option<AppEntry>>) {
    thread_local! { static DONE: Cell<bool> = const { Cell::new(false) }; }
    let on_ready = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
        let app = js_sys::Reflect::get(&event.detail(), &"app".into()).ok().and_then(|v| v.as_string());
        let is_active = active.with_untracked(|a| a.as_ref().map(|a| &a.name) == app.as_ref());
        if is_active && !DONE.with(|d| d.replace(true)) {
            mark("mfe:first-mounted");
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.add_event_listener_with_callback("mfe:app-ready", on_ready.as_ref().unchecked_ref());
    }
    on_ready.forget();
}

pub(crate) fn shell(composition: Composition, router: Router) -> impl IntoView {
    let active = Memo::new(move |_| {
        let path = router.path.get();
        composition.apps().and_then(|apps| apps.route(&path).map(|(app, _)| app.clone()))
    });
    let route = Signal::derive(move || {
        let path = router.path.get();
        let params = composition.apps().and_then(|apps| apps.route(&path).map(|(_, params)| params)).unwrap_or_default();
        (path, params)
    });
    let always = Memo::new(move |_| {
        composition
            .apps()
            .map(|apps| {
                apps.apps
                    .into_iter()
                    .filter_map(|app| match &app.activation {
                        Activation::Always { slot } => Some((slot.clone(), app.clone())),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    watch_first_data(active);

    Effect::new(move |_| runtime::route_changed(&router.path.get()));
    Effect::new(move |was_ready: Option<bool>| {
        let ready = composition.state.with(|s| matches!(s, State::Ready(_)));
        if ready && was_ready != Some(true) {
            mark("mfe:shell-ready");
        }
        ready
    });

    let no_params = Signal::derive(move || (router.path.get(), BTreeMap::new()));
    let slot_apps = move |slot: &'static str| {
        move || {
            always
                .get()
                .into_iter()
                .filter(|(s, _)| if slot == "nav" { s == "nav" } else { s != "nav" })
                .map(|(_, app)| view! { <AppHost app=app area=slot route=no_params/> })
                .collect_view()
        }
    };

    let main = move || match composition.state.get() {
        State::Loading => view! {
            <div class="mfe-loading" role="status"><span class="spinner" aria-hidden="true"></span><span>"Loading…"</span></div>
        }
        .into_any(),
        State::Failed(message) => view! {
            <div class="error-slot" role="alert">
                <h2>"This site could not start"</h2>
                <p class="muted">"The list of apps could not be loaded. It is retried every few seconds."</p>
                <code>{message}</code>
            </div>
        }
        .into_any(),
        State::Ready(_) => match active.get() {
            Some(app) => match runtime::access(app.activation.roles()) {
                runtime::Access::Allowed => view! { <AppHost app=app area="main" route=route/> }.into_any(),
                runtime::Access::SignIn => {
                    // A protected page: sign in, then come back here.
                    let path = router.path.get_untracked();
                    let href = format!("/auth/login?returnTo={}", String::from(js_sys::encode_uri_component(&path)));
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().replace(&href);
                    }
                    view! {
                        <div class="mfe-loading" role="status"><span class="spinner" aria-hidden="true"></span><span>"Taking you to sign in…"</span></div>
                    }
                    .into_any()
                }
                runtime::Access::Denied { name } => view! {
                    <div class="notfound">
                        <h1>"This page is not for your account"</h1>
                        <p>{format!("You are signed in as {name}, and this page needs a {} account.", app.activation.roles().join(" or "))}</p>
                        <a class="btn btn-primary" href="/">"Go to the start page"</a>
                    </div>
                }
                .into_any(),
            },
            None => view! {
                <div class="notfound">
                    <h1>"Page not found"</h1>
                    <p>"Nothing lives at this address. It may have moved, or the app that served it was removed."</p>
                    <a class="btn btn-primary" href="/">"Go to the start page"</a>
                </div>
            }
            .into_any(),
        },
    };

    view! {
        <div class="shell">
            <div id="slot-nav" class="slot slot-nav">{slot_apps("nav")}</div>
            <main id="slot-main" class="slot slot-main">{main}</main>
            <div class="slot slot-extra">{slot_apps("extra")}</div>
        </div>
    }
}
