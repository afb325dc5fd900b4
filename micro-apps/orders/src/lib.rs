//! `orders`: the customer's order history and each order's progress (customer).
//!
//! Routes: `/orders` lists the orders newest first and `/orders/:id` follows one order along
//! its status timeline (refreshed every few seconds and when the window regains focus, until
//! live updates arrive).
//!
//! Layout: [`api`] (the BFF calls and their views), [`pages`] (one module per route); this
//! file holds the root that picks the page and the pieces both pages share.

mod api;
mod pages;

use leptos::prelude::*;
use tessera_contracts::food::{Order, OrderStatus};
use tessera_mfe::runtime;

/// Tells the shell this instance's first data is on screen: once, after the browser painted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyMark(StoredValue<Option<String>>);

impl ReadyMark {
    fn new(app: String) -> Self {
        Self(StoredValue::new(Some(app)))
    }

    pub(crate) fn mark(self) {
        if let Some(app) = self.0.try_update_value(Option::take).flatten() {
            request_animation_frame(move || runtime::app_ready(&app));
        }
    }
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
    match order.lines.iter().map(|line| line.quantity).sum::<i64>() {
        1 => "1 item".to_string(),
        n => format!("{n} items"),
    }
}

/// What a signed-out customer sees instead of orders.
#[component]
fn SignInPrompt(#[prop(into)] return_to: String) -> impl IntoView {
    view! {
        <div class="empty-state">
            <span class="empty-state-icon" aria-hidden="true">"🔑"</span>
            <h2>"Sign in to see your orders"</h2>
            <p>"Your orders are kept with your account: sign in to follow them from the kitchen to your door."</p>
            // A full page load: signing in is the host's page, not a micro-app route.
            <a class="btn btn-primary" href=format!("/auth/login?returnTo={return_to}") data-external="">"Sign in"</a>
        </div>
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
