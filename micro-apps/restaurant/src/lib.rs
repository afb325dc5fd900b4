//! `restaurant`: the kitchen of a restaurant owner (role `restaurant`): incoming orders to
//! accept, reject and mark ready, and the menu editor.
//!
//! Routes: `/restaurant` (orders, [`routes::orders`]) and `/restaurant/menu` (menu,
//! [`routes::menu`]). Data comes from the restaurant BFF through [`api`]; the state both pages
//! share (the owner's restaurants and which one is picked) lives in [`Kitchen`].
//!
//! Build: `cargo xtask build` (wasm32); check with
//! `cargo check -p restaurant-app --target wasm32-unknown-unknown`.

mod api;
mod routes;

use leptos::prelude::*;
use tessera_contracts::food::{OrderStatus, roles};
use tessera_mfe::api::{ApiError, Bff};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{ErrorBanner, Loading, PageHeader, RoleGate};

use crate::api::OwnedRestaurant;

/// What the pages of one app instance share, provided as context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kitchen {
    pub(crate) bff: Bff,
    /// The caller's restaurants with their menus; `None` until the first answer.
    pub(crate) restaurants: RwSignal<Option<Vec<OwnedRestaurant>>>,
    pub(crate) restaurants_error: RwSignal<Option<ApiError>>,
    /// The restaurant the owner is looking at.
    pub(crate) selected: RwSignal<Option<String>>,
    /// The latest sentence for screen readers (a polite live region).
    pub(crate) announcement: RwSignal<String>,
    /// Bumped by every menu change, so a reload that started before it is not applied.
    menu_changes: StoredValue<u32>,
    /// Marked once the first data (or why there is none) is on screen.
    pub(crate) ready: ReadyMark,
}

impl Kitchen {
    fn new(bff: Bff, ready: ReadyMark) -> Self {
        Self {
            bff,
            restaurants: RwSignal::new(None),
            restaurants_error: RwSignal::new(None),
            selected: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            menu_changes: StoredValue::new(0),
            ready,
        }
    }

    /// Fetches the restaurants and menus again; an answer overtaken by a menu change made
    /// meanwhile is dropped (that change triggers its own reload).
    pub(crate) fn reload_restaurants(self) {
        // Also called when a request ends, possibly after the page is gone.
        let Some(started_at) = self.menu_changes.try_get_value() else { return };
        let request = api::my_restaurants(self.bff);
        leptos::task::spawn_local(async move {
            let result = request.await;
            if self.menu_changes.try_get_value() != Some(started_at) {
                return;
            }
            match result {
                Ok(list) => {
                    let keep = self.selected.try_get_untracked().flatten().filter(|id| list.iter().any(|r| &r.id == id));
                    self.selected.set(keep.or_else(|| list.first().map(|r| r.id.clone())));
                    self.restaurants.set(Some(list));
                    self.restaurants_error.set(None);
                }
                Err(error) => self.restaurants_error.set(Some(error)),
            }
        });
    }

    /// Applies a menu change locally, before the BFF confirms it or a reload shows it.
    pub(crate) fn change_menu(self, restaurant_id: &str, change: impl FnOnce(&mut Vec<tessera_contracts::food::MenuItem>)) {
        self.menu_changes.update_value(|n| *n += 1);
        self.restaurants.update(|list| {
            if let Some(restaurant) = list.as_mut().and_then(|list| list.iter_mut().find(|r| r.id == restaurant_id)) {
                change(&mut restaurant.items);
            }
        });
    }

    pub(crate) fn selected_restaurant(self) -> Option<OwnedRestaurant> {
        let selected = self.selected.get();
        self.restaurants.with(|list| {
            let list = list.as_ref()?;
            list.iter().find(|r| Some(&r.id) == selected.as_ref()).or(list.first()).cloned()
        })
    }

    pub(crate) fn announce(self, sentence: impl Into<String>) {
        self.announcement.set(sentence.into());
    }
}

/// The badge class that goes with a status.
pub(crate) fn status_badge(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Placed => "badge badge-warning",
        OrderStatus::Accepted => "badge badge-info",
        OrderStatus::Ready => "badge badge-success",
        OrderStatus::PickedUp => "badge badge-info",
        OrderStatus::Delivered => "badge badge-muted",
        OrderStatus::Rejected => "badge badge-danger",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Orders,
    Menu,
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let (name, base) = props.with_untracked(|p| (p.name.clone(), p.base_route.clone()));
    let ready = ReadyMark::new(name);
    provide_context(ready);
    let base = if base.is_empty() { "/restaurant".to_string() } else { base };
    view! {
        <RoleGate role=roles::RESTAURANT title="Kitchen" icon="👩‍🍳" body="Sign in as a restaurant to see your kitchen." return_to=base ready>
            <KitchenPage/>
        </RoleGate>
    }
}

#[component]
fn KitchenPage() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let kitchen = Kitchen::new(props.with_untracked(Bff::new), expect_context::<ReadyMark>());
    provide_context(kitchen);
    kitchen.reload_restaurants();

    let base = props.with_untracked(|p| if p.base_route.is_empty() { "/restaurant".to_string() } else { p.base_route.clone() });
    let menu_href = format!("{base}/menu");
    let section = {
        let props = props.clone();
        let menu_href = menu_href.clone();
        Memo::new(move |_| props.with(|p| if p.path == menu_href || p.path.starts_with(&format!("{menu_href}/")) { Section::Menu } else { Section::Orders }))
    };
    let current = move |s: Section| (section.get() == s).then_some("page");
    let lede = Signal::derive(move || match kitchen.selected_restaurant() {
        Some(r) => format!("{} {}", r.emoji, r.name).trim().to_string(),
        None => "Incoming orders and your menu.".to_string(),
    });

    view! {
        <div class="page kitchen">
            <PageHeader title="Kitchen" lede>
                <RestaurantPicker/>
            </PageHeader>
            <nav class="kitchen-tabs" aria-label="Kitchen sections">
                <a class="kitchen-tab" href=base.clone() aria-current=move || current(Section::Orders)>"Orders"</a>
                <a class="kitchen-tab" href=menu_href aria-current=move || current(Section::Menu)>"Menu"</a>
            </nav>
            {move || match section.get() {
                Section::Orders => routes::orders::orders_page().into_any(),
                Section::Menu => routes::menu::menu_page().into_any(),
            }}
            <p class="visually-hidden" role="status" aria-live="polite">{move || kitchen.announcement.get()}</p>
        </div>
    }
}

/// The owner's restaurants, when there is more than one to choose from.
#[component]
fn RestaurantPicker() -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    let choices = Memo::new(move |_| {
        kitchen.restaurants.with(|list| list.as_ref().map(|list| list.iter().map(|r| (r.id.clone(), r.name.clone())).collect::<Vec<_>>()).unwrap_or_default())
    });
    move || {
        (choices.with(Vec::len) > 1).then(|| {
            view! {
                <div class="actions">
                    <select
                        class="select kitchen-picker"
                        aria-label="Restaurant"
                        on:change=move |ev| {
                            kitchen.selected.set(Some(event_target_value(&ev)));
                        }
                    >
                        {choices
                            .get()
                            .into_iter()
                            .map(|(id, name)| {
                                let is_selected = {
                                    let id = id.clone();
                                    move || kitchen.selected.get().as_deref() == Some(id.as_str())
                                };
                                view! { <option value=id prop:selected=is_selected>{name}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
            }
        })
    }
}

/// Where loading the restaurants stands, for [`RestaurantsGate`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum GateState {
    Loading,
    Failed(String),
    Ready,
}

/// The restaurants' loading and error states around `children`, which render once the first
/// answer is in and stay (keeping their state) while later reloads come and go.
#[component]
pub(crate) fn RestaurantsGate(children: ChildrenFn) -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    let state = Memo::new(move |_| {
        if kitchen.restaurants.with(Option::is_some) {
            GateState::Ready
        } else if let Some(error) = kitchen.restaurants_error.get() {
            GateState::Failed(error.message)
        } else {
            GateState::Loading
        }
    });
    let stale = Memo::new(move |_| if state.with(|s| s == &GateState::Ready) { kitchen.restaurants_error.get().map(|e| e.message) } else { None });
    view! {
        {move || {
            stale.get().map(|message| view! {
                <div class="banner banner-warning" role="alert">{format!("Your menu could not be refreshed: {message}")}</div>
            })
        }}
        {move || match state.get() {
            GateState::Loading => view! { <Loading label="Loading your restaurants…"/> }.into_any(),
            GateState::Failed(message) => {
                kitchen.ready.mark();
                let retry = Callback::new(move |()| kitchen.reload_restaurants());
                view! { <ErrorBanner message=message retry=retry/> }.into_any()
            }
            GateState::Ready => children().into_any(),
        }}
    }
}

tessera_mfe::export_app!(app);
