//! `/driver`: the driver's own deliveries (pick up, deliver; today's completed ones folded
//! away), then the deliveries on offer to claim. Only one driver wins a claim; the others are
//! told so and the list is refreshed.
//!
//! Order events pushed live change the page at once (an order ready for pickup goes on
//! offer, the driver's own deliveries move on, also when moved from another device), and the
//! deliveries are then fetched again in the background to reconcile. No event tells the
//! other drivers that a delivery was claimed, so the safety-net polling is what takes it off
//! their offer (or a claim that loses, which says so): every 15 s while events arrive live.

use std::time::Duration;

use leptos::prelude::*;
use tessera_contracts::food::{self, Order, OrderStatus};
use tessera_mfe::api::{Bff, Latest};
use tessera_mfe::live::{use_live_events, use_live_polling, use_live_reset};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{EmptyState, Freshness, PageHeader, money, plural, short_id, time_of_day};
use wasm_bindgen::JsCast;

use crate::api::{self, Deliveries, Step};
use crate::status_badge;

/// How often deliveries are fetched as a safety net while events arrive live (every 5 s
/// without a live connection).
const REFRESH_WHILE_LIVE: Duration = Duration::from_secs(15);

/// The events that change a driver's page (this app's `mfe.json` `liveEvents`).
const DELIVERY_EVENTS: &[&str] = &[food::ORDER_READY, food::ORDER_PICKED_UP, food::ORDER_DELIVERED];

/// Puts a pushed order where it belongs for driver `me`: the driver's own deliveries move on
/// (a late or repeated event changes nothing), an unclaimed ready order goes on offer, and
/// one that moved on elsewhere leaves the offer.
fn place_pushed(data: &mut Deliveries, order: &Order, me: &str) {
    if let Some(slot) = data.mine.iter_mut().find(|o| o.id == order.id) {
        if order.status.rank() > slot.status.rank() {
            *slot = order.clone();
        }
        return;
    }
    data.available.retain(|o| o.id != order.id);
    if order.driver_id.as_deref() == Some(me) {
        data.mine.insert(0, order.clone());
    } else if order.status == OrderStatus::Ready && order.driver_id.is_none() {
        data.available.push(order.clone());
    }
}

/// The page's state: the last answer of `GET /deliveries` and what is happening to it.
#[derive(Debug, Clone, Copy)]
struct Board {
    bff: Bff,
    deliveries: Latest<Deliveries>,
    /// When a refresh was last asked for (epoch ms); see [`Board::clock`].
    now: RwSignal<i64>,
    /// A message that must not be missed (a claim lost to another driver).
    notice: RwSignal<Option<String>>,
    /// The latest sentence for screen readers (a polite live region).
    announcement: RwSignal<String>,
    ready: ReadyMark,
}

impl Board {
    fn new(bff: Bff, ready: ReadyMark) -> Self {
        Self {
            bff,
            deliveries: Latest::new(),
            now: RwSignal::new(js_sys::Date::now() as i64),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            ready,
        }
    }

    /// Fetches the deliveries; while a fetch runs, one more follows it instead.
    fn refresh(self) {
        self.now.set(js_sys::Date::now() as i64);
        self.deliveries.refresh(move || api::deliveries(self.bff), move || self.ready.mark());
    }

    /// The clock for waiting times (epoch ms): it moves on with every refresh asked for and
    /// every answer.
    fn clock(self) -> i64 {
        self.now.get().max(self.deliveries.fetched_at.get().unwrap_or(0))
    }

    /// Puts the BFF's answer to a command in place: the order is the caller's now.
    fn apply(self, order: Order) {
        self.deliveries.change(|data| {
            data.available.retain(|o| o.id != order.id);
            match data.mine.iter_mut().find(|o| o.id == order.id) {
                Some(slot) => *slot = order,
                None => data.mine.insert(0, order),
            }
        });
    }

    /// Puts what an event says in place at once (and over the answers of the next seconds,
    /// which may not show it yet), then reconciles with the BFF.
    fn pushed(self, order: Order, me: String) {
        let offered = order.status == OrderStatus::Ready
            && order.driver_id.is_none()
            && self.deliveries.data.with_untracked(|d| d.as_ref().is_some_and(|d| !d.available.iter().chain(&d.mine).any(|o| o.id == order.id)));
        if offered {
            self.announce(format!("New delivery from {} to claim.", order.restaurant_name));
        }
        self.deliveries.live_change(move |data| place_pushed(data, &order, &me));
        self.refresh();
    }

    /// Takes an order off the offer list (another driver claimed it).
    fn withdraw(self, order_id: &str) {
        self.deliveries.change(|data| data.available.retain(|o| o.id != order_id));
    }

    fn announce(self, sentence: impl Into<String>) {
        self.announcement.set(sentence.into());
    }
}

/// Moves keyboard focus to the element with `id` once the next frame is drawn.
fn focus_later(id: String) {
    request_animation_frame(move || {
        if let Some(element) = document().get_element_by_id(&id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

fn action_id(order_id: &str) -> String {
    format!("delivery-{order_id}-action")
}

fn item_count(order: &Order) -> String {
    plural(order.lines.iter().map(|l| l.quantity).sum::<i64>(), "item", "items")
}

/// How long an order has been waiting for a driver, in words.
fn waiting(now: i64, since: i64) -> String {
    let minutes = (now - since).max(0) / 60_000;
    match minutes {
        0 => "Ready just now".to_string(),
        1..=59 => format!("Waiting {minutes} min"),
        _ => format!("Waiting {} h {} min", minutes / 60, minutes % 60),
    }
}

fn same_day(a: i64, b: i64) -> bool {
    let day = |ms: i64| String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).to_date_string());
    day(a) == day(b)
}

pub(crate) fn deliveries_page() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let session = tessera_mfe::use_session();
    let board = Board::new(props.with_untracked(Bff::new), expect_context::<ReadyMark>());
    board.refresh();
    use_live_polling(REFRESH_WHILE_LIVE, move || board.refresh());
    use_live_events(DELIVERY_EVENTS, move |event| {
        if let Some(order) = event.payload::<Order>().or_else(|| event.entity("order")) {
            board.pushed(order, session.with_untracked(|s| s.user_id.clone()));
        }
    });
    use_live_reset(move || board.refresh());

    let data = board.deliveries.data;
    let active = Memo::new(move |_| {
        data.with(|d| d.as_ref().map(|d| d.mine.iter().filter(|o| matches!(o.status, OrderStatus::Ready | OrderStatus::PickedUp)).cloned().collect::<Vec<_>>()))
    });
    let completed = Memo::new(move |_| {
        let now = board.clock();
        data.with(|d| d.iter().flat_map(|d| d.mine.iter()).filter(|o| o.status == OrderStatus::Delivered && same_day(o.status_at, now)).cloned().collect::<Vec<_>>())
    });
    let available = Memo::new(move |_| data.with(|d| d.as_ref().map(|d| d.available.clone())));
    let loaded = Memo::new(move |_| data.with(Option::is_some));
    let retry = Callback::new(move |()| board.refresh());

    view! {
        <div class="page driver">
            <PageHeader title="Deliveries" lede="Claim an order that is ready, pick it up at the restaurant and bring it to the customer."/>
            <Freshness latest=board.deliveries loading="Loading deliveries…" what="The deliveries" retry/>
            <Show when=move || loaded.get()>
                <section class="stack" aria-labelledby="driver-mine-title">
                    <h2 id="driver-mine-title" tabindex="-1">"Your deliveries"</h2>
                    <Show when=move || active.with(|a| a.as_ref().is_some_and(Vec::is_empty))>
                        <p class="muted driver-none">"Nothing in progress. Claim one of the available deliveries below."</p>
                    </Show>
                    <ul class="card-grid driver-cards" role="list">
                        <For each=move || active.get().unwrap_or_default() key=|order| order.id.clone() let:order>
                            <li>
                                <MyDelivery initial=order board=board/>
                            </li>
                        </For>
                    </ul>
                    <Show when=move || completed.with(|c| !c.is_empty())>
                        <details class="driver-completed">
                            <summary>
                                "Completed today " <span class="badge badge-muted">{move || completed.with(Vec::len)}</span>
                            </summary>
                            <ul class="list">
                                <For each=move || completed.get() key=|order| order.id.clone() let:order>
                                    <li class="list-item">
                                        <span class="driver-completed-route">
                                            {order.restaurant_name.clone()} <span aria-hidden="true">" → "</span>
                                            <span class="visually-hidden">" to "</span> {order.delivery_address.clone()}
                                        </span>
                                        <span class="muted driver-completed-meta">
                                            {format!("Delivered {}", time_of_day(order.status_at))} " · "
                                            <span class="price">{money(order.total_cents)}</span>
                                        </span>
                                    </li>
                                </For>
                            </ul>
                        </details>
                    </Show>
                </section>
                <section class="stack" aria-labelledby="driver-available-title">
                    <h2 id="driver-available-title" tabindex="-1">"Available"</h2>
                    <Show when=move || available.with(|a| a.as_ref().is_some_and(Vec::is_empty))>
                        <EmptyState icon="🛵" body="No deliveries waiting. New ones appear when a restaurant marks an order ready."/>
                    </Show>
                    <ul class="card-grid driver-cards" role="list">
                        <For each=move || available.get().unwrap_or_default() key=|order| order.id.clone() let:order>
                            <li>
                                <OnOffer order=order board=board/>
                            </li>
                        </For>
                    </ul>
                </section>
            </Show>
            {move || {
                board.notice.get().map(|message| {
                    view! {
                        <div class="toast" role="alert">
                            <span>{message}</span>
                            <button type="button" class="btn btn-ghost btn-sm" on:click=move |_| board.notice.set(None)>"Dismiss"</button>
                        </div>
                    }
                })
            }}
            <p class="visually-hidden" role="status" aria-live="polite">{move || board.announcement.get()}</p>
        </div>
    }
}

/// Where the delivery goes: the restaurant, then the customer.
#[component]
fn Route(from: String, to: String) -> impl IntoView {
    view! {
        <ol class="driver-route" aria-label="Route">
            <li><span class="driver-route-label">"From"</span> <span>{from}</span></li>
            <li><span class="driver-route-label">"To"</span> <span>{to}</span></li>
        </ol>
    }
}

/// A delivery the driver claimed: pick it up, then deliver it.
#[component]
fn MyDelivery(initial: Order, board: Board) -> impl IntoView {
    let id = initial.id.clone();
    let order = {
        let initial = initial.clone();
        Memo::new(move |previous: Option<&Order>| {
            board.deliveries.data.with(|d| d.as_ref().and_then(|d| d.mine.iter().find(|o| o.id == id).cloned())).or_else(|| previous.cloned()).unwrap_or_else(|| initial.clone())
        })
    };
    let status = Memo::new(move |_| order.with(|o| o.status));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let title_id = format!("delivery-{}-title", initial.id);
    let labelled_by = title_id.clone();
    let button_id = action_id(&initial.id);

    let act = move |step: Step| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (order_id, restaurant, customer) = order.with_untracked(|o| (o.id.clone(), o.restaurant_name.clone(), o.customer_name.clone()));
        let request = api::advance(board.bff, &order_id, step);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(updated) => {
                    let delivered = updated.status == OrderStatus::Delivered;
                    board.announce(if delivered {
                        format!("Delivered to {customer}. It is listed under Completed today.")
                    } else {
                        format!("Picked up at {restaurant}. Now bring it to {customer}.")
                    });
                    board.apply(updated);
                    // The card's next button, or the section once the card is gone.
                    focus_later(if delivered { "driver-mine-title".to_string() } else { action_id(&order_id) });
                }
                Err(failure) => error.set(Some(failure.message)),
            }
            busy.set(false);
            board.refresh();
        });
    };

    let action = move || {
        let button_id = button_id.clone();
        match status.get() {
            OrderStatus::Ready => view! {
                <button type="button" id=button_id class="btn btn-primary" disabled=move || busy.get() on:click=move |_| act(Step::PickedUp)>
                    "Picked up"
                </button>
            }
            .into_any(),
            OrderStatus::PickedUp => view! {
                <button type="button" id=button_id class="btn btn-primary" disabled=move || busy.get() on:click=move |_| act(Step::Delivered)>
                    "Delivered"
                </button>
            }
            .into_any(),
            _ => ().into_any(),
        }
    };
    let note = (!initial.note.trim().is_empty()).then(|| {
        view! {
            <p class="driver-note">
                <strong>"Note: "</strong>
                {initial.note.clone()}
            </p>
        }
    });

    view! {
        <article class="card driver-delivery is-mine" aria-labelledby=labelled_by aria-busy=move || busy.get().then_some("true")>
            <div class="driver-card-head">
                <h3 class="card-title" id=title_id>{initial.restaurant_name.clone()}</h3>
                <span class=move || status_badge(status.get()) aria-live="polite">{move || status.get().label()}</span>
            </div>
            <Route from=initial.restaurant_name.clone() to=initial.delivery_address.clone()/>
            <p class="card-meta">
                <span>{item_count(&initial)}</span>
                <span class="price">{money(initial.total_cents)}</span>
                <span>{format!("For {}", initial.customer_name)}</span>
                <span>{format!("Order {}", short_id(&initial.id))}</span>
            </p>
            {note}
            {move || error.get().map(|message| view! { <p class="banner banner-error" role="alert">{message}</p> })}
            <div class="row driver-actions">{action}</div>
        </article>
    }
}

/// A delivery on offer, waiting for a driver to claim it.
#[component]
fn OnOffer(order: Order, board: Board) -> impl IntoView {
    let busy = RwSignal::new(false);
    let title_id = format!("offer-{}-title", order.id);
    let labelled_by = title_id.clone();
    let order_id = StoredValue::new(order.id.clone());
    let restaurant = StoredValue::new(order.restaurant_name.clone());
    let ready_since = order.status_at;

    let claim = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        board.notice.set(None);
        let id = order_id.get_value();
        let restaurant = restaurant.get_value();
        let request = api::advance(board.bff, &id, Step::Claim);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(updated) => {
                    board.announce(format!("You claimed the delivery from {restaurant}. Pick it up at the restaurant."));
                    board.apply(updated);
                    focus_later(action_id(&id));
                }
                Err(failure) => {
                    if failure.status == 409 {
                        board.withdraw(&id);
                    }
                    board.notice.set(Some(failure.message));
                    focus_later("driver-available-title".to_string());
                }
            }
            busy.set(false);
            board.refresh();
        });
    };

    view! {
        <article class="card driver-delivery" aria-labelledby=labelled_by aria-busy=move || busy.get().then_some("true")>
            <div class="driver-card-head">
                <h3 class="card-title" id=title_id>{order.restaurant_name.clone()}</h3>
                <span class="badge badge-warning">{move || waiting(board.clock(), ready_since)}</span>
            </div>
            <Route from=order.restaurant_name.clone() to=order.delivery_address.clone()/>
            <p class="card-meta">
                <span>{item_count(&order)}</span>
                <span class="price">{money(order.total_cents)}</span>
            </p>
            <div class="row driver-actions">
                <button type="button" class="btn btn-primary" disabled=move || busy.get() on:click=claim>
                    "Claim"
                </button>
            </div>
        </article>
    }
}
