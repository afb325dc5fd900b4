//! `/restaurant`: the open orders of the picked restaurant, oldest first, with the step each
//! one waits for (accept or reject, mark ready, hand over to a driver).
//!
//! Order events pushed live change the queue at once (a new order comes in, a status moves
//! on, a picked-up order leaves), and the open orders are then fetched again in the
//! background to reconcile. Polling stays as a safety net (`use_live_polling`).

use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use tessera_contracts::food::{self, Order, OrderStatus};
use tessera_mfe::api::Latest;
use tessera_mfe::live::{use_live_events, use_live_polling, use_live_reset};
use tessera_mfe::ui::{EmptyState, Freshness, money, plural, short_id, time_of_day};

use crate::api::{self, Step};
use crate::{Kitchen, status_badge};

/// How often open orders are fetched as a safety net while events arrive live (every 5 s
/// without a live connection).
const REFRESH_WHILE_LIVE: Duration = Duration::from_secs(30);

/// The events that change the kitchen's queue (this app's `mfe.json` `liveEvents`).
const ORDER_EVENTS: &[&str] =
    &[food::ORDER_PLACED, food::ORDER_ACCEPTED, food::ORDER_REJECTED, food::ORDER_READY, food::ORDER_PICKED_UP, food::ORDER_DELIVERED];

fn is_open(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Placed | OrderStatus::Accepted | OrderStatus::Ready)
}

/// Puts a pushed order into the open orders: a new open one in, a known one when its status
/// moves on (out, once it is no longer open). A late or repeated event changes nothing.
fn upsert_open(list: &mut Vec<Order>, order: &Order) {
    match list.iter().position(|o| o.id == order.id) {
        Some(index) if order.status.rank() > list[index].status.rank() => {
            if is_open(order.status) {
                list[index] = order.clone();
            } else {
                list.remove(index);
            }
        }
        Some(_) => {}
        None if is_open(order.status) => list.push(order.clone()),
        None => {}
    }
}

/// Reasons a kitchen most often turns an order down; the first is preselected.
const REJECT_REASONS: &[&str] = &["Too busy right now", "An ingredient ran out", "Kitchen closing soon", "We can't prepare this order today"];

/// A command the BFF refused, kept until the kitchen acts on that order again or dismisses it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    order_id: String,
    customer: String,
    message: String,
}

/// The open orders of all the owner's restaurants, as last fetched.
#[derive(Debug, Clone, Copy)]
struct OpenOrders {
    latest: Latest<Vec<Order>>,
    /// Refused commands; shown on the order's card, or on the page once the order has left.
    failures: RwSignal<Vec<Failure>>,
}

impl OpenOrders {
    fn new() -> Self {
        Self { latest: Latest::new(), failures: RwSignal::new(Vec::new()) }
    }

    /// Fetches the open orders; while a fetch runs, one more follows it instead.
    fn refresh(self, kitchen: Kitchen) {
        self.latest.refresh(move || api::open_orders(kitchen.bff), move || kitchen.ready.mark());
    }

    fn failure(self, order_id: &str) -> Option<String> {
        self.failures.with(|f| f.iter().find(|f| f.order_id == order_id).map(|f| f.message.clone()))
    }

    fn set_failure(self, order_id: &str, failure: Option<Failure>) {
        self.failures.update(|list| {
            list.retain(|f| f.order_id != order_id);
            list.extend(failure);
        });
    }

    /// Puts what an event says in place at once (and over the answers of the next seconds,
    /// which may not show it yet), then reconciles with the BFF.
    fn pushed(self, kitchen: Kitchen, order: Order) {
        let new = order.status == OrderStatus::Placed && self.latest.data.with_untracked(|list| list.as_ref().is_some_and(|list| !list.iter().any(|o| o.id == order.id)));
        if new {
            kitchen.announce(format!("New order from {}.", order.customer_name));
        }
        self.latest.live_change(move |list| upsert_open(list, &order));
        self.refresh(kitchen);
    }

    /// Puts the BFF's answer to a command in place; orders that are no longer open leave.
    fn apply(self, order: Order) {
        let open = is_open(order.status);
        self.latest.change(|list| {
            match list.iter().position(|o| o.id == order.id) {
                Some(index) if open => list[index] = order,
                Some(index) => {
                    list.remove(index);
                }
                None if open => list.push(order),
                None => {}
            }
        });
    }
}

pub(crate) fn orders_page() -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    let orders = OpenOrders::new();
    orders.refresh(kitchen);
    use_live_polling(REFRESH_WHILE_LIVE, move || orders.refresh(kitchen));
    use_live_events(ORDER_EVENTS, move |event| {
        let Some(order) = event.payload::<Order>().or_else(|| event.entity("order")) else { return };
        // Only the owner's restaurants: a user who also orders or drives is sent other orders.
        let theirs = kitchen.restaurants.try_with_untracked(|list| list.as_ref().is_none_or(|list| list.iter().any(|r| r.id == order.restaurant_id)));
        if theirs == Some(true) {
            orders.pushed(kitchen, order);
        }
    });
    use_live_reset(move || orders.refresh(kitchen));
    let list = orders.latest.data;

    // With several restaurants the page shows the picked one; the others' counts are offered.
    let several = Memo::new(move |_| kitchen.restaurants.with(|r| r.as_ref().is_some_and(|r| r.len() > 1)));
    let shown = Memo::new(move |_| {
        let selected = kitchen.selected.get();
        list.with(|list| {
            list.as_ref().map(|list| list.iter().filter(|o| !several.get() || selected.as_ref().is_none_or(|id| &o.restaurant_id == id)).cloned().collect::<Vec<_>>())
        })
    });
    let elsewhere = Memo::new(move |_| {
        if !several.get() {
            return Vec::new();
        }
        let selected = kitchen.selected.get();
        let mut counts: Vec<(String, String, usize)> = Vec::new();
        list.with(|list| {
            for order in list.iter().flatten().filter(|o| Some(&o.restaurant_id) != selected.as_ref()) {
                match counts.iter_mut().find(|(id, _, _)| id == &order.restaurant_id) {
                    Some(entry) => entry.2 += 1,
                    None => counts.push((order.restaurant_id.clone(), order.restaurant_name.clone(), 1)),
                }
            }
        });
        counts
    });

    let retry = Callback::new(move |()| orders.refresh(kitchen));
    // Refusals about orders that have left the list (rejected elsewhere, say). A memo, so that
    // a poll does not re-render (and re-announce) the alerts.
    let gone = Memo::new(move |_| {
        orders.failures.with(|failures| list.with(|list| failures.iter().filter(|f| !list.iter().flatten().any(|o| o.id == f.order_id)).cloned().collect::<Vec<_>>()))
    });

    view! {
        <section class="stack" aria-labelledby="kitchen-orders-title">
            <div class="row">
                <h2 id="kitchen-orders-title">"Incoming orders"</h2>
                <span class="spacer"></span>
                <Summary shown=shown/>
            </div>
            {move || {
                elsewhere
                    .get()
                    .into_iter()
                    .map(|(id, name, count)| {
                        let label = format!("Show {name}");
                        view! {
                            <div class="banner banner-info">
                                <span>{format!("{name} has {} open.", plural(count, "order", "orders"))}</span>
                                <span class="spacer"></span>
                                <button type="button" class="btn btn-sm btn-secondary" on:click=move |_| kitchen.selected.set(Some(id.clone()))>
                                    {label}
                                </button>
                            </div>
                        }
                    })
                    .collect_view()
            }}
            {move || {
                gone.get()
                    .into_iter()
                    .map(|failure| {
                        let order_id = failure.order_id.clone();
                        view! {
                            <div class="banner banner-error" role="alert">
                                <span>{format!("The order for {}: {}", failure.customer, failure.message)}</span>
                                <span class="spacer"></span>
                                <button type="button" class="btn btn-sm btn-ghost" on:click=move |_| orders.set_failure(&order_id, None)>"Dismiss"</button>
                            </div>
                        }
                    })
                    .collect_view()
            }}
            <Freshness latest=orders.latest loading="Loading open orders…" what="The orders" retry/>
            <Show when=move || shown.with(|s| s.as_ref().is_some_and(Vec::is_empty))>
                <EmptyState icon="🧾" body="No open orders — new orders appear here."/>
            </Show>
            <ul class="card-grid kitchen-orders" role="list">
                <For each=move || shown.get().unwrap_or_default() key=|order| order.id.clone() let:order>
                    <li>
                        <OrderCard initial=order orders=orders/>
                    </li>
                </For>
            </ul>
        </section>
    }
}

/// "2 new · 1 in the kitchen · 1 waiting for a driver".
#[component]
fn Summary(shown: Memo<Option<Vec<Order>>>) -> impl IntoView {
    let text = move || {
        shown.with(|list| {
            let list = list.as_ref()?;
            let count = |status: OrderStatus| list.iter().filter(|o| o.status == status).count();
            let parts: Vec<String> = [
                (count(OrderStatus::Placed), "new"),
                (count(OrderStatus::Accepted), "in the kitchen"),
                (count(OrderStatus::Ready), "waiting for a driver"),
            ]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            (!parts.is_empty()).then(|| parts.join(" · "))
        })
    };
    view! { <p class="muted kitchen-summary">{text}</p> }
}

#[component]
fn OrderCard(initial: Order, orders: OpenOrders) -> impl IntoView {
    let kitchen = expect_context::<Kitchen>();
    // What never changes for an order is rendered once; the status follows the list.
    let id = initial.id.clone();
    let order = {
        let initial = initial.clone();
        Memo::new(move |previous: Option<&Order>| {
            orders.latest.data.with(|list| list.as_ref().and_then(|list| list.iter().find(|o| o.id == id).cloned())).or_else(|| previous.cloned()).unwrap_or_else(|| initial.clone())
        })
    };
    let status = Memo::new(move |_| order.with(|o| o.status));
    let busy = RwSignal::new(false);
    let error = {
        let id = initial.id.clone();
        Memo::new(move |_| orders.failure(&id))
    };
    let rejecting = RwSignal::new(false);
    let reason = RwSignal::new(REJECT_REASONS[0].to_string());
    let reason_select = NodeRef::<html::Select>::new();
    let next_button = NodeRef::<html::Button>::new();
    let title_id = format!("order-{}-title", initial.id);
    let customer = initial.customer_name.clone();

    let act = move |step: Step| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let (order_id, who) = order.with_untracked(|o| (o.id.clone(), o.customer_name.clone()));
        orders.set_failure(&order_id, None);
        let request = api::advance(kitchen.bff, &order_id, step);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(updated) => {
                    let sentence = match updated.status {
                        OrderStatus::Accepted => format!("Accepted the order for {who}."),
                        OrderStatus::Rejected => format!("Rejected the order for {who}."),
                        OrderStatus::Ready => format!("The order for {who} is ready for pickup."),
                        other => format!("The order for {who} is now {}.", other.label().to_ascii_lowercase()),
                    };
                    kitchen.announce(sentence);
                    rejecting.set(false);
                    orders.apply(updated);
                    // Keep keyboard users on the card: the next step's button replaces this one.
                    request_animation_frame(move || {
                        if let Some(Some(button)) = next_button.try_get_untracked() {
                            let _ = button.focus();
                        }
                    });
                }
                Err(failure) => orders.set_failure(&order_id, Some(Failure { order_id: order_id.clone(), customer: who, message: failure.message })),
            }
            busy.set(false);
            orders.refresh(kitchen);
        });
    };

    let open_reject = move |_| {
        rejecting.set(true);
        request_animation_frame(move || {
            if let Some(Some(select)) = reason_select.try_get_untracked() {
                let _ = select.focus();
            }
        });
    };

    let actions = move || match status.get() {
        OrderStatus::Placed if rejecting.get() => view! {
            <form
                class="kitchen-reject stack"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    act(Step::Reject(reason.get_untracked()));
                }
            >
                <label class="field">
                    "Reason for rejecting"
                    <select class="select" node_ref=reason_select on:change=move |ev| reason.set(event_target_value(&ev))>
                        {REJECT_REASONS
                            .iter()
                            .map(|r| view! { <option value=*r prop:selected=move || reason.get() == *r>{*r}</option> })
                            .collect_view()}
                    </select>
                </label>
                <div class="row">
                    <button type="submit" class="btn btn-danger btn-sm" disabled=move || busy.get()>"Confirm rejection"</button>
                    <button type="button" class="btn btn-ghost btn-sm" on:click=move |_| rejecting.set(false)>"Keep order"</button>
                </div>
            </form>
        }
        .into_any(),
        OrderStatus::Placed => view! {
            <div class="row">
                <button type="button" class="btn btn-primary btn-sm" node_ref=next_button disabled=move || busy.get() on:click=move |_| act(Step::Accept)>
                    "Accept"
                </button>
                <button type="button" class="btn btn-ghost btn-sm" disabled=move || busy.get() on:click=open_reject>"Reject"</button>
            </div>
        }
        .into_any(),
        OrderStatus::Accepted => view! {
            <div class="row">
                <button type="button" class="btn btn-primary btn-sm" node_ref=next_button disabled=move || busy.get() on:click=move |_| act(Step::Ready)>
                    "Mark ready"
                </button>
            </div>
        }
        .into_any(),
        OrderStatus::Ready => {
            let text = if order.with(|o| o.driver_id.is_some()) { "A driver is on the way to pick it up." } else { "Waiting for a driver to pick it up." };
            view! { <p class="muted">{text}</p> }.into_any()
        }
        _ => ().into_any(),
    };

    let note = (!initial.note.trim().is_empty()).then(|| {
        view! {
            <dt>"Note"</dt>
            <dd>{initial.note.clone()}</dd>
        }
    });
    let labelled_by = title_id.clone();

    view! {
        <article class="card kitchen-order" aria-labelledby=labelled_by aria-busy=move || busy.get().then_some("true")>
            <div class="kitchen-order-head">
                <h3 class="card-title" id=title_id>{customer}</h3>
                <span class=move || status_badge(status.get()) aria-live="polite">{move || status.get().label()}</span>
            </div>
            <p class="card-meta">
                <span>"Placed " <time>{time_of_day(initial.placed_at)}</time></span>
                <span>{format!("Order {}", short_id(&initial.id))}</span>
            </p>
            <ul class="list kitchen-order-lines" aria-label="Dishes">
                {initial
                    .lines
                    .iter()
                    .map(|line| {
                        view! {
                            <li class="list-item">
                                <span>{format!("{} × {}", line.quantity, line.name)}</span>
                                <span class="price">{money(line.price_cents * line.quantity)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="kitchen-order-total">
                <span>"Total"</span>
                <span class="price">{money(initial.total_cents)}</span>
            </div>
            <dl class="kv">
                <dt>"Deliver to"</dt>
                <dd>{initial.delivery_address.clone()}</dd>
                {note}
            </dl>
            {move || error.get().map(|message| view! { <p class="banner banner-error" role="alert">{message}</p> })}
            {actions}
        </article>
    }
}
