//! `/restaurants/:id`: one restaurant's menu by category, each orderable dish with the cart
//! app's `add-to-cart` parcel.
//!
//! The menu follows the restaurant's events pushed live: a dish's price, description or
//! availability changes in place (its row and parcel stay), new dishes appear, removed ones
//! leave, and the restaurant's own details follow `restaurant-updated`. Every dish carries a
//! version, shared by its updates and its removal, so the newest state always wins, whatever
//! arrives first: an event or the BFF's answer ([`Pushed`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use leptos::prelude::*;
use tessera_contracts::food::{self, MenuItem, Restaurant};
use tessera_mfe::api::ApiError;
use tessera_mfe::live::{LiveEvent, use_live_events, use_live_reset};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{BackLink, EmptyState, ErrorBanner, Loading, money, plural};
use tessera_mfe::{Parcel, runtime};
use wasm_bindgen::JsValue;

use crate::api::{self, Category, RestaurantMenu};
use crate::pages::MENU_EVENTS;

/// The page for restaurant `id` (a new one per id, so a different restaurant fetches afresh).
pub(crate) fn page(id: String) -> AnyView {
    view! { <RestaurantPage id/> }.into_any()
}

/// Puts a dish into the menu, or takes it out, unless the menu has it in this version or a
/// newer one; whether the menu changed. Dishes are ordered and grouped as the BFF does: by
/// position (then name, id), categories in the order of their first dish.
fn apply_dish(menu: &mut RestaurantMenu, dish: &MenuItem, removed: bool) -> bool {
    let current = menu.categories.iter().flat_map(|c| &c.items).find(|i| i.id == dish.id);
    match current {
        Some(current) if current.version >= dish.version => return false,
        None if removed => return false,
        _ => {}
    }
    let mut dishes: Vec<MenuItem> = menu.categories.drain(..).flat_map(|c| c.items).filter(|i| i.id != dish.id).collect();
    if !removed {
        dishes.push(dish.clone());
    }
    dishes.sort_by(|a, b| (a.position, &a.name, &a.id).cmp(&(b.position, &b.name, &b.id)));
    for dish in dishes {
        match menu.categories.iter_mut().find(|c| c.name == dish.category) {
            Some(category) => category.items.push(dish),
            None => menu.categories.push(Category { name: dish.category.clone(), items: vec![dish] }),
        }
    }
    true
}

/// What an event changes on one restaurant's page.
#[derive(Debug, Clone)]
enum Change {
    Restaurant(Restaurant),
    Dish { dish: MenuItem, removed: bool },
}

impl Change {
    /// The change `event` brings to the page of restaurant `id`, if any.
    fn of(id: &str, event: &LiveEvent) -> Option<Self> {
        match event.kind.as_str() {
            food::RESTAURANT_UPDATED => event.entity::<Restaurant>("restaurant").filter(|r| r.id == id).map(Self::Restaurant),
            kind @ (food::MENU_ITEM_UPDATED | food::MENU_ITEM_REMOVED) => {
                let dish = event.entity::<MenuItem>("menuItem").filter(|d| d.restaurant_id == id)?;
                Some(Self::Dish { dish, removed: kind == food::MENU_ITEM_REMOVED })
            }
            _ => None,
        }
    }

    /// Applies the change to `menu`; whether it changed.
    fn apply(&self, menu: &mut RestaurantMenu) -> bool {
        match self {
            Self::Restaurant(restaurant) => {
                let summary = &mut menu.restaurant;
                summary.name.clone_from(&restaurant.name);
                summary.cuisine.clone_from(&restaurant.cuisine);
                summary.description.clone_from(&restaurant.description);
                summary.emoji.clone_from(&restaurant.emoji);
                true
            }
            Self::Dish { dish, removed } => apply_dish(menu, dish, *removed),
        }
    }
}

/// The newest state pushed live of the restaurant and of each dish, laid over every answer:
/// the BFF may answer before it has processed an event.
#[derive(Debug, Clone, Default)]
struct Pushed {
    restaurant: Option<Restaurant>,
    dishes: BTreeMap<String, Change>,
}

impl Pushed {
    /// Keeps a change if it is newer than what was pushed before; whether it was.
    fn take(&mut self, change: &Change) -> bool {
        match change {
            Change::Restaurant(restaurant) => {
                if self.restaurant.as_ref().is_some_and(|known| known.version >= restaurant.version) {
                    return false;
                }
                self.restaurant = Some(restaurant.clone());
            }
            Change::Dish { dish, .. } => {
                if matches!(self.dishes.get(&dish.id), Some(Change::Dish { dish: known, .. }) if known.version >= dish.version) {
                    return false;
                }
                self.dishes.insert(dish.id.clone(), change.clone());
            }
        }
        true
    }

    fn over(&self, menu: &mut RestaurantMenu) {
        if let Some(restaurant) = &self.restaurant {
            Change::Restaurant(restaurant.clone()).apply(menu);
        }
        for change in self.dishes.values() {
            change.apply(menu);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Loading,
    NotFound,
    Failed(String),
    Shown,
}

#[component]
fn RestaurantPage(id: String) -> impl IntoView {
    let props = tessera_mfe::use_props();
    let ready = expect_context::<ReadyMark>();
    let menu = RwSignal::new(None::<Result<RestaurantMenu, ApiError>>);
    let pushed = StoredValue::new(Pushed::default());
    let reload = RwSignal::new(0u32);
    let restaurant_id = StoredValue::new(id.clone());

    Effect::new(move |_| {
        reload.track();
        let request = props.with_untracked(|p| api::restaurant_menu(p, &id));
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let mut answer = request.await;
            if let Ok(fresh) = answer.as_mut() {
                pushed.with_value(|pushed| pushed.over(fresh));
            }
            // A failed refetch (after a reset) keeps the menu on screen.
            if answer.is_ok() || !menu.with_untracked(|m| matches!(m, Some(Ok(_)))) {
                menu.set(Some(answer));
            }
            ready.mark();
        });
    });
    use_live_events(MENU_EVENTS, move |event| {
        let Some(change) = restaurant_id.with_value(|id| Change::of(id, &event)) else { return };
        if pushed.try_update_value(|pushed| pushed.take(&change)) != Some(true) {
            return;
        }
        // Before the first answer, the change waits in `pushed` for it.
        menu.maybe_update(|menu| match menu {
            Some(Ok(menu)) => change.apply(menu),
            _ => false,
        });
    });
    use_live_reset(move || reload.update(|n| *n += 1));
    let retry = Callback::new(move |()| reload.update(|n| *n += 1));

    let phase = Memo::new(move |_| {
        menu.with(|m| match m {
            None => Phase::Loading,
            Some(Err(error)) if error.status == 404 => Phase::NotFound,
            Some(Err(error)) => Phase::Failed(error.message.clone()),
            Some(Ok(_)) => Phase::Shown,
        })
    });
    let shown = Memo::new(move |_| menu.with(|m| m.as_ref().and_then(|m| m.as_ref().ok()).cloned()));

    move || match phase.get() {
        Phase::Loading => view! {
            <div class="page">
                <BackLink href="/" label="All restaurants"/>
                <Loading label="Loading the menu…"/>
            </div>
        }
        .into_any(),
        Phase::NotFound => view! { <NotFound/> }.into_any(),
        Phase::Failed(message) => view! {
            <div class="page">
                <BackLink href="/" label="All restaurants"/>
                <ErrorBanner message retry=retry/>
            </div>
        }
        .into_any(),
        Phase::Shown => view! { <Menu menu=shown/> }.into_any(),
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

/// The menu, following `menu` in place: only what changed re-renders, so a dish's parcel
/// (and whatever the customer is doing in it) stays while its price changes.
#[component]
fn Menu(menu: Memo<Option<RestaurantMenu>>) -> impl IntoView {
    let read = move |f: fn(&RestaurantMenu) -> String| menu.with(|m| m.as_ref().map(f).unwrap_or_default());
    let dishes = Memo::new(move |_| menu.with(|m| m.as_ref().map_or(0, |m| m.categories.iter().map(|c| c.items.len()).sum::<usize>())));
    let categories = Memo::new(move |_| {
        menu.with(|m| m.iter().flat_map(|m| &m.categories).filter(|c| !c.items.is_empty()).map(|c| c.name.clone()).collect::<Vec<_>>())
    });
    let emoji = move || read(|m| if m.restaurant.emoji.is_empty() { "🍽️".to_string() } else { m.restaurant.emoji.clone() });
    let description = move || Some(read(|m| m.restaurant.description.clone())).filter(|d| !d.is_empty());
    let cuisine = move || Some(read(|m| m.restaurant.cuisine.clone())).filter(|c| !c.is_empty());
    view! {
        <div class="page menus-restaurant">
            <div class="page-header">
                <div class="menus-heading">
                    <span class="menus-emoji" aria-hidden="true">{emoji}</span>
                    <div class="stack menus-intro">
                        <h1>{move || read(|m| m.restaurant.name.clone())}</h1>
                        {move || description().map(|description| view! { <p class="lede">{description}</p> })}
                        <div class="card-meta">
                            {move || cuisine().map(|cuisine| view! { <span class="badge badge-muted">{cuisine}</span> })}
                            <span>{move || plural(dishes.get(), "dish", "dishes")}</span>
                        </div>
                    </div>
                </div>
                <a class="btn btn-ghost" href="/">"All restaurants"</a>
            </div>
            <Show
                when={move || dishes.get() > 0}
                fallback=|| view! {
                    <EmptyState icon="📋" title="No dishes yet" body="This kitchen hasn't published its menu. Try again later or pick another restaurant.">
                        <a class="btn btn-secondary" href="/">"All restaurants"</a>
                    </EmptyState>
                }
            >
                <For each=move || categories.get() key=|name| name.clone() let:name>
                    <CategorySection name menu/>
                </For>
            </Show>
        </div>
    }
}

#[component]
fn CategorySection(name: String, menu: Memo<Option<RestaurantMenu>>) -> impl IntoView {
    // Unique while categories come and go.
    static SECTIONS: AtomicUsize = AtomicUsize::new(0);
    let heading = format!("menu-category-{}", SECTIONS.fetch_add(1, Ordering::Relaxed));
    let labelled_by = heading.clone();
    let category = name.clone();
    let dishes = Memo::new(move |_| {
        menu.with(|m| {
            m.iter().flat_map(|m| &m.categories).filter(|c| c.name == category).flat_map(|c| c.items.iter().map(|i| i.id.clone())).collect::<Vec<_>>()
        })
    });
    view! {
        <section class="menu-category" aria-labelledby=labelled_by>
            <h2 id=heading>{name}</h2>
            <ul role="list">
                <For each=move || dishes.get() key=|id| id.clone() let:id>
                    <Dish id menu/>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn Dish(id: String, menu: Memo<Option<RestaurantMenu>>) -> impl IntoView {
    // The dish as it is now; the last known state while it is on its way out.
    let item = Memo::new(move |previous: Option<&Option<MenuItem>>| {
        menu.with(|m| m.iter().flat_map(|m| &m.categories).flat_map(|c| &c.items).find(|i| i.id == id).cloned()).or_else(|| previous.cloned().flatten())
    });
    let read = move |f: fn(&MenuItem) -> String| item.with(|i| i.as_ref().map(f).unwrap_or_default());
    let available = Memo::new(move |_| item.with(|i| i.as_ref().is_some_and(|i| i.available)));
    // The parcel is mounted once per name and kept while only the price or text changes.
    let orderable = Memo::new(move |_| item.with(|i| i.as_ref().filter(|i| i.available).map(|i| (i.id.clone(), i.name.clone(), i.price_cents))));
    let restaurant = Memo::new(move |_| menu.with(|m| m.as_ref().map(|m| (m.restaurant.id.clone(), m.restaurant.name.clone())).unwrap_or_default()));
    let parcel_key = Memo::new(move |_| orderable.with(|o| o.as_ref().map(|(id, name, _)| (id.clone(), name.clone()))));
    let order = move || match parcel_key.get() {
        Some((item_id, name)) => {
            let (restaurant_id, restaurant_name) = restaurant.get_untracked();
            let price = orderable.with_untracked(|o| o.as_ref().map_or(0, |(_, _, price)| *price));
            let props = runtime::object(&[
                ("restaurantId", JsValue::from_str(&restaurant_id)),
                ("restaurantName", JsValue::from_str(&restaurant_name)),
                ("itemId", JsValue::from_str(&item_id)),
                ("name", JsValue::from_str(&name)),
                // A plain number: an i64 would cross as a BigInt.
                ("priceCents", JsValue::from_f64(price as f64)),
            ]);
            view! { <Parcel app="cart" parcel="add-to-cart" props=props/> }.into_any()
        }
        None => view! { <span class="badge badge-muted">"Sold out"</span> }.into_any(),
    };
    let description = move || Some(read(|i| i.description.clone())).filter(|d| !d.is_empty());
    view! {
        <li class=move || if available.get() { "menu-item" } else { "menu-item is-unavailable" }>
            <div>
                <span class="menu-item-name">{move || read(|i| i.name.clone())}</span>
                {move || description().map(|description| view! { <span class="menu-item-desc">{description}</span> })}
            </div>
            <div class="row">
                <span class="price">{move || item.with(|i| i.as_ref().map(|i| money(i.price_cents)).unwrap_or_default())}</span>
                {order}
            </div>
        </li>
    }
}
