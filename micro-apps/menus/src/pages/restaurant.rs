//! `/restaurants/:id`: one restaurant's menu by category, each orderable dish with the cart
//! app's `add-to-cart` parcel.

use leptos::prelude::*;
use tessera_contracts::food::MenuItem;
use tessera_mfe::api::ApiError;
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{BackLink, EmptyState, ErrorBanner, Loading, money, plural};
use tessera_mfe::{Parcel, runtime};
use wasm_bindgen::JsValue;

use crate::api::{self, Category, RestaurantMenu, RestaurantSummary};

/// The page for restaurant `id` (a new one per id, so a different restaurant fetches afresh).
pub(crate) fn page(id: String) -> AnyView {
    view! { <RestaurantPage id/> }.into_any()
}

#[component]
fn RestaurantPage(id: String) -> impl IntoView {
    let props = tessera_mfe::use_props();
    let ready = expect_context::<ReadyMark>();
    let menu = RwSignal::new(None::<Result<RestaurantMenu, ApiError>>);
    let reload = RwSignal::new(0u32);

    Effect::new(move |_| {
        reload.track();
        let request = props.with_untracked(|p| api::restaurant_menu(p, &id));
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            menu.set(Some(request.await));
            ready.mark();
        });
    });
    let retry = Callback::new(move |()| reload.update(|n| *n += 1));

    move || match menu.get() {
        None => view! {
            <div class="page">
                <BackLink href="/" label="All restaurants"/>
                <Loading label="Loading the menu…"/>
            </div>
        }
        .into_any(),
        Some(Err(error)) if error.status == 404 => view! { <NotFound/> }.into_any(),
        Some(Err(error)) => view! {
            <div class="page">
                <BackLink href="/" label="All restaurants"/>
                <ErrorBanner message=error.message retry=retry/>
            </div>
        }
        .into_any(),
        Some(Ok(menu)) => view! { <Menu menu/> }.into_any(),
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <div class="page">
            <EmptyState
                icon="🍽️"
                title="Restaurant not found"
                heading_level=1
                body="It may have closed or changed its address. There are plenty of other kitchens to choose from."
            >
                <a class="btn btn-primary" href="/">"All restaurants"</a>
            </EmptyState>
        </div>
    }
}

#[component]
fn Menu(menu: RestaurantMenu) -> impl IntoView {
    let RestaurantMenu { restaurant, categories } = menu;
    let dishes: usize = categories.iter().map(|c| c.items.len()).sum();
    let emoji = if restaurant.emoji.is_empty() { "🍽️".to_string() } else { restaurant.emoji.clone() };
    let body = if dishes == 0 {
        view! {
            <EmptyState icon="📋" title="No dishes yet" body="This kitchen hasn't published its menu. Try again later or pick another restaurant.">
                <a class="btn btn-secondary" href="/">"All restaurants"</a>
            </EmptyState>
        }
        .into_any()
    } else {
        categories
            .into_iter()
            .filter(|c| !c.items.is_empty())
            .enumerate()
            .map(|(index, category)| view! { <CategorySection index category restaurant=restaurant.clone()/> })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="page menus-restaurant">
            <div class="page-header">
                <div class="menus-heading">
                    <span class="menus-emoji" aria-hidden="true">{emoji}</span>
                    <div class="stack menus-intro">
                        <h1>{restaurant.name.clone()}</h1>
                        {(!restaurant.description.is_empty()).then(|| view! { <p class="lede">{restaurant.description.clone()}</p> })}
                        <div class="card-meta">
                            {(!restaurant.cuisine.is_empty()).then(|| view! { <span class="badge badge-muted">{restaurant.cuisine.clone()}</span> })}
                            <span>{plural(dishes, "dish", "dishes")}</span>
                        </div>
                    </div>
                </div>
                <a class="btn btn-ghost" href="/">"All restaurants"</a>
            </div>
            {body}
        </div>
    }
}

#[component]
fn CategorySection(index: usize, category: Category, restaurant: RestaurantSummary) -> impl IntoView {
    let heading = format!("menu-category-{index}");
    let labelled_by = heading.clone();
    view! {
        <section class="menu-category" aria-labelledby=labelled_by>
            <h2 id=heading>{category.name}</h2>
            <ul role="list">
                {category.items.into_iter().map(|item| view! { <Dish item restaurant=restaurant.clone()/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Dish(item: MenuItem, restaurant: RestaurantSummary) -> impl IntoView {
    let order = if item.available {
        let props = runtime::object(&[
            ("restaurantId", JsValue::from_str(&restaurant.id)),
            ("restaurantName", JsValue::from_str(&restaurant.name)),
            ("itemId", JsValue::from_str(&item.id)),
            ("name", JsValue::from_str(&item.name)),
            // A plain number: an i64 would cross as a BigInt.
            ("priceCents", JsValue::from_f64(item.price_cents as f64)),
        ]);
        view! { <Parcel app="cart" parcel="add-to-cart" props=props/> }.into_any()
    } else {
        view! { <span class="badge badge-muted">"Sold out"</span> }.into_any()
    };
    view! {
        <li class=if item.available { "menu-item" } else { "menu-item is-unavailable" }>
            <div>
                <span class="menu-item-name">{item.name}</span>
                {(!item.description.is_empty()).then(|| view! { <span class="menu-item-desc">{item.description}</span> })}
            </div>
            <div class="row">
                <span class="price">{money(item.price_cents)}</span>
                {order}
            </div>
        </li>
    }
}
