//! `cart`: the `add-to-cart` parcel inside menu items, and the cart page (customer).
//!
//! Skeleton: the parcel and the page are real and talk through the `cart:item-added` window
//! event; the cart lives in this page's memory until the cart BFF stores it.

use leptos::prelude::*;
use serde::Deserialize;
use tessera_mfe::runtime;
use wasm_bindgen::JsValue;

/// What a host app passes to the `add-to-cart` parcel.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemProps {
    item_id: String,
    name: String,
    price_cents: u32,
}

const MAX_QUANTITY: u32 = 20;

#[component]
fn AddToCart() -> impl IntoView {
    let Some(item) = tessera_mfe::parcel_props::<ItemProps>() else {
        return view! { <span class="badge badge-danger">"Missing item"</span> }.into_any();
    };
    let quantity = RwSignal::new(1u32);
    let added = RwSignal::new(false);
    let label = item.name.clone();
    let add = move |_| {
        runtime::emit(
            "cart:item-added",
            &runtime::object(&[
                ("itemId", JsValue::from_str(&item.item_id)),
                ("name", JsValue::from_str(&item.name)),
                ("priceCents", JsValue::from(item.price_cents)),
                ("quantity", JsValue::from(quantity.get_untracked())),
            ]),
        );
        added.set(true);
    };
    view! {
        <div class="row" role="group" aria-label=format!("Add {label} to cart")>
            <div class="qty">
                <button type="button" class="btn btn-sm btn-secondary" aria-label="One less"
                    disabled={move || quantity.get() <= 1} on:click=move |_| quantity.update(|q| *q = q.saturating_sub(1).max(1))>"−"</button>
                <span aria-live="polite">{move || quantity.get()}</span>
                <button type="button" class="btn btn-sm btn-secondary" aria-label="One more"
                    disabled={move || quantity.get() >= MAX_QUANTITY} on:click=move |_| quantity.update(|q| *q = (*q + 1).min(MAX_QUANTITY))>"+"</button>
            </div>
            <button type="button" class="btn btn-sm btn-primary" on:click=add>
                {move || if added.get() { "Add more" } else { "Add" }}
            </button>
        </div>
    }
    .into_any()
}

#[component]
fn CartPage() -> impl IntoView {
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>"Your cart"</h1>
                    <p class="lede">"Items from one restaurant at a time."</p>
                </div>
            </div>
            <div class="empty-state">
                <h2>"Your cart is empty"</h2>
                <p>"Add dishes from a restaurant's menu and they show up here."</p>
                <a class="btn btn-primary" href="/">"Browse restaurants"</a>
            </div>
        </div>
    }
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let current = props.get_untracked();
    if current.parcel.is_none() {
        runtime::app_ready(&current.name);
    }
    match current.parcel.as_deref() {
        Some("add-to-cart") => view! { <AddToCart/> }.into_any(),
        Some(other) => view! { <span class="badge badge-danger">{format!("Unknown parcel {other}")}</span> }.into_any(),
        None => view! { <CartPage/> }.into_any(),
    }
}

tessera_mfe::export_app!(app);
