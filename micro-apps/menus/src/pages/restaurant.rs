//! `/restaurants/:id`: one restaurant's menu by category, each orderable dish with the cart
//! app's `add-to-cart` parcel.
//!
//! The menu follows the restaurant's events pushed live: a dish's price or availability
//! changes in place (its row and its parcel stay, whatever the customer is doing in it); new,
//! removed or renamed dishes and the restaurant's own details (`restaurant-updated`) lay the
//! menu out again. Every dish carries a version, shared by its updates and its removal, so
//! the newest state wins whatever arrives first, an event or the BFF's answer ([`Pushed`]).

use leptos::prelude::*;
use tessera_contracts::food::{self, MenuItem, Restaurant};
use tessera_mfe::api::ApiError;
use tessera_mfe::live::{LiveEvent, use_live_events, use_live_reset};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{BackLink, EmptyState, ErrorBanner, Loading, OfflineNotice, money, plural};
use tessera_mfe::{Parcel, runtime};
use wasm_bindgen::JsValue;

use crate::api::{self, Category, RestaurantMenu, RestaurantSummary};
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
    /// One entry per dish (`Change::Dish`), the newest.
    dishes: Vec<Change>,
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
                let known = self.dishes.iter().position(|c| matches!(c, Change::Dish { dish: known, .. } if known.id == dish.id));
                match known {
                    Some(index) if matches!(&self.dishes[index], Change::Dish { dish: known, .. } if known.version >= dish.version) => return false,
                    Some(index) => self.dishes[index] = change.clone(),
                    None => self.dishes.push(change.clone()),
                }
            }
        }
        true
    }

    fn over(&self, menu: &mut RestaurantMenu) {
        if let Some(restaurant) = &self.restaurant {
            Change::Restaurant(restaurant.clone()).apply(menu);
        }
        for change in &self.dishes {
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
    // The menu shown is the service worker's kept copy (the backend can't be reached), as of then.
    let offline_as_of = RwSignal::new(None::<i64>);

    Effect::new(move |_| {
        reload.track();
        let request = props.with_untracked(|p| api::restaurant_menu(p, &id));
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let mut answer = request.await;
            if answer.is_ok() {
                offline_as_of.set(tessera_mfe::api::last_served().offline_as_of());
            }
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
        Phase::Shown => view! {
            <div class="stack">
                <OfflineNotice what="the menu" as_of=offline_as_of/>
                <Menu menu/>
            </div>
        }
        .into_any(),
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

/// The page's menu and how loading it went.
type Shown = RwSignal<Option<Result<RestaurantMenu, ApiError>>>;

fn shown(menu: &Option<Result<RestaurantMenu, ApiError>>) -> Option<&RestaurantMenu> {
    menu.as_ref().and_then(|m| m.as_ref().ok())
}

/// What the menu's layout depends on: the restaurant's details and the dishes' names, in
/// order. A price or an availability is not part of it: it changes in place.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    restaurant: RestaurantSummary,
    /// Each category's name and its dishes.
    categories: Vec<(String, Vec<DishText>)>,
}

/// A dish's id, name and description.
type DishText = (String, String, String);

impl Layout {
    fn of(menu: &RestaurantMenu) -> Self {
        let categories = menu
            .categories
            .iter()
            .filter(|c| !c.items.is_empty())
            .map(|c| (c.name.clone(), c.items.iter().map(|i| (i.id.clone(), i.name.clone(), i.description.clone())).collect()))
            .collect();
        Self { restaurant: menu.restaurant.clone(), categories }
    }
}

/// The menu, following `menu`: laid out again only when dishes come, go, move or are
/// renamed (or the restaurant's details change); a price or an availability changes in
/// place, so each dish's parcel (and whatever the customer is doing in it) stays.
#[component]
fn Menu(menu: Shown) -> impl IntoView {
    let layout = Memo::new(move |_| menu.with(|m| shown(m).map(Layout::of)));
    move || layout.get().map(|layout| menu_view(layout, menu))
}

fn menu_view(layout: Layout, menu: Shown) -> impl IntoView {
    let Layout { restaurant, categories } = layout;
    let dishes: usize = categories.iter().map(|(_, items)| items.len()).sum();
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
            .enumerate()
            .map(|(index, (name, items))| {
                let heading = format!("menu-category-{index}");
                let labelled_by = heading.clone();
                let restaurant = restaurant.clone();
                view! {
                    <section class="menu-category" aria-labelledby=labelled_by>
                        <h2 id=heading>{name}</h2>
                        <ul role="list">
                            {items
                                .into_iter()
                                .map(|(id, name, description)| view! { <Dish id name description restaurant=restaurant.clone() menu/> })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })
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
fn Dish(id: String, name: String, description: String, restaurant: RestaurantSummary, menu: Shown) -> impl IntoView {
    // What changes in place: the price and whether the dish can be ordered.
    let item_id = id.clone();
    let state = Memo::new(move |_| {
        menu.with(|m| shown(m).into_iter().flat_map(|m| &m.categories).flat_map(|c| &c.items).find(|i| i.id == id).map(|i| (i.price_cents, i.available))).unwrap_or((0, false))
    });
    let available = Memo::new(move |_| state.get().1);
    let parcel_name = name.clone();
    let order = move || {
        if available.get() {
            let props = runtime::object(&[
                ("restaurantId", JsValue::from_str(&restaurant.id)),
                ("restaurantName", JsValue::from_str(&restaurant.name)),
                ("itemId", JsValue::from_str(&item_id)),
                ("name", JsValue::from_str(&parcel_name)),
                // A plain number: an i64 would cross as a BigInt.
                ("priceCents", JsValue::from_f64(state.get_untracked().0 as f64)),
            ]);
            view! { <Parcel app="cart" parcel="add-to-cart" props=props/> }.into_any()
        } else {
            view! { <span class="badge badge-muted">"Sold out"</span> }.into_any()
        }
    };
    view! {
        <li class=move || if available.get() { "menu-item" } else { "menu-item is-unavailable" }>
            <div>
                <span class="menu-item-name">{name.clone()}</span>
                {(!description.is_empty()).then(|| view! { <span class="menu-item-desc">{description}</span> })}
            </div>
            <div class="row">
                <span class="price">{move || money(state.get().0)}</span>
                {order}
            </div>
        </li>
    }
}
