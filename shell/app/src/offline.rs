//! Offline support in the page: registers the service worker (`public/sw.js`) and relays what
//! it reports to the apps (`mfe:offline`, `mfe:outbox`) and `window.tessera` (`offline()`,
//! `outbox()`, `syncNow()`, `discard(store, id)`, `applyUpdate()`). docs/offline.md is the
//! design.
//!
//! The page's side lives in `offline.js`: it only passes the worker's plain messages on.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/offline.js")]
extern "C" {
    fn install_offline();
}

/// Registers the worker and adds the offline API to `window.tessera` (installed before).
pub(crate) fn install() {
    install_offline();
}
