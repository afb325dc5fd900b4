//! `/`: the restaurant list with a search box and cuisine filter chips.
//!
//! The search is debounced and mirrored into `?q=` (and `?cuisine=`) with `replaceState`, so a
//! reload or a shared link shows the same results without adding history entries per key.
//!
//! Restaurant and dish events pushed live keep the cards current: a restaurant's details
//! change in place at once; what a dish changes (the counts, the cheapest price, whether a
//! search still matches) is the BFF's to say, so the list is fetched again shortly after.

use std::time::Duration;

use leptos::prelude::*;
use tessera_contracts::food::{self, Restaurant};
use tessera_mfe::api::ApiError;
use tessera_mfe::live::{use_live_events, use_live_reset};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{EmptyState, ErrorBanner, OfflineNotice, PageHeader, money, plural};
use wasm_bindgen::JsValue;

use crate::api::{self, RestaurantSummary};
use crate::pages::MENU_EVENTS;

const SEARCH_DELAY: Duration = Duration::from_millis(250);
/// A burst of menu changes (an owner editing the menu) brings one fetch, after the BFF has
/// had time to process them.
const REFETCH_DELAY: Duration = Duration::from_millis(1_000);

/// What is on screen, with the filters it was asked for (the box may already say more).
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    restaurants: Vec<RestaurantSummary>,
    query: String,
    cuisine: Option<String>,
}

/// The filters from the address bar (`?q=…&cuisine=…`).
fn filters_from_url() -> (String, Option<String>) {
    let search = window().location().search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return (String::new(), None) };
    let query = params.get("q").unwrap_or_default();
    let cuisine = params.get("cuisine").filter(|c| !c.is_empty());
    (query, cuisine)
}

/// Mirrors the filters into the address bar, as long as this page is still the one shown.
fn filters_to_url(path: &str, query: &str, cuisine: Option<&str>) {
    let window = window();
    let location = window.location();
    if location.pathname().ok().as_deref() != Some(path) {
        return;
    }
    let Ok(params) = web_sys::UrlSearchParams::new() else { return };
    if !query.trim().is_empty() {
        params.append("q", query.trim());
    }
    if let Some(cuisine) = cuisine {
        params.append("cuisine", cuisine);
    }
    let search: String = params.to_string().into();
    let wanted = if search.is_empty() { path.to_string() } else { format!("{path}?{search}") };
    let current = format!("{path}{}", location.search().unwrap_or_default());
    if current != wanted
        && let Ok(history) = window.history()
    {
        let state = history.state().unwrap_or(JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&wanted));
    }
}

/// The restaurant list.
pub(crate) fn page() -> AnyView {
    view! { <RestaurantsPage/> }.into_any()
}

#[component]
fn RestaurantsPage() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let ready = expect_context::<ReadyMark>();
    let path = props.with_untracked(|p| if p.path.is_empty() { "/".to_string() } else { p.path.clone() });

    let (initial_query, initial_cuisine) = filters_from_url();
    // `text` follows every key stroke; `query` follows it after a pause and drives the search.
    let text = RwSignal::new(initial_query.clone());
    let query = RwSignal::new(initial_query);
    let cuisine = RwSignal::new(initial_cuisine);
    let cuisines = RwSignal::new(Vec::<String>::new());
    let shown = RwSignal::new(None::<Result<Shown, ApiError>>);
    let searching = RwSignal::new(false);
    let reload = RwSignal::new(0u32);
    // The list shown is the service worker's kept copy (the backend can't be reached), as of then.
    let offline_as_of = RwSignal::new(None::<i64>);

    Effect::new(move |_| {
        reload.track();
        let asked_query = query.get();
        let asked_cuisine = cuisine.get();
        searching.set(true);
        let request = props.with_untracked(|p| api::restaurants(p, &asked_query, asked_cuisine.as_deref()));
        // A newer search re-runs this effect, which cancels the older one: the latest answer wins.
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let answer = request.await;
            if answer.is_ok() {
                offline_as_of.set(tessera_mfe::api::last_served().offline_as_of());
            }
            // A failed fetch again of what is on screen (after a live change) keeps it there.
            let again = shown.with_untracked(|s| matches!(s, Some(Ok(s)) if s.query == asked_query && s.cuisine == asked_cuisine));
            if answer.is_ok() || !again {
                let answer = answer.map(|list| {
                    if !list.cuisines.is_empty() {
                        cuisines.set(list.cuisines);
                    }
                    Shown { restaurants: list.restaurants, query: asked_query, cuisine: asked_cuisine }
                });
                // An unchanged answer leaves the cards alone.
                if shown.with_untracked(|s| s.as_ref() != Some(&answer)) {
                    shown.set(Some(answer));
                }
            }
            searching.set(false);
            ready.mark();
        });
    });

    Effect::new(move |_| {
        let query = query.get();
        let cuisine = cuisine.get();
        filters_to_url(&path, &query, cuisine.as_deref());
    });

    let mut search_later = leptos::leptos_dom::helpers::debounce(SEARCH_DELAY, move |value: String| query.set(value));
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        text.set(value.clone());
        search_later(value);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(text.get_untracked());
    };
    let clear = Callback::new(move |()| {
        text.set(String::new());
        query.set(String::new());
        cuisine.set(None);
    });
    let retry = Callback::new(move |()| reload.update(|n| *n += 1));

    let refetch_later = StoredValue::new_local(leptos::leptos_dom::helpers::debounce(REFETCH_DELAY, move |()| reload.update(|n| *n += 1)));
    use_live_events(MENU_EVENTS, move |event| {
        if event.kind == food::RESTAURANT_UPDATED
            && let Some(restaurant) = event.entity::<Restaurant>("restaurant")
        {
            shown.maybe_update(|shown| match shown {
                Some(Ok(shown)) => shown.restaurants.iter_mut().find(|r| r.id == restaurant.id).is_some_and(|card| update_card(card, &restaurant)),
                _ => false,
            });
        }
        refetch_later.update_value(|later| later(()));
    });
    use_live_reset(move || reload.update(|n| *n += 1));

    // Keep the chosen cuisine as a chip even if the catalogue no longer lists it.
    let chips = move || {
        let mut all = cuisines.get();
        if let Some(chosen) = cuisine.get()
            && !all.contains(&chosen)
        {
            all.push(chosen);
        }
        all
    };

    view! {
        <div class="page menus-page">
            <PageHeader title="Restaurants" lede="Pick a kitchen, choose your dishes, and we bring them to your door."/>
            <div class="stack menus-filters">
                <form class="search-bar" role="search" on:submit=on_submit>
                    <input
                        type="search"
                        class="input"
                        aria-label="Search restaurants"
                        placeholder="Search by restaurant, cuisine or dish"
                        autocomplete="off"
                        enterkeyhint="search"
                        prop:value={move || text.get()}
                        on:input=on_input
                    />
                </form>
                <Show when={move || !cuisines.with(Vec::is_empty)}>
                    <div class="menus-chips" role="group" aria-label="Filter by cuisine">
                        <button
                            type="button"
                            class="btn btn-sm menus-chip"
                            aria-pressed={move || if cuisine.with(Option::is_none) { "true" } else { "false" }}
                            on:click=move |_| cuisine.set(None)
                        >
                            "All"
                        </button>
                        <For each=chips key=|c| c.clone() let:name>
                            {
                                let label = name.clone();
                                let pressed = name.clone();
                                view! {
                                    <button
                                        type="button"
                                        class="btn btn-sm menus-chip"
                                        aria-pressed={move || if cuisine.with(|c| c.as_deref() == Some(pressed.as_str())) { "true" } else { "false" }}
                                        on:click=move |_| {
                                            let chosen = cuisine.with_untracked(|c| c.as_deref() == Some(name.as_str()));
                                            cuisine.set(if chosen { None } else { Some(name.clone()) });
                                        }
                                    >
                                        {label}
                                    </button>
                                }
                            }
                        </For>
                    </div>
                </Show>
            </div>
            <p class="visually-hidden" role="status">
                {move || match shown.get() {
                    Some(Ok(shown)) => match shown.restaurants.len() {
                        0 => "No restaurants found".to_string(),
                        1 => "1 restaurant found".to_string(),
                        n => format!("{n} restaurants found"),
                    },
                    Some(Err(_)) => String::new(),
                    None => "Loading restaurants".to_string(),
                }}
            </p>
            <OfflineNotice what="the restaurants" as_of=offline_as_of/>
            <div class="menus-results" aria-busy={move || if searching.get() { "true" } else { "false" }}>
                {move || match shown.get() {
                    None => view! { <ListSkeleton/> }.into_any(),
                    Some(Err(error)) => view! { <ErrorBanner message=error.message retry=retry/> }.into_any(),
                    Some(Ok(shown)) if shown.restaurants.is_empty() => view! { <NoMatch shown clear/> }.into_any(),
                    Some(Ok(shown)) => view! {
                        <ul class="card-grid" role="list">
                            {shown.restaurants.into_iter().map(|restaurant| view! { <RestaurantCard restaurant/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                }}
            </div>
        </div>
    }
}

/// A restaurant's card with what an event says about it; whether anything changed.
fn update_card(card: &mut RestaurantSummary, restaurant: &Restaurant) -> bool {
    let before = card.clone();
    card.name.clone_from(&restaurant.name);
    card.cuisine.clone_from(&restaurant.cuisine);
    card.description.clone_from(&restaurant.description);
    card.emoji.clone_from(&restaurant.emoji);
    *card != before
}

#[component]
fn RestaurantCard(restaurant: RestaurantSummary) -> impl IntoView {
    let emoji = if restaurant.emoji.is_empty() { "🍽️".to_string() } else { restaurant.emoji };
    view! {
        <li>
            <a class="card menus-card" href=format!("/restaurants/{}", restaurant.id)>
                <div class="card-media" aria-hidden="true">{emoji}</div>
                <h2 class="card-title">{restaurant.name}</h2>
                {(!restaurant.description.is_empty()).then(|| view! { <p class="menus-card-desc">{restaurant.description}</p> })}
                <div class="card-meta">
                    {(!restaurant.cuisine.is_empty()).then(|| view! { <span class="badge badge-muted">{restaurant.cuisine}</span> })}
                    {restaurant.from_price_cents.map(|cents| view! { <span>{format!("from {}", money(cents))}</span> })}
                    <span>{plural(restaurant.item_count, "dish", "dishes")}</span>
                </div>
            </a>
        </li>
    }
}

#[component]
fn NoMatch(shown: Shown, clear: Callback<()>) -> impl IntoView {
    let query = shown.query.trim().to_string();
    let filtered = !query.is_empty() || shown.cuisine.is_some();
    let title = match (query.is_empty(), &shown.cuisine) {
        (false, _) => format!("No restaurants match “{query}”"),
        (true, Some(cuisine)) => format!("No {cuisine} restaurants right now"),
        (true, None) => "No restaurants are open yet".to_string(),
    };
    let hint = if filtered {
        "Try another dish or cuisine, or clear the search to see every restaurant."
    } else {
        "Kitchens appear here as soon as they publish their menus. Check back soon."
    };
    view! {
        <EmptyState icon="🔍" title=title body=hint>
            {filtered.then(|| view! {
                <button type="button" class="btn btn-secondary" on:click=move |_| clear.run(())>"Clear search"</button>
            })}
        </EmptyState>
    }
}

#[component]
fn ListSkeleton() -> impl IntoView {
    view! {
        <ul class="card-grid" role="list" aria-hidden="true">
            {(0..6)
                .map(|_| view! {
                    <li class="card">
                        <div class="card-media skeleton"></div>
                        <span class="skeleton menus-skeleton-line"></span>
                        <span class="skeleton menus-skeleton-line is-short"></span>
                    </li>
                })
                .collect_view()}
        </ul>
    }
}
