//! The shell: a Leptos CSR app that bootstraps independently deployed micro-apps.
//!
//! It fetches the composed manifests, activates apps by route (always-on apps stay mounted),
//! mounts each into its own container through the micro-app contract (`bootstrap`, `mount`,
//! `update`, `unmount`), mounts parcels for apps that ask, isolates failures behind an error
//! slot with Retry, and picks up new compositions in open pages.
//!
//! Layout: [`composition`] (manifests, reloaded when a new one is pushed), [`live`] (the
//! page's live-update socket, re-dispatched as window events), [`offline`] (the service worker:
//! offline pages, the API cache and the outbox), [`loader`] (module loading and
//! lifecycle calls), [`router`] (location, history, link interception), [`app_host`] (one
//! app's container and lifecycle state), [`runtime`] (the `window.tessera` API for apps),
//! [`layout`].

mod app_host;
mod composition;
mod layout;
mod live;
mod loader;
mod offline;
mod router;
mod runtime;

use wasm_bindgen::prelude::*;

/// Runs when the shell's wasm module is instantiated by `index.html`.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let composition = composition::Composition::start();
    let router = router::Router::install();
    runtime::install(composition, router);
    live::install();
    offline::install();
    // Apps mount once the session is known, so none renders a signed-out flash first.
    // The wasm-bindgen executor: Leptos's own spawner is only set up by mounting.
    wasm_bindgen_futures::spawn_local(async move {
        runtime::load_session().await;
        leptos::mount::mount_to_body(move || layout::shell(composition, router));
    });
}
