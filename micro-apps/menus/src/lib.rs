//! `menus`: browse restaurants and their menus (customer).
//!
//! Skeleton: the routes, pages and the `add-to-cart` parcel are real; the restaurants shown
//! are a built-in preview until the menus BFF serves the view built from restaurant events.

use leptos::prelude::*;
use tessera_mfe::{Parcel, runtime};
use wasm_bindgen::JsValue;

struct PreviewItem {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    price_cents: u32,
}

struct PreviewRestaurant {
    id: &'static str,
    name: &'static str,
    cuisine: &'static str,
    emoji: &'static str,
    items: &'static [PreviewItem],
}

const PREVIEW: &[PreviewRestaurant] = &[
    PreviewRestaurant {
        id: "trattoria-roma",
        name: "Trattoria Roma",
        cuisine: "Italian",
        emoji: "🍝",
        items: &[
            PreviewItem { id: "margherita", name: "Pizza Margherita", description: "Tomato, fior di latte, basil", price_cents: 1150 },
            PreviewItem { id: "carbonara", name: "Spaghetti Carbonara", description: "Guanciale, pecorino, egg yolk", price_cents: 1390 },
        ],
    },
    PreviewRestaurant {
        id: "sakura-sushi",
        name: "Sakura Sushi",
        cuisine: "Japanese",
        emoji: "🍣",
        items: &[PreviewItem { id: "salmon-nigiri", name: "Salmon nigiri (6)", description: "Scottish salmon, seasoned rice", price_cents: 980 }],
    },
    PreviewRestaurant {
        id: "green-bowl",
        name: "Green Bowl",
        cuisine: "Vegan",
        emoji: "🥗",
        items: &[PreviewItem { id: "buddha-bowl", name: "Buddha bowl", description: "Quinoa, roasted squash, tahini", price_cents: 1090 }],
    },
];

fn money(cents: u32) -> String {
    format!("€{}.{:02}", cents / 100, cents % 100)
}

#[component]
fn RestaurantList() -> impl IntoView {
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>"Restaurants"</h1>
                    <p class="lede">"Pick a kitchen near you. This is a preview until the menus service is connected."</p>
                </div>
            </div>
            <ul class="card-grid" role="list">
                {PREVIEW.iter().map(|r| view! {
                    <li class="card">
                        <a href=format!("/restaurants/{}", r.id) class="stack">
                            <div class="card-media" aria-hidden="true">{r.emoji}</div>
                            <span class="card-title">{r.name}</span>
                            <span class="card-meta"><span class="badge badge-muted">{r.cuisine}</span></span>
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

#[component]
fn RestaurantPage(id: String) -> impl IntoView {
    let Some(restaurant) = PREVIEW.iter().find(|r| r.id == id) else {
        return view! {
            <div class="empty-state">
                <h2>"Restaurant not found"</h2>
                <p>"It may have closed or moved."</p>
                <a class="btn btn-primary" href="/">"All restaurants"</a>
            </div>
        }
        .into_any();
    };
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>{restaurant.name}</h1>
                    <p class="lede">{restaurant.cuisine}</p>
                </div>
                <a class="btn btn-ghost" href="/">"All restaurants"</a>
            </div>
            <section class="menu-category card">
                <h2>"Menu"</h2>
                <ul class="list" role="list">
                    {restaurant.items.iter().map(|item| {
                        let props = runtime::object(&[
                            ("restaurantId", JsValue::from_str(restaurant.id)),
                            ("itemId", JsValue::from_str(item.id)),
                            ("name", JsValue::from_str(item.name)),
                            ("priceCents", JsValue::from(item.price_cents)),
                        ]);
                        view! {
                            <li class="menu-item">
                                <div>
                                    <div class="menu-item-name">{item.name}</div>
                                    <div class="menu-item-desc">{item.description}</div>
                                </div>
                                <div class="row">
                                    <span class="price">{money(item.price_cents)}</span>
                                    <Parcel app="cart" parcel="add-to-cart" props=props/>
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
    .into_any()
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    runtime::app_ready(&props.get_untracked().name);
    move || match props.get().param("id") {
        Some(id) => view! { <RestaurantPage id=id.to_string()/> }.into_any(),
        None => view! { <RestaurantList/> }.into_any(),
    }
}

tessera_mfe::export_app!(app);
