//! `/orders`: the customer's orders, newest first, each linking to its progress.
//!
//! Order events pushed live change the list at once (a new order appears, a status moves
//! on), and the list is fetched again in the background. Until the BFF's answer shows what
//! an event said, the event's order is kept on top of the answers ([`Pushed`]): the BFF may
//! answer before it has processed the event, and a status never goes back.

use std::cmp::Reverse;

use leptos::prelude::*;
use tessera_contracts::food::Order;
use tessera_mfe::api::ApiError;
use tessera_mfe::live::{use_live_events, use_live_reset};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{EmptyState, ErrorBanner, Loading, PageHeader, date_time, money};

use crate::api;
use crate::{ORDER_EVENTS, SignInPrompt, item_count, moves_on, own_order, status_badge_class};

/// Puts an order into the list (newest first): a new one in, a known one only when its
/// status moves on. Whether the list changed.
fn upsert(list: &mut Vec<Order>, order: &Order) -> bool {
    match list.iter_mut().find(|o| o.id == order.id) {
        Some(current) if moves_on(current, order) => *current = order.clone(),
        Some(_) => return false,
        None => {
            list.push(order.clone());
            list.sort_by_key(|order| Reverse(order.placed_at));
        }
    }
    true
}

/// Orders pushed live that the BFF's answers do not show yet.
#[derive(Debug, Clone, Copy)]
struct Pushed(StoredValue<Vec<Order>>);

impl Pushed {
    fn remember(self, order: &Order) {
        self.0.update_value(|pushed| {
            upsert(pushed, order);
        });
    }

    /// Lays what was pushed over a fresh answer, and forgets what the answer shows already.
    fn over(self, list: &mut Vec<Order>) {
        self.0.update_value(|pushed| {
            pushed.retain(|order| {
                let shown = list.iter().any(|o| o.id == order.id && !moves_on(o, order));
                if !shown {
                    upsert(list, order);
                }
                !shown
            });
        });
    }
}

/// The order list.
pub(crate) fn page() -> AnyView {
    view! { <OrdersPage/> }.into_any()
}

#[component]
fn OrdersPage() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let session = tessera_mfe::use_session();
    let ready = expect_context::<ReadyMark>();
    let orders = RwSignal::new(None::<Result<Vec<Order>, ApiError>>);
    let pushed = Pushed(StoredValue::new(Vec::new()));
    let reload = RwSignal::new(0u32);
    let signed_in = Memo::new(move |_| session.with(|s| s.signed_in));

    Effect::new(move |_| {
        reload.track();
        if !signed_in.get() {
            ready.mark();
            return;
        }
        let request = props.with_untracked(api::orders);
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let answer = request.await.map(|list| {
                let mut orders = list.orders;
                // The BFF answers newest first; keep it so even if a view lags behind.
                orders.sort_by_key(|order| Reverse(order.placed_at));
                pushed.over(&mut orders);
                orders
            });
            // A failed background refresh keeps the list on screen.
            let keep = answer.as_ref().is_err_and(|e| e.status != 401) && orders.try_with_untracked(|o| matches!(o, Some(Ok(_)))).unwrap_or(false);
            if !keep {
                orders.set(Some(answer));
            }
            ready.mark();
        });
    });

    // Each event carries the whole order: shown at once, then reconciled with the BFF.
    use_live_events(ORDER_EVENTS, move |event| {
        let Some(order) = session.with_untracked(|s| own_order(&event, &s.user_id)) else { return };
        pushed.remember(&order);
        orders.maybe_update(|orders| match orders {
            Some(Ok(list)) => upsert(list, &order),
            _ => false,
        });
        reload.update(|n| *n += 1);
    });
    // Events may have been missed: the BFF's answer has the last word.
    use_live_reset(move || reload.update(|n| *n += 1));
    // Coming back to the tab shows statuses that moved on meanwhile (live updates may have
    // been off).
    let focus = window_event_listener_untyped("focus", move |_| reload.update(|n| *n += 1));
    on_cleanup(move || focus.remove());

    let retry = Callback::new(move |()| reload.update(|n| *n += 1));

    view! {
        <div class="page orders-page">
            <PageHeader title="Your orders" lede="Track what is cooking and what is on its way."/>
            {move || {
                if !signed_in.get() {
                    return view! { <SignInPrompt return_to="/orders"/> }.into_any();
                }
                match orders.get() {
                    None => view! { <Loading label="Loading your orders…"/> }.into_any(),
                    Some(Err(error)) if error.status == 401 => view! { <SignInPrompt return_to="/orders"/> }.into_any(),
                    Some(Err(error)) => view! { <ErrorBanner message=error.message retry=retry/> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <NoOrders/> }.into_any(),
                    Some(Ok(list)) => view! {
                        <ul class="orders-list" role="list">
                            {list.into_iter().map(|order| view! { <OrderRow order/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                }
            }}
        </div>
    }
}

#[component]
fn NoOrders() -> impl IntoView {
    view! {
        <EmptyState icon="🧾" title="No orders yet" body="When you place an order, its progress appears here, step by step.">
            <a class="btn btn-primary" href="/">"Browse restaurants"</a>
        </EmptyState>
    }
}

#[component]
fn OrderRow(order: Order) -> impl IntoView {
    let items = item_count(&order);
    view! {
        <li>
            <a class="card orders-card" href=format!("/orders/{}", order.id)>
                <div class="orders-card-main">
                    <span class="card-title">{order.restaurant_name}</span>
                    <span class="card-meta">
                        <span>{format!("Placed {}", date_time(order.placed_at))}</span>
                        <span aria-hidden="true">"·"</span>
                        <span>{items}</span>
                    </span>
                </div>
                <div class="orders-card-side">
                    <span class="price">{money(order.total_cents)}</span>
                    <span class=status_badge_class(order.status)>{order.status.label()}</span>
                </div>
            </a>
        </li>
    }
}
