//! The checkout form: delivery address and a note, then `PUT /orders/{id}`.
//!
//! The order id is made here (`api::new_id`). When an attempt ends without a clear answer (no
//! connection, server trouble) the id and the idempotency key are kept, so "Place order" again
//! is the same checkout and can never order twice; a clear refusal (409, 422) starts afresh.
//!
//! Offline, the service worker keeps the checkout in its outbox (with the order id and the key,
//! so sending it later orders once): the cart then shows "Order queued", and the orders app
//! shows the order as "Pending sync" from the note left with it.

use leptos::html::{Input, Textarea};
use leptos::prelude::*;
use tessera_mfe::api::new_id;
use tessera_mfe::runtime;

use super::cart::CartState;
use crate::announce;
use crate::api::{self, CartView, NewOrder};
use crate::pending::OrderNote;

const ADDRESS_MIN: usize = 5;
const ADDRESS_MAX: usize = 200;
const NOTE_MAX: usize = 500;

/// One checkout: the order it creates and the key that makes repeating it safe.
#[derive(Debug, Clone)]
struct Attempt {
    order_id: String,
    key: String,
}

fn address_problem(address: &str) -> Option<&'static str> {
    match address.trim().chars().count() {
        0 => Some("Enter the address we should deliver to."),
        n if n < ADDRESS_MIN => Some("That address looks too short. Add the street and number."),
        n if n > ADDRESS_MAX => Some("Keep the address under 200 characters."),
        _ => None,
    }
}

fn note_problem(note: &str) -> Option<&'static str> {
    (note.trim().chars().count() > NOTE_MAX).then_some("Keep the note under 500 characters.")
}

/// The form for a filled cart; `unavailable` names the dishes that block checkout.
pub(super) fn checkout_form(state: CartState, unavailable: Signal<Vec<String>>) -> AnyView {
    view! { <CheckoutForm state unavailable/> }.into_any()
}

#[component]
fn CheckoutForm(state: CartState, #[prop(into)] unavailable: Signal<Vec<String>>) -> impl IntoView {
    let prefix = state.props.with_untracked(|p| p.instance_id.clone());
    let ids = |suffix: &str| format!("{prefix}-{suffix}");
    let (address_id, address_hint, address_error) = (ids("address"), ids("address-hint"), ids("address-error"));
    let (note_id, note_hint, blocked_id) = (ids("note"), ids("note-hint"), ids("blocked"));

    let address = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    // Errors show once the field was left or the form was sent, not while typing the first letters.
    let address_checked = RwSignal::new(false);
    let placing = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let attempt = StoredValue::new(None::<Attempt>);
    let address_input = NodeRef::<Input>::new();
    let note_input = NodeRef::<Textarea>::new();

    let address_message = Memo::new(move |_| if address_checked.get() { address.with(|a| address_problem(a)) } else { None });
    let note_message = Memo::new(move |_| note.with(|n| note_problem(n)));
    let blocked = Memo::new(move |_| unavailable.with(|names| !names.is_empty()));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if placing.get_untracked() {
            return;
        }
        address_checked.set(true);
        if address.with_untracked(|a| address_problem(a)).is_some() {
            if let Some(input) = address_input.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        if note.with_untracked(|n| note_problem(n)).is_some() {
            if let Some(input) = note_input.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        if blocked.get_untracked() {
            return;
        }
        let this = attempt.get_value().unwrap_or_else(|| Attempt { order_id: new_id(), key: new_id() });
        attempt.set_value(Some(this.clone()));
        let order = NewOrder { delivery_address: address.with_untracked(|a| a.trim().to_string()), note: note.with_untracked(|n| n.trim().to_string()) };
        let note = OrderNote::for_cart(&this.order_id, &state.current(), &order.delivery_address, &order.note, js_sys::Date::now() as i64);
        let request = state.props.with_untracked(|p| api::place_order(p, &this.order_id, &this.key, order, note));
        placing.set(true);
        failure.set(None);
        // No signal is read after the await; writes to disposed signals are ignored.
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(()) => {
                    announce(&CartView::default());
                    runtime::navigate(&format!("/orders/{}", this.order_id));
                }
                // Kept offline: the cart fetched again shows "Order queued" (the form goes with
                // the lines); the next checkout is a new order.
                Err(error) if error.is_queued() => {
                    attempt.set_value(None);
                    announce(&CartView::default());
                    placing.set(false);
                    state.refetch();
                }
                Err(error) => {
                    let outcome_unknown = error.is_network() || error.status >= 500;
                    if !outcome_unknown {
                        attempt.set_value(None);
                    }
                    match error.status {
                        401 => state.cart.set(Some(Err(error.clone()))),
                        // Empty or unavailable dishes: the fresh cart shows which.
                        409 => state.refetch(),
                        _ => {}
                    }
                    let message = if outcome_unknown {
                        format!("{} Trying again is safe: it never places a second order.", error.message)
                    } else {
                        error.message
                    };
                    failure.set(Some(message));
                    placing.set(false);
                }
            }
        });
    };

    let blocked_for_button = blocked_id.clone();
    let describe_address = {
        let (hint, error) = (address_hint.clone(), address_error.clone());
        move || if address_message.with(Option::is_some) { format!("{hint} {error}") } else { hint.clone() }
    };

    view! {
        <form class="stack cart-checkout-form" novalidate="" on:submit=on_submit>
            <div class="field">
                <label for=address_id.clone()>"Delivery address"</label>
                <input
                    id=address_id
                    node_ref=address_input
                    class="input"
                    type="text"
                    name="deliveryAddress"
                    autocomplete="street-address"
                    required=""
                    aria-required="true"
                    maxlength=ADDRESS_MAX.to_string()
                    aria-invalid={move || if address_message.with(Option::is_some) { "true" } else { "false" }}
                    aria-describedby=describe_address
                    prop:value={move || address.get()}
                    on:input=move |ev| address.set(event_target_value(&ev))
                    on:blur=move |_| address_checked.set(true)
                />
                <span class="field-hint" id=address_hint>"Street and number, floor or flat, and city, so the driver finds you."</span>
                {move || address_message.get().map(|message| view! { <span class="field-error" id=address_error.clone()>{message}</span> })}
            </div>
            <div class="field">
                <label for=note_id.clone()>"Note for the restaurant (optional)"</label>
                <textarea
                    id=note_id
                    node_ref=note_input
                    class="textarea"
                    name="note"
                    rows="3"
                    maxlength=NOTE_MAX.to_string()
                    aria-describedby=note_hint.clone()
                    aria-invalid={move || if note_message.with(Option::is_some) { "true" } else { "false" }}
                    prop:value={move || note.get()}
                    on:input=move |ev| note.set(event_target_value(&ev))
                ></textarea>
                <span class="field-hint" id=note_hint>
                    {move || format!("Allergies, cutlery, how to find the door. {}/{NOTE_MAX}", note.with(|n| n.chars().count()))}
                </span>
                {move || note_message.get().map(|message| view! { <span class="field-error">{message}</span> })}
            </div>
            <Show when={move || blocked.get()}>
                <div class="banner banner-warning" id=blocked_id.clone()>
                    {move || format!("{} can no longer be ordered. Remove it from your cart to place your order.", unavailable.get().join(", "))}
                </div>
            </Show>
            {move || failure.get().map(|message| view! { <div class="banner banner-error" role="alert">{message}</div> })}
            <div class="row">
                <button
                    type="submit"
                    class="btn btn-primary cart-checkout-submit"
                    disabled={move || blocked.get()}
                    aria-describedby={move || blocked.get().then(|| blocked_for_button.clone())}
                    aria-busy={move || if placing.get() { "true" } else { "false" }}
                >
                    "Place order"
                </button>
                <Show when={move || placing.get()}>
                    <span class="muted" role="status">"Placing your order…"</span>
                </Show>
            </div>
        </form>
    }
}
