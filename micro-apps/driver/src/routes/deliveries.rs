//! `/driver`: the driver's own deliveries (pick up, deliver; today's completed ones folded
//! away), then the deliveries on offer to claim. Only one driver wins a claim; the others are
//! told so and the list is refreshed.

use leptos::prelude::*;
use tessera_contracts::food::{Order, OrderStatus};
use tessera_mfe::api::ApiError;
use tessera_mfe::runtime;
use tessera_mfe::ui::{ErrorBanner, Loading, money, time_of_day};
use wasm_bindgen::JsCast;

use crate::api::{Api, Deliveries, Step};
use crate::{status_badge, use_polling};

/// The page's state: the last answer of `GET /deliveries` and what is happening to it.
#[derive(Debug, Clone, Copy)]
struct Board {
    api: Api,
    data: RwSignal<Option<Deliveries>>,
    error: RwSignal<Option<ApiError>>,
    /// When the data was last fetched, and the clock for waiting times (epoch ms).
    fetched_at: RwSignal<Option<i64>>,
    now: RwSignal<i64>,
    /// A message that must not be missed (a claim lost to another driver).
    notice: RwSignal<Option<String>>,
    /// The latest sentence for screen readers (a polite live region).
    announcement: RwSignal<String>,
    /// Bumped whenever an answer to a command changes the data, so a fetch that started
    /// before it is not applied over it.
    changes: StoredValue<u32>,
    in_flight: StoredValue<bool>,
    again: StoredValue<bool>,
    app_name: StoredValue<String>,
    ready_sent: StoredValue<bool>,
}

impl Board {
    fn new(api: Api, app_name: String) -> Self {
        Self {
            api,
            data: RwSignal::new(None),
            error: RwSignal::new(None),
            fetched_at: RwSignal::new(None),
            now: RwSignal::new(js_sys::Date::now() as i64),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            changes: StoredValue::new(0),
            in_flight: StoredValue::new(false),
            again: StoredValue::new(false),
            app_name: StoredValue::new(app_name),
            ready_sent: StoredValue::new(false),
        }
    }

    /// Fetches the deliveries; while a fetch runs, one more follows it instead.
    fn refresh(self) {
        // Also called when a request ends, possibly after the page is gone.
        let Some(busy) = self.in_flight.try_get_value() else { return };
        self.now.set(js_sys::Date::now() as i64);
        if busy {
            self.again.set_value(true);
            return;
        }
        self.in_flight.set_value(true);
        let started_at = self.changes.get_value();
        let request = self.api.deliveries();
        leptos::task::spawn_local(async move {
            let result = request.await;
            self.in_flight.set_value(false);
            let overtaken = self.changes.try_get_value() != Some(started_at);
            match result {
                Ok(deliveries) if !overtaken => {
                    let now = js_sys::Date::now() as i64;
                    self.data.set(Some(deliveries));
                    self.error.set(None);
                    self.fetched_at.set(Some(now));
                    self.now.set(now);
                }
                Ok(_) => {}
                Err(error) => self.error.set(Some(error)),
            }
            self.ready();
            if overtaken || self.again.try_get_value() == Some(true) {
                self.again.set_value(false);
                self.refresh();
            }
        });
    }

    /// Puts the BFF's answer to a command in place: the order is the caller's now.
    fn apply(self, order: Order) {
        self.changes.update_value(|n| *n += 1);
        self.data.update(|data| {
            let Some(data) = data else { return };
            data.available.retain(|o| o.id != order.id);
            match data.mine.iter_mut().find(|o| o.id == order.id) {
                Some(slot) => *slot = order,
                None => data.mine.insert(0, order),
            }
        });
    }

    /// Takes an order off the offer list (another driver claimed it).
    fn withdraw(self, order_id: &str) {
        self.changes.update_value(|n| *n += 1);
        self.data.update(|data| {
            if let Some(data) = data {
                data.available.retain(|o| o.id != order_id);
            }
        });
    }

    fn announce(self, sentence: impl Into<String>) {
        self.announcement.set(sentence.into());
    }

    /// Tells the shell the first data is on screen (once per instance).
    fn ready(self) {
        if self.ready_sent.try_get_value() == Some(false) {
            self.ready_sent.set_value(true);
            runtime::app_ready(&self.app_name.get_value());
        }
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

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

fn item_count(order: &Order) -> String {
    plural(order.lines.iter().map(|l| l.quantity).sum(), "item", "items")
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

/// The first characters of an order id, enough to talk about it with the restaurant.
fn short_id(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric()).take(6).collect::<String>().to_uppercase()
}

pub(crate) fn deliveries_page() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let board = props.with_untracked(|p| Board::new(Api::new(p), p.name.clone()));
    board.refresh();
    use_polling(move || board.refresh());

    let active = Memo::new(move |_| {
        board.data.with(|d| d.as_ref().map(|d| d.mine.iter().filter(|o| matches!(o.status, OrderStatus::Ready | OrderStatus::PickedUp)).cloned().collect::<Vec<_>>()))
    });
    let completed = Memo::new(move |_| {
        let now = board.now.get();
        board.data.with(|d| d.iter().flat_map(|d| d.mine.iter()).filter(|o| o.status == OrderStatus::Delivered && same_day(o.status_at, now)).cloned().collect::<Vec<_>>())
    });
    let available = Memo::new(move |_| board.data.with(|d| d.as_ref().map(|d| d.available.clone())));
    let loaded = Memo::new(move |_| board.data.with(Option::is_some));
    // A memo, so that a poll failing again the same way does not re-render (and re-announce)
    // the alert.
    let fetch_state = Memo::new(move |_| (loaded.get(), board.error.with(|e| e.as_ref().map(|e| e.message.clone()))));

    view! {
        <div class="page driver">
            <div class="page-header">
                <div>
                    <h1>"Deliveries"</h1>
                    <p class="lede">"Claim an order that is ready, pick it up at the restaurant and bring it to the customer."</p>
                </div>
            </div>
            {move || {
                match fetch_state.get() {
                    (false, None) => view! { <Loading label="Loading deliveries…"/> }.into_any(),
                    (false, Some(message)) => {
                        let retry = Callback::new(move |()| board.refresh());
                        view! { <ErrorBanner message=message retry=retry/> }.into_any()
                    }
                    (true, Some(message)) => {
                        let since = board.fetched_at.get_untracked().map(time_of_day).unwrap_or_default();
                        view! {
                            <div class="banner banner-warning" role="alert">
                                {format!("The deliveries could not be refreshed: {message} Showing them as of {since}.")}
                            </div>
                        }
                        .into_any()
                    }
                    (true, None) => ().into_any(),
                }
            }}
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
                        <div class="empty-state">
                            <span class="empty-state-icon" aria-hidden="true">"🛵"</span>
                            <p>"No deliveries waiting. New ones appear when a restaurant marks an order ready."</p>
                        </div>
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
            board.data.with(|d| d.as_ref().and_then(|d| d.mine.iter().find(|o| o.id == id).cloned())).or_else(|| previous.cloned()).unwrap_or_else(|| initial.clone())
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
        let request = board.api.advance(&order_id, step);
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
        let request = board.api.advance(&id, Step::Claim);
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
                <span class="badge badge-warning">{move || waiting(board.now.get(), ready_since)}</span>
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
