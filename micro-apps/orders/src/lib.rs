//! `orders`: the customer's order history and each order's progress (customer).
//!
//! Routes: `/orders` lists the orders newest first and `/orders/:id` follows one order along
//! its status timeline. Both follow the order events pushed live (each carries the whole
//! order, shown at once), fetch again in the background to reconcile, and fetch afresh when
//! the live connection says events were missed.
//!
//! Layout: [`api`] (the BFF calls and their views), [`pages`] (one module per route); this
//! file holds the root that picks the page and the pieces both pages share.

mod api;
mod pages;

use leptos::prelude::*;
use tessera_contracts::food::{self, Order, OrderStatus};
use tessera_mfe::live::LiveEvent;
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{self, plural};

/// The events that move a customer's order on (this app's `mfe.json` `liveEvents`).
pub(crate) const ORDER_EVENTS: &[&str] =
    &[food::ORDER_PLACED, food::ORDER_ACCEPTED, food::ORDER_REJECTED, food::ORDER_READY, food::ORDER_PICKED_UP, food::ORDER_DELIVERED];

/// The signed-in customer's order an event carries, if it is theirs: a user who also owns a
/// restaurant or drives is sent other customers' orders too.
pub(crate) fn own_order(event: &LiveEvent, user_id: &str) -> Option<Order> {
    event.payload::<Order>().or_else(|| event.entity("order")).filter(|order| order.customer_id == user_id)
}

/// Whether `newer` is a later state of `current`: a status only ever moves forward, so a late
/// or repeated event changes nothing.
pub(crate) fn moves_on(current: &Order, newer: &Order) -> bool {
    newer.status.rank() > current.status.rank()
}

/// The badge colour of a status: new (info), under way (warning), done (success), refused
/// (danger).
pub(crate) fn status_badge_class(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Placed => "badge badge-info",
        OrderStatus::Accepted | OrderStatus::Ready | OrderStatus::PickedUp => "badge badge-warning",
        OrderStatus::Delivered => "badge badge-success",
        OrderStatus::Rejected => "badge badge-danger",
    }
}

/// How many dishes an order holds.
pub(crate) fn item_count(order: &Order) -> String {
    plural(order.lines.iter().map(|line| line.quantity).sum::<i64>(), "item", "items")
}

/// What a signed-out customer sees instead of orders.
#[component]
fn SignInPrompt(#[prop(into)] return_to: String) -> impl IntoView {
    view! {
        <ui::SignInPrompt
            icon="🔑"
            title="Sign in to see your orders"
            body="Your orders are kept with your account: sign in to follow them from the kitchen to your door."
            return_to
        />
    }
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    provide_context(ReadyMark::new(props.get_untracked().name));
    // Only a different order swaps the page: other prop changes keep it (and its timers).
    let order = Memo::new(move |_| props.with(|p| p.param("id").map(str::to_string)));
    move || match order.get() {
        Some(id) => pages::order::page(id),
        None => pages::orders::page(),
    }
}

tessera_mfe::export_app!(app);
