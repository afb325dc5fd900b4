//! `cart`: the `add-to-cart` parcel inside menu items, and the cart page with checkout
//! (customer).
//!
//! Both talk to the cart BFF, which keeps one cart per signed-in customer. After every change
//! the app emits the window event `cart:changed` `{itemCount}` so other parts of the page can
//! refresh; checkout turns the cart into an order and opens `/orders/{id}`.
//!
//! Layout: [`api`] (the BFF calls and their views), [`add_to_cart`] (the parcel), [`pages`]
//! (the `/cart` page and its checkout form); this file holds the root that picks what to
//! render and the pieces both share.

mod add_to_cart;
mod api;
mod pages;

use leptos::prelude::*;
use tessera_mfe::runtime;
use wasm_bindgen::JsValue;

/// Tells the shell this instance's first data is on screen: once, after the browser painted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyMark(StoredValue<Option<String>>);

impl ReadyMark {
    fn new(app: String) -> Self {
        Self(StoredValue::new(Some(app)))
    }

    pub(crate) fn mark(self) {
        if let Some(app) = self.0.try_update_value(Option::take).flatten() {
            request_animation_frame(move || runtime::app_ready(&app));
        }
    }
}

/// Tells the rest of the page the cart changed (`cart:changed` `{itemCount}`).
pub(crate) fn announce(cart: &api::CartView) {
    runtime::emit("cart:changed", &runtime::object(&[("itemCount", JsValue::from_f64(cart.item_count as f64))]));
}

/// The host's sign-in page, coming back to `return_to` afterwards.
pub(crate) fn sign_in_href(return_to: &str) -> String {
    format!("/auth/login?returnTo={return_to}")
}

/// What a signed-out customer sees instead of a cart.
#[component]
fn SignInPrompt(#[prop(into)] return_to: String) -> impl IntoView {
    view! {
        <div class="empty-state">
            <span class="empty-state-icon" aria-hidden="true">"🔑"</span>
            <h2>"Sign in to see your cart"</h2>
            <p>"Your cart is kept with your account, so the dishes you pick are there on every device."</p>
            // A full page load: signing in is the host's page, not a micro-app route.
            <a class="btn btn-primary" href=sign_in_href(&return_to) data-external="">"Sign in"</a>
        </div>
    }
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
