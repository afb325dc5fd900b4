//! The `add-to-cart` parcel: a quantity stepper and an "Add" button inside a host app's menu
//! item (parcel props `restaurantId`, `restaurantName`, `itemId`, `name`, `priceCents`).
//!
//! The BFF takes a line's new quantity, not an increment, so adding reads the cart first and
//! sends what is there plus the chosen amount. The server's answer is shown inline: a
//! conflict (dishes of another restaurant), a sign-in hint, or how many are now in the cart.
//! Offline, the cart read is the service worker's copy with the changes waiting in its outbox
//! laid over it, and the change is kept to be sent later: "Saved offline — will sync".

use leptos::prelude::*;
use serde::Deserialize;
use tessera_mfe::api::ApiError;
use tessera_mfe::session::sign_in_href;

use crate::announce;
use crate::api::{self, MAX_QUANTITY};
use crate::pending::ItemNote;

/// The parcel props this parcel needs (the host passes more; they are not needed here).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemProps {
    item_id: String,
    name: String,
    /// For showing the dish in the cart while the change waits offline.
    #[serde(default)]
    price_cents: Option<i64>,
    #[serde(default)]
    restaurant_id: Option<String>,
    #[serde(default)]
    restaurant_name: Option<String>,
}

/// The line under the controls.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    SignIn,
    InCart(i64),
    /// Kept offline; this many will be in the cart once it is sent.
    SavedOffline(i64),
    Failed { message: String, conflict: bool },
}

/// The parcel's view.
pub(crate) fn parcel() -> AnyView {
    view! { <AddToCart/> }.into_any()
}

#[component]
fn AddToCart() -> impl IntoView {
    let Some(item) = tessera_mfe::parcel_props::<ItemProps>() else {
        return view! { <span class="badge badge-muted">"Can't be ordered right now"</span> }.into_any();
    };
    let props = tessera_mfe::use_props();
    let session = tessera_mfe::use_session();
    let return_to = props.with_untracked(|p| p.path.clone());
    let quantity = RwSignal::new(1i64);
    let added = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let note = RwSignal::new(None::<Note>);

    // Signing in (in another tab, say) makes the hint obsolete.
    Effect::new(move |_| {
        if session.with(|s| s.signed_in) && note.with_untracked(|n| n == &Some(Note::SignIn)) {
            note.set(None);
        }
    });

    let item_id = item.item_id.clone();
    let note_for = {
        let item = item.clone();
        move |quantity: i64| ItemNote {
            label: format!("{quantity} × {}", item.name),
            name: item.name.clone(),
            price_cents: item.price_cents,
            restaurant_id: item.restaurant_id.clone(),
            restaurant_name: item.restaurant_name.clone(),
        }
    };
    let add = move |_| {
        if busy.get_untracked() {
            return;
        }
        if !session.with_untracked(|s| s.signed_in) {
            note.set(Some(Note::SignIn));
            return;
        }
        busy.set(true);
        note.set(None);
        let wanted = quantity.get_untracked();
        let props = props.clone();
        let item_id = item_id.clone();
        let note_for = note_for.clone();
        let read_cart = props.with_untracked(api::cart);
        // Nothing below reads a signal after an await: the parcel may be unmounted by then, and
        // writes to a disposed signal are ignored.
        leptos::task::spawn_local(async move {
            let mut next = 0;
            let answer = async {
                let current = read_cart.await?.view.quantity_of(&item_id);
                if current >= MAX_QUANTITY {
                    return Err(ApiError::new(422, format!("You already have {MAX_QUANTITY} in your cart, the most one order takes.")));
                }
                next = (current + wanted).min(MAX_QUANTITY);
                props.with_untracked(|p| api::set_quantity(p, &item_id, next, note_for(next))).await
            }
            .await;
            match answer {
                Ok(cart) => {
                    added.set(true);
                    quantity.set(1);
                    note.set(Some(Note::InCart(cart.quantity_of(&item_id))));
                    announce(&cart);
                }
                Err(error) if error.is_queued() => {
                    added.set(true);
                    quantity.set(1);
                    note.set(Some(Note::SavedOffline(next)));
                }
                Err(error) if error.status == 401 => note.set(Some(Note::SignIn)),
                Err(error) => note.set(Some(Note::Failed { conflict: error.status == 409, message: error.message })),
            }
            busy.set(false);
        });
    };

    let name = item.name;
    view! {
        <div class="add-to-cart">
            <div class="row add-to-cart-controls" role="group" aria-label=format!("Add {name} to cart")>
                <div class="qty">
                    <button
                        type="button"
                        class="btn btn-sm btn-secondary"
                        aria-label="One less"
                        disabled={move || quantity.get() <= 1}
                        on:click=move |_| quantity.update(|q| *q = (*q - 1).max(1))
                    >
                        "−"
                    </button>
                    <span aria-live="polite">{move || quantity.get()}</span>
                    <button
                        type="button"
                        class="btn btn-sm btn-secondary"
                        aria-label="One more"
                        disabled={move || quantity.get() >= MAX_QUANTITY}
                        on:click=move |_| quantity.update(|q| *q = (*q + 1).min(MAX_QUANTITY))
                    >
                        "+"
                    </button>
                </div>
                // aria-disabled rather than disabled: the button keeps keyboard focus while busy.
                <button
                    type="button"
                    class="btn btn-sm btn-primary"
                    aria-disabled={move || if busy.get() { "true" } else { "false" }}
                    on:click=add
                >
                    {move || if added.get() { "Add more" } else { "Add" }}
                </button>
            </div>
            <div class="add-to-cart-note" aria-live="polite">
                {move || note.get().map(|note| match note {
                    Note::SignIn => view! {
                        <span class="muted">
                            <a href=sign_in_href(&return_to) data-external="">"Sign in to order"</a>
                        </span>
                    }
                    .into_any(),
                    Note::InCart(count) => view! { <span class="muted">{format!("{count} in your cart")}</span> }.into_any(),
                    Note::SavedOffline(count) => view! {
                        <span class="add-to-cart-offline">{format!("Saved offline — will sync ({count} in your cart)")}</span>
                    }
                    .into_any(),
                    Note::Failed { message, conflict } => view! {
                        <span class="add-to-cart-error" role="alert">
                            {message}
                            {conflict.then(|| view! { " " <a href="/cart">"Open your cart"</a> })}
                        </span>
                    }
                    .into_any(),
                })}
            </div>
        </div>
    }
    .into_any()
}
