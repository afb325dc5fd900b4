//! `/restaurant/menu`: the picked restaurant's dishes by category: availability at a click,
//! an inline editor, removal with a confirmation step, and new dishes.
//!
//! Changes show at once (applied locally), then the menu is fetched again for the versions
//! the BFF stored; a failed change is undone and explained next to the dish.

use leptos::html;
use leptos::prelude::*;
use tessera_contracts::food::MenuItem;
use tessera_mfe::api::new_id;
use tessera_mfe::ui::{EmptyState, money, plural};

use crate::api::{self, ItemInput, invalid_field};
use crate::{Kitchen, RestaurantsGate};

const NAME_MAX: usize = 80;
const CATEGORY_MAX: usize = 40;
const DESCRIPTION_MAX: usize = 500;
const PRICE_MAX_CENTS: i64 = 100_000;

pub(crate) fn menu_page() -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    // Only a different restaurant re-renders the editor, not every change to its menu.
    let restaurant_id = Memo::new(move |_| kitchen.selected_restaurant().map(|r| r.id));
    view! {
        <section class="stack" aria-labelledby="kitchen-menu-title">
            <h2 id="kitchen-menu-title">"Menu"</h2>
            <RestaurantsGate>
                {move || {
                    kitchen.ready.mark();
                    match restaurant_id.get() {
                        Some(id) => view! { <MenuEditor restaurant_id=id/> }.into_any(),
                        None => view! { <EmptyState body="You don't have a restaurant on Tessera Eats yet, so there is no menu to edit."/> }.into_any(),
                    }
                }}
            </RestaurantsGate>
        </section>
    }
}

/// The dishes of one restaurant, in menu order.
fn dishes(kitchen: Kitchen, restaurant_id: &str) -> Vec<MenuItem> {
    kitchen.restaurants.with(|list| list.iter().flatten().find(|r| r.id == restaurant_id).map(|r| r.items.clone()).unwrap_or_default())
}

/// Categories in the order they first appear, each with its dishes by position.
fn by_category(items: &[MenuItem]) -> Vec<(String, Vec<MenuItem>)> {
    let mut groups: Vec<(String, Vec<MenuItem>)> = Vec::new();
    for item in items {
        match groups.iter_mut().find(|(name, _)| name == &item.category) {
            Some((_, list)) => list.push(item.clone()),
            None => groups.push((item.category.clone(), vec![item.clone()])),
        }
    }
    for (_, list) in &mut groups {
        list.sort_by_key(|item| item.position);
    }
    groups
}

/// The position a dish gets at the end of `category`.
fn next_position(items: &[MenuItem], category: &str, except: &str) -> i64 {
    items.iter().filter(|i| i.category == category && i.id != except).map(|i| i.position + 1).max().unwrap_or(0)
}

#[component]
fn MenuEditor(restaurant_id: String) -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    let rid = StoredValue::new(restaurant_id);
    let items = Memo::new(move |_| rid.with_value(|rid| dishes(kitchen, rid)));
    let groups = Memo::new(move |_| items.with(|items| by_category(items)));
    let categories = Memo::new(move |_| groups.with(|g| g.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>()));
    let datalist_id = rid.with_value(|rid| format!("kitchen-categories-{rid}"));
    // The id of the dish being added, while the form is open.
    let adding = RwSignal::new(None::<String>);
    let add_button = NodeRef::<html::Button>::new();

    let close_add = Callback::new(move |_saved: bool| {
        adding.set(None);
        request_animation_frame(move || {
            if let Some(Some(button)) = add_button.try_get_untracked() {
                let _ = button.focus();
            }
        });
    });

    view! {
        <datalist id=datalist_id.clone()>
            {move || categories.get().into_iter().map(|c| view! { <option value=c></option> }).collect_view()}
        </datalist>
        <div class="row">
            <p class="muted">
                {move || {
                    let dishes = items.with(Vec::len);
                    let sections = categories.with(Vec::len);
                    match dishes {
                        0 => "No dishes yet.".to_string(),
                        1 => "1 dish".to_string(),
                        n => format!("{n} dishes in {}", plural(sections, "category", "categories")),
                    }
                }}
            </p>
            <span class="spacer"></span>
            <button
                type="button"
                class="btn btn-primary btn-sm"
                node_ref=add_button
                aria-expanded=move || if adding.with(Option::is_some) { "true" } else { "false" }
                on:click=move |_| adding.set(Some(new_id()))
            >
                "Add dish"
            </button>
        </div>
        {move || {
            adding.get().map(|id| {
                view! {
                    <div class="card kitchen-dish-new">
                        <h3 class="card-title">"New dish"</h3>
                        <DishForm restaurant_id=rid.get_value() item_id=id existing=None datalist_id=datalist_id.clone() on_close=close_add/>
                    </div>
                }
            })
        }}
        <Show when=move || items.with(Vec::is_empty) && adding.with(Option::is_none)>
            <EmptyState icon="🍽️" body="Your menu is empty. Add your first dish and customers can order it right away."/>
        </Show>
        <For each=move || groups.get() key=|(name, _)| name.clone() let:group>
            <section class="menu-category" aria-label=group.0.clone()>
                <h3>{group.0.clone()}</h3>
                <ul class="kitchen-dishes" role="list">
                    <DishRows restaurant_id=rid.get_value() category=group.0.clone() groups=groups/>
                </ul>
            </section>
        </For>
    }
}

/// The rows of one category, keyed by dish so a row keeps its focus and state across changes.
#[component]
fn DishRows(restaurant_id: String, category: String, groups: Memo<Vec<(String, Vec<MenuItem>)>>) -> impl IntoView {
    let datalist_id = format!("kitchen-categories-{restaurant_id}");
    let rid = StoredValue::new(restaurant_id);
    let category = StoredValue::new(category);
    let dishes = move || groups.with(|g| category.with_value(|c| g.iter().find(|(name, _)| name == c).map(|(_, items)| items.clone()).unwrap_or_default()));
    view! {
        <For each=dishes key=|item| item.id.clone() let:item>
            <DishRow restaurant_id=rid.get_value() initial=item datalist_id=datalist_id.clone()/>
        </For>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowMode {
    View,
    Edit,
    ConfirmRemove,
}

#[component]
fn DishRow(restaurant_id: String, initial: MenuItem, datalist_id: String) -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    let rid = StoredValue::new(restaurant_id);
    let item = {
        let id = initial.id.clone();
        Memo::new(move |previous: Option<&MenuItem>| {
            rid.with_value(|rid| dishes(kitchen, rid)).into_iter().find(|i| i.id == id).or_else(|| previous.cloned()).unwrap_or_else(|| initial.clone())
        })
    };
    let mode = RwSignal::new(RowMode::View);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let edit_button = NodeRef::<html::Button>::new();
    let remove_button = NodeRef::<html::Button>::new();
    let keep_button = NodeRef::<html::Button>::new();
    let name_id = item.with_untracked(|i| format!("dish-{}-name", i.id));

    let focus_later = move |target: NodeRef<html::Button>| {
        request_animation_frame(move || {
            if let Some(Some(button)) = target.try_get_untracked() {
                let _ = button.focus();
            }
        });
    };

    let toggle = move |available: bool| {
        let before = item.get_untracked();
        let mut input = ItemInput::from_item(&before);
        input.available = available;
        let after = input.applied_to(&before.id, &before.restaurant_id, before.version);
        let rid = rid.get_value();
        error.set(None);
        busy.set(true);
        kitchen.change_menu(&rid, |items| replace(items, after));
        let request = api::put_item(kitchen.bff, &rid, &before.id, input);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(()) => {
                    kitchen.announce(if available { format!("{} is available again.", before.name) } else { format!("{} is marked unavailable.", before.name) });
                    kitchen.reload_restaurants();
                }
                Err(failure) => {
                    error.set(Some(failure.message));
                    kitchen.change_menu(&rid, |items| replace(items, before));
                    kitchen.reload_restaurants();
                }
            }
            busy.set(false);
        });
    };

    let remove = move |_| {
        let dish = item.get_untracked();
        let rid = rid.get_value();
        error.set(None);
        busy.set(true);
        let request = api::remove_item(kitchen.bff, &rid, &dish.id);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(()) => {
                    kitchen.announce(format!("Removed {} from the menu.", dish.name));
                    kitchen.change_menu(&rid, |items| items.retain(|i| i.id != dish.id));
                    kitchen.reload_restaurants();
                }
                Err(failure) => {
                    error.set(Some(failure.message));
                    mode.set(RowMode::View);
                }
            }
            busy.set(false);
        });
    };

    let close_edit = Callback::new(move |_saved: bool| {
        mode.set(RowMode::View);
        focus_later(edit_button);
    });

    let body = move || match mode.get() {
        RowMode::Edit => view! {
            <div class="kitchen-dish-edit">
                <DishForm
                    restaurant_id=rid.get_value()
                    item_id=item.with_untracked(|i| i.id.clone())
                    existing=Some(item.get_untracked())
                    datalist_id=datalist_id.clone()
                    on_close=close_edit
                />
            </div>
        }
        .into_any(),
        current => {
            let confirming = current == RowMode::ConfirmRemove;
            let name_id = name_id.clone();
            let question_id = format!("{name_id}-remove");
            view! {
                <div class="kitchen-dish-info">
                    <span class="menu-item-name" id=name_id.clone()>{move || item.with(|i| i.name.clone())}</span>
                    {move || {
                        item.with(|i| (!i.description.is_empty()).then(|| view! { <span class="menu-item-desc">{i.description.clone()}</span> }))
                    }}
                    <span class="price">{move || money(item.with(|i| i.price_cents))}</span>
                </div>
                <div class="kitchen-dish-actions">
                    <label class="kitchen-switch">
                        <input
                            type="checkbox"
                            prop:checked=move || item.with(|i| i.available)
                            aria-describedby=name_id.clone()
                            disabled=move || busy.get()
                            on:change=move |ev| toggle(event_target_checked(&ev))
                        />
                        <span>"Available"</span>
                    </label>
                    {if confirming {
                        view! {
                            <div class="row kitchen-confirm" role="group" aria-labelledby=question_id.clone()>
                                <span id=question_id.clone()>{move || format!("Remove {}?", item.with(|i| i.name.clone()))}</span>
                                <button type="button" class="btn btn-danger btn-sm" disabled=move || busy.get() on:click=remove>"Remove"</button>
                                <button
                                    type="button"
                                    class="btn btn-ghost btn-sm"
                                    node_ref=keep_button
                                    on:click=move |_| {
                                        mode.set(RowMode::View);
                                        focus_later(remove_button);
                                    }
                                >
                                    "Keep"
                                </button>
                            </div>
                        }
                        .into_any()
                    } else {
                        view! {
                            <div class="row">
                                <button
                                    type="button"
                                    class="btn btn-secondary btn-sm"
                                    node_ref=edit_button
                                    aria-describedby=name_id.clone()
                                    on:click=move |_| {
                                        error.set(None);
                                        mode.set(RowMode::Edit);
                                    }
                                >
                                    "Edit"
                                </button>
                                <button
                                    type="button"
                                    class="btn btn-ghost btn-sm"
                                    node_ref=remove_button
                                    aria-describedby=name_id
                                    on:click=move |_| {
                                        error.set(None);
                                        mode.set(RowMode::ConfirmRemove);
                                        focus_later(keep_button);
                                    }
                                >
                                    "Remove"
                                </button>
                            </div>
                        }
                        .into_any()
                    }}
                </div>
            }
            .into_any()
        }
    };

    view! {
        <li
            class="menu-item kitchen-dish"
            class:is-off=move || !item.with(|i| i.available)
            class:is-editing=move || mode.get() == RowMode::Edit
            aria-busy=move || busy.get().then_some("true")
        >
            {body}
            {move || error.get().map(|message| view! { <p class="banner banner-error kitchen-dish-error" role="alert">{message}</p> })}
        </li>
    }
}

/// Replaces the dish with the same id, or adds it.
fn replace(items: &mut Vec<MenuItem>, item: MenuItem) {
    match items.iter_mut().find(|i| i.id == item.id) {
        Some(slot) => *slot = item,
        None => items.push(item),
    }
}

/// Reads a price in euros as people type it (`12`, `12.5`, `12,50`, `€12.50`) into cents.
pub(crate) fn parse_price(text: &str) -> Result<i64, &'static str> {
    let text = text.trim().trim_start_matches('€').trim().replace(',', ".");
    if text.is_empty() {
        return Err("Enter a price, for example 12.50.");
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err("Enter the price in euros with up to two decimals, for example 12.50.");
    }
    if whole.len() > 7 {
        return Err("The price can be at most €1000.00.");
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| "Enter the price in euros, for example 12.50.")? };
    let fraction: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let cents = whole * 100 + fraction;
    if cents < 1 {
        return Err("The price must be at least €0.01.");
    }
    if cents > PRICE_MAX_CENTS {
        return Err("The price can be at most €1000.00.");
    }
    Ok(cents)
}

/// Cents as the price field shows them (`1150` → `11.50`).
fn price_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// What is wrong with each field, in words for people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FieldErrors {
    name: Option<String>,
    category: Option<String>,
    description: Option<String>,
    price: Option<String>,
    /// Problems that are not about one field (a conflict, no connection).
    form: Option<String>,
}

impl FieldErrors {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.category.is_none() && self.description.is_none() && self.price.is_none()
    }
}

/// One text field: label, control, hint and error, tied together for assistive technology.
#[component]
fn TextField(
    #[prop(into)] label: String,
    id: String,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    node_ref: NodeRef<html::Input>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] list: Option<String>,
    #[prop(optional)] decimal: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id, has_hint) = (error_id.clone(), hint_id.clone(), hint.is_some());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                class="input"
                id=id
                type="text"
                node_ref=node_ref
                list=list
                inputmode=decimal.then_some("decimal")
                autocomplete="off"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described
            />
            {hint.map(|hint| view! { <span class="field-hint" id=hint_id>{hint}</span> })}
            {move || error.get().map(|message| view! { <span class="field-error" id=error_id.clone()>{message}</span> })}
        </div>
    }
}

/// The dish editor: edits `existing`, or adds a dish with id `item_id` when there is none.
#[component]
fn DishForm(restaurant_id: String, item_id: String, existing: Option<MenuItem>, datalist_id: String, on_close: Callback<bool>) -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    let is_new = existing.is_none();
    let name = RwSignal::new(existing.as_ref().map(|i| i.name.clone()).unwrap_or_default());
    let category = RwSignal::new(existing.as_ref().map(|i| i.category.clone()).unwrap_or_default());
    let description = RwSignal::new(existing.as_ref().map(|i| i.description.clone()).unwrap_or_default());
    let price = RwSignal::new(existing.as_ref().map(|i| price_text(i.price_cents)).unwrap_or_default());
    let available = RwSignal::new(existing.as_ref().is_none_or(|i| i.available));
    let errors = RwSignal::new(FieldErrors::default());
    let busy = RwSignal::new(false);
    let existing = StoredValue::new(existing);
    let ids = StoredValue::new((restaurant_id, item_id));

    let name_input = NodeRef::<html::Input>::new();
    let category_input = NodeRef::<html::Input>::new();
    let price_input = NodeRef::<html::Input>::new();
    let description_input = NodeRef::<html::Textarea>::new();
    let prefix = ids.with_value(|(_, id)| format!("dish-form-{id}"));

    // Start typing right away.
    request_animation_frame(move || {
        if let Some(Some(input)) = name_input.try_get_untracked() {
            let _ = input.focus();
        }
    });

    let focus_first_invalid = move |found: &FieldErrors| {
        let found = found.clone();
        request_animation_frame(move || {
            let target: Option<web_sys::HtmlElement> = if found.name.is_some() {
                name_input.get_untracked().map(Into::into)
            } else if found.category.is_some() {
                category_input.get_untracked().map(Into::into)
            } else if found.description.is_some() {
                description_input.get_untracked().map(Into::into)
            } else if found.price.is_some() {
                price_input.get_untracked().map(Into::into)
            } else {
                None
            };
            if let Some(target) = target {
                let _ = target.focus();
            }
        });
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut found = FieldErrors::default();
        let dish_name = name.get_untracked().trim().to_string();
        let dish_category = category.get_untracked().trim().to_string();
        let dish_description = description.get_untracked().trim().to_string();
        if dish_name.is_empty() {
            found.name = Some("Give the dish a name.".into());
        } else if dish_name.chars().count() > NAME_MAX {
            found.name = Some(format!("Keep the name under {NAME_MAX} characters."));
        }
        if dish_category.is_empty() {
            found.category = Some("Choose a category, for example Mains.".into());
        } else if dish_category.chars().count() > CATEGORY_MAX {
            found.category = Some(format!("Keep the category under {CATEGORY_MAX} characters."));
        }
        if dish_description.chars().count() > DESCRIPTION_MAX {
            found.description = Some(format!("Keep the description under {DESCRIPTION_MAX} characters."));
        }
        let cents = match parse_price(&price.get_untracked()) {
            Ok(cents) => cents,
            Err(message) => {
                found.price = Some(message.into());
                0
            }
        };
        if !found.is_empty() {
            focus_first_invalid(&found);
            errors.set(found);
            return;
        }
        errors.set(FieldErrors::default());

        let (rid, item_id) = ids.get_value();
        let menu = dishes(kitchen, &rid);
        let before = existing.get_value();
        let position = match &before {
            Some(item) if item.category == dish_category => item.position,
            _ => next_position(&menu, &dish_category, &item_id),
        };
        let input = ItemInput {
            category: dish_category,
            name: dish_name.clone(),
            description: dish_description,
            price_cents: cents,
            available: available.get_untracked(),
            position,
        };
        let after = input.applied_to(&item_id, &rid, before.as_ref().map_or(0, |i| i.version));
        busy.set(true);
        let request = api::put_item(kitchen.bff, &rid, &item_id, input);
        leptos::task::spawn_local(async move {
            let result = request.await;
            busy.set(false);
            match result {
                Ok(()) => {
                    kitchen.change_menu(&rid, |items| replace(items, after));
                    kitchen.reload_restaurants();
                    kitchen.announce(if is_new { format!("Added {dish_name} to the menu.") } else { format!("Saved {dish_name}.") });
                    on_close.try_run(true);
                }
                Err(failure) => {
                    let mut found = FieldErrors::default();
                    match invalid_field(&failure) {
                        Some((field, reason)) => match field.as_str() {
                            "name" => found.name = Some(reason),
                            "category" => found.category = Some(reason),
                            "description" => found.description = Some(reason),
                            "priceCents" | "price" => found.price = Some(reason),
                            _ => found.form = Some(reason),
                        },
                        None => found.form = Some(failure.message),
                    }
                    focus_first_invalid(&found);
                    errors.set(found);
                }
            }
        });
    };

    let description_error = format!("{prefix}-description-error");
    let description_described = {
        let description_error = description_error.clone();
        move || errors.with(|e| e.description.is_some()).then(|| description_error.clone())
    };

    view! {
        <form class="kitchen-dish-form" on:submit=submit novalidate=true aria-busy=move || busy.get().then_some("true")>
            <div class="kitchen-form-grid">
                <TextField
                    label="Dish name"
                    id=format!("{prefix}-name")
                    value=name
                    error=Signal::derive(move || errors.with(|e| e.name.clone()))
                    node_ref=name_input
                />
                <TextField
                    label="Category"
                    id=format!("{prefix}-category")
                    value=category
                    error=Signal::derive(move || errors.with(|e| e.category.clone()))
                    node_ref=category_input
                    list=datalist_id
                    hint="Pick one of your categories or type a new one."
                />
                <TextField
                    label="Price (€)"
                    id=format!("{prefix}-price")
                    value=price
                    error=Signal::derive(move || errors.with(|e| e.price.clone()))
                    node_ref=price_input
                    decimal=true
                    hint="For example 12.50"
                />
            </div>
            <div class="field">
                <label for=format!("{prefix}-description")>"Description"</label>
                <textarea
                    class="textarea"
                    id=format!("{prefix}-description")
                    rows="3"
                    node_ref=description_input
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))
                    aria-invalid=move || errors.with(|e| e.description.is_some()).then_some("true")
                    aria-describedby=description_described
                ></textarea>
                {move || errors.with(|e| e.description.clone()).map(|message| view! { <span class="field-error" id=description_error.clone()>{message}</span> })}
            </div>
            <label class="kitchen-switch">
                <input type="checkbox" prop:checked=move || available.get() on:change=move |ev| available.set(event_target_checked(&ev))/>
                <span>"Available"</span>
            </label>
            {move || errors.with(|e| e.form.clone()).map(|message| view! { <p class="banner banner-error" role="alert">{message}</p> })}
            <div class="row">
                <button type="submit" class="btn btn-primary btn-sm" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" class="btn btn-ghost btn-sm" on:click=move |_| on_close.run(false)>"Cancel"</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_read_the_way_people_type_them() {
        assert_eq!(parse_price("12.50"), Ok(1250));
        assert_eq!(parse_price("12,5"), Ok(1250));
        assert_eq!(parse_price(" €9 "), Ok(900));
        assert_eq!(parse_price(".99"), Ok(99));
        assert_eq!(parse_price("1000"), Ok(100_000));
        assert!(parse_price("").is_err());
        assert!(parse_price("0").is_err());
        assert!(parse_price("1000.01").is_err());
        assert!(parse_price("12.345").is_err());
        assert!(parse_price("twelve").is_err());
        assert!(parse_price("-3").is_err());
    }

    #[test]
    fn prices_round_trip_through_the_field() {
        assert_eq!(price_text(1250), "12.50");
        assert_eq!(parse_price(&price_text(5)), Ok(5));
    }
}
