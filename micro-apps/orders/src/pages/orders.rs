//! `/orders`: the customer's orders, newest first, each linking to its progress.

use leptos::prelude::*;
use tessera_contracts::food::Order;
use tessera_mfe::api::ApiError;
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{EmptyState, ErrorBanner, Loading, PageHeader, date_time, money};

use crate::api;
use crate::{SignInPrompt, item_count, status_badge_class};

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
                orders.sort_by_key(|order| std::cmp::Reverse(order.placed_at));
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

    // Coming back to the tab shows statuses that moved on meanwhile.
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
