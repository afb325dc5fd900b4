//! `cart`: the `add-to-cart` parcel inside menu items, and the cart page with checkout
//! (customer).
//!
//! Both talk to the cart BFF, which keeps one cart per signed-in customer. After every change
//! the app emits the window event `cart:changed` `{itemCount}` so other parts of the page can
//! refresh; checkout turns the cart into an order and opens `/orders/{id}`.
//!
//! Offline, changes and checkouts are kept by the service worker and sent later; the page
//! shows them at once, marked "Pending sync" and "Order queued" ([`pending`]).
//!
//! Layout: [`api`] (the BFF calls and their views), [`pending`] (queued commands laid over the
//! cart), [`add_to_cart`] (the parcel), [`pages`] (the `/cart` page and its checkout form);
//! this file holds the root that picks what to render and the pieces both share.

mod add_to_cart;
mod api;
mod pages;
mod pending;

use leptos::prelude::*;
use tessera_mfe::runtime::{self, ReadyMark};
use wasm_bindgen::JsValue;

/// Tells the rest of the page the cart changed (`cart:changed` `{itemCount}`).
pub(crate) fn announce(cart: &api::CartView) {
    runtime::emit("cart:changed", &runtime::object(&[("itemCount", JsValue::from_f64(cart.item_count as f64))]));
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let current = props.get_untracked();
    match current.parcel.as_deref() {
        // Parcels never mark the app ready: the host app's data is what the user waits for.
        Some("add-to-cart") => add_to_cart::parcel(),
        Some(other) => view! { <span class="badge badge-danger">{format!("Unknown parcel {other}")}</span> }.into_any(),
        None => {
            provide_context(ReadyMark::new(current.name));
            pages::cart::page()
        }
    }
}

tessera_mfe::export_app!(app);
