//! `/orders`: the customer's orders, newest first, each linking to its progress.
//!
//! Order events pushed live change the list at once (a new order appears, a status moves
//! on), and the list is fetched again in the background. Until the BFF's answer shows what
//! an event said, the event's order is kept on top of the answers ([`Pushed`]): the BFF may
//! answer before it has processed the event, and a status never goes back.
//!
//! Offline, the list is the one the service worker kept (with when), and checkouts waiting in
//! its outbox show on top as "Pending sync" until they are sent; then the list is fetched
//! again and the order is there, placed.

use std::cmp::Reverse;

use leptos::prelude::*;
use tessera_contracts::food::Order;
use tessera_mfe::api::ApiError;
use tessera_mfe::live::{use_live_events, use_live_reset};
use tessera_mfe::offline::use_outbox_changes;
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{EmptyState, ErrorBanner, Loading, OfflineNotice, PageHeader, date_time, money, plural};

use crate::api::{self, CART_BFF, PendingOrder};
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
    // Checkouts waiting in the outbox, and when the list shown was kept (offline).
    let queued = RwSignal::new(Vec::<PendingOrder>::new());
    let offline_as_of = RwSignal::new(None::<i64>);

    Effect::new(move |_| {
        reload.track();
        if !signed_in.get() {
            ready.mark();
            return;
        }
        let request = props.with_untracked(api::orders);
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let answer = request.await;
            if let Ok((_, served)) = &answer {
                offline_as_of.set(served.offline_as_of());
            }
            let waiting = api::pending_orders().await;
            let answer = answer.map(|(list, _)| {
                let mut orders = list.orders;
                // The BFF answers newest first; keep it so even if a view lags behind.
                orders.sort_by_key(|order| Reverse(order.placed_at));
                pushed.over(&mut orders);
                orders
            });
            // A failed background refresh keeps the list on screen.
            let keep = answer.as_ref().is_err_and(|e| e.status != 401) && orders.try_with_untracked(|o| matches!(o, Some(Ok(_)))).unwrap_or(false);
            // A checkout the list already has was sent meanwhile.
            let listed = |id: &str| match &answer {
                Ok(list) => list.iter().any(|o| o.id == id),
                Err(_) => orders.try_with_untracked(|o| matches!(o, Some(Ok(list)) if list.iter().any(|o| o.id == id))).unwrap_or(false),
            };
            queued.set(waiting.into_iter().filter(|p| !listed(&p.id)).collect());
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

    // A checkout was queued, sent, refused or thrown away: the list and the outbox again.
    use_outbox_changes(move |_, entry| {
        if entry.is_none_or(|entry| entry.path_under(CART_BFF).is_some()) {
            reload.update(|n| *n += 1);
        }
    });

    let retry = Callback::new(move |()| reload.update(|n| *n += 1));

    view! {
        <div class="page orders-page">
            <PageHeader title="Your orders" lede="Track what is cooking and what is on its way."/>
            <OfflineNotice what="your orders" as_of=offline_as_of/>
            {move || {
                let waiting = queued.get();
                (signed_in.get() && !waiting.is_empty()).then(|| view! {
                    <ul class="orders-list orders-pending" role="list" aria-label="Pending sync">
                        {waiting.into_iter().map(|order| view! { <PendingRow order/> }).collect_view()}
                    </ul>
                })
            }}
            {move || {
                if !signed_in.get() {
                    return view! { <SignInPrompt return_to="/orders"/> }.into_any();
                }
                let has_queued = queued.with(|q| !q.is_empty());
                match orders.get() {
                    None => view! { <Loading label="Loading your orders…"/> }.into_any(),
                    Some(Err(error)) if error.status == 401 => view! { <SignInPrompt return_to="/orders"/> }.into_any(),
                    Some(Err(error)) => view! { <ErrorBanner message=error.message retry=retry/> }.into_any(),
                    Some(Ok(list)) if list.is_empty() && has_queued => ().into_any(),
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

/// A checkout not sent yet: no link (the BFF does not know it), what it will order.
#[component]
fn PendingRow(order: PendingOrder) -> impl IntoView {
    let restaurant = order.restaurant_name.clone().unwrap_or_else(|| "Your order".to_string());
    view! {
        <li>
            <div class="card orders-card is-pending">
                <div class="orders-card-main">
                    <span class="card-title">{restaurant}</span>
                    <span class="card-meta">
                        <span>{format!("Ordered {} on this device", date_time(order.placed_at))}</span>
                        <span aria-hidden="true">"·"</span>
                        <span>{plural(order.item_count(), "item", "items")}</span>
                    </span>
                </div>
                <div class="orders-card-side">
                    <span class="price">{money(order.total_cents)}</span>
                    <span class="badge badge-warning" title="Saved on this device; placed as soon as the service can be reached.">"Pending sync"</span>
                </div>
            </div>
        </li>
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
