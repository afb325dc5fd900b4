//! `/orders/:id`: one order's progress (a five-step timeline), its dishes and delivery details.
//!
//! Each order event pushed live moves the status on at once (the event carries the whole
//! order; the step it reached gets the event's time), and the order is then fetched again in
//! the background. What an event said is kept over the answers until they show it
//! ([`Pushed`]): the BFF may answer before it has processed the event. While the order can
//! still change, it is also fetched as a safety net (`use_live_polling`: every 5 s without a
//! live connection, every 30 s with one, and on focus). The page frame renders once per
//! phase, and only the parts that changed follow a refresh, so focus and screen-reader
//! position survive updates.

use std::time::Duration;

use leptos::prelude::*;
use tessera_contracts::food::{Order, OrderLine, OrderStatus};
use tessera_mfe::api::ApiError;
use tessera_mfe::live::{LiveEvent, use_live_events, use_live_polling, use_live_reset};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{BackLink, EmptyState, ErrorBanner, Loading, PageHeader, date_time, money, time_of_day};

use crate::api::{self, OrderDetail, TimelineEntry};
use crate::{ORDER_EVENTS, SignInPrompt, item_count, moves_on, own_order, status_badge_class};

/// The safety net's pace while events arrive live.
const REFRESH_WHILE_LIVE: Duration = Duration::from_secs(30);

/// The happy path, in order.
const STEPS: [OrderStatus; 5] = [OrderStatus::Placed, OrderStatus::Accepted, OrderStatus::Ready, OrderStatus::PickedUp, OrderStatus::Delivered];

/// The page for order `id` (a new one per id, so a different order fetches afresh).
pub(crate) fn page(id: String) -> AnyView {
    view! { <OrderPage id/> }.into_any()
}

fn is_settled(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Delivered | OrderStatus::Rejected)
}

fn step_description(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Placed => "The restaurant has your order.",
        OrderStatus::Accepted => "The kitchen is preparing your food.",
        OrderStatus::Ready => "Packed and waiting for a driver.",
        OrderStatus::PickedUp => "A driver is bringing it to you.",
        OrderStatus::Delivered => "Enjoy your meal!",
        OrderStatus::Rejected => "The restaurant couldn't take this order.",
    }
}

/// The newest state of the order pushed live, with the steps the events announced.
#[derive(Debug, Clone, Default)]
struct Pushed {
    order: Option<Order>,
    steps: Vec<TimelineEntry>,
}

impl Pushed {
    /// Takes in an event's order if it moves the status on; whether it did.
    fn take(&mut self, event: &LiveEvent, order: Order) -> bool {
        if self.order.as_ref().is_some_and(|known| !moves_on(known, &order)) {
            return false;
        }
        // The step the event announces, at the event's time (the order's own time if the
        // type names no status).
        let status = event.kind.strip_prefix("order-").and_then(OrderStatus::parse).unwrap_or(order.status);
        let at = if event.timestamp > 0.0 { event.timestamp as i64 } else { order.status_at };
        if !self.steps.iter().any(|step| step.status == status) {
            self.steps.push(TimelineEntry { status, at });
        }
        self.order = Some(order);
        true
    }

    /// The order as pushed, for when the BFF does not know it yet.
    fn detail(&self) -> Option<OrderDetail> {
        Some(OrderDetail { order: self.order.clone()?, timeline: self.steps.clone() })
    }

    /// Lays what was pushed over `detail`, when it is newer; whether anything changed. An
    /// answer that shows it already makes the pushed state unnecessary.
    fn over(&mut self, detail: &mut OrderDetail) -> bool {
        let Some(order) = self.order.as_ref() else { return false };
        if !moves_on(&detail.order, order) {
            *self = Self::default();
            return false;
        }
        detail.order = order.clone();
        for step in &self.steps {
            if !detail.timeline.iter().any(|entry| entry.status == step.status) {
                detail.timeline.push(step.clone());
            }
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    SignedOut,
    Loading,
    NotFound,
    Failed(ApiError),
    Shown,
}

#[component]
fn OrderPage(id: String) -> impl IntoView {
    let props = tessera_mfe::use_props();
    let session = tessera_mfe::use_session();
    let ready = expect_context::<ReadyMark>();
    let detail = RwSignal::new(None::<Result<OrderDetail, ApiError>>);
    // A background refresh failed while the order is on screen: say so, keep what is shown.
    let stale = RwSignal::new(None::<String>);
    let updated_at = RwSignal::new(None::<i64>);
    let in_flight = RwSignal::new(false);
    let reload = RwSignal::new(0u32);
    let pushed = StoredValue::new(Pushed::default());
    let signed_in = Memo::new(move |_| session.with(|s| s.signed_in));
    let return_to = format!("/orders/{id}");
    let order_id = StoredValue::new(id.clone());

    Effect::new(move |_| {
        reload.track();
        if !signed_in.get() {
            ready.mark();
            return;
        }
        in_flight.set(true);
        let request = props.with_untracked(|p| api::order(p, &id));
        // Cancelled when the page goes away (or a newer fetch starts), so signals are alive here.
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let mut answer = request.await;
            match answer.as_mut() {
                Ok(fetched) => pushed.update_value(|pushed| {
                    pushed.over(fetched);
                }),
                // The BFF has not processed the order's first event yet, but it was pushed.
                Err(error) if error.status == 404 => {
                    if let Some(known) = pushed.with_value(Pushed::detail) {
                        answer = Ok(known);
                    }
                }
                Err(_) => {}
            }
            let shown = detail.with_untracked(|d| matches!(d, Some(Ok(_))));
            match answer {
                Err(error) if shown && !matches!(error.status, 401 | 404) => stale.set(Some(error.message)),
                answer => {
                    stale.set(None);
                    if answer.is_ok() {
                        updated_at.set(Some(js_sys::Date::now() as i64));
                    }
                    // An unchanged answer leaves the page alone.
                    if detail.with_untracked(|d| d.as_ref() != Some(&answer)) {
                        detail.set(Some(answer));
                    }
                }
            }
            in_flight.set(false);
            ready.mark();
        });
    });

    let refresh = move || {
        let settled = detail.try_with_untracked(|d| matches!(d, Some(Ok(d)) if is_settled(d.order.status))).unwrap_or(true);
        let busy = in_flight.try_get_untracked().unwrap_or(true);
        if !settled && !busy {
            reload.update(|n| *n += 1);
        }
    };
    use_live_polling(REFRESH_WHILE_LIVE, refresh);

    // The status moves on the moment an event says so; the BFF is asked again to reconcile.
    use_live_events(ORDER_EVENTS, move |event| {
        let Some(order) = session.with_untracked(|s| own_order(&event, &s.user_id)) else { return };
        if order_id.with_value(|id| &order.id != id) {
            return;
        }
        let Some(true) = pushed.try_update_value(|pushed| pushed.take(&event, order)) else { return };
        let mut changed = false;
        detail.maybe_update(|detail| {
            changed = match detail {
                Some(Ok(shown)) => pushed.try_update_value(|pushed| pushed.over(shown)).unwrap_or(false),
                // The BFF did not know the order yet, the event proves it exists.
                Some(Err(error)) if error.status == 404 => {
                    *detail = pushed.with_value(Pushed::detail).map(Ok);
                    true
                }
                // The first answer is on its way; it gets what was pushed.
                _ => false,
            };
            changed
        });
        if changed {
            updated_at.set(Some(js_sys::Date::now() as i64));
            reload.update(|n| *n += 1);
        }
    });
    use_live_reset(move || reload.update(|n| *n += 1));

    let phase = Memo::new(move |_| {
        if !signed_in.get() {
            return Phase::SignedOut;
        }
        detail.with(|d| match d {
            None => Phase::Loading,
            Some(Err(error)) if error.status == 401 => Phase::SignedOut,
            Some(Err(error)) if error.status == 404 => Phase::NotFound,
            Some(Err(error)) => Phase::Failed(error.clone()),
            Some(Ok(_)) => Phase::Shown,
        })
    });
    let current = Memo::new(move |_| detail.with(|d| d.as_ref().and_then(|d| d.as_ref().ok()).cloned()));
    let retry = Callback::new(move |()| reload.update(|n| *n += 1));

    move || match phase.get() {
        Phase::SignedOut => view! {
            <div class="page">
                <BackLink href="/orders" label="Back to orders"/>
                <SignInPrompt return_to=return_to.clone()/>
            </div>
        }
        .into_any(),
        Phase::Loading => view! {
            <div class="page">
                <BackLink href="/orders" label="Back to orders"/>
                <Loading label="Loading your order…"/>
            </div>
        }
        .into_any(),
        Phase::NotFound => view! { <NotFound/> }.into_any(),
        Phase::Failed(error) => view! {
            <div class="page">
                <BackLink href="/orders" label="Back to orders"/>
                <ErrorBanner message=error.message retry=retry/>
            </div>
        }
        .into_any(),
        Phase::Shown => view! { <OrderView current stale updated_at/> }.into_any(),
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <div class="page">
            <EmptyState icon="🧾" title="Order not found" heading_level=1 body="It may belong to another account, or the link is incomplete.">
                <a class="btn btn-primary" href="/orders">"Back to orders"</a>
            </EmptyState>
        </div>
    }
}

#[component]
fn OrderView(current: Memo<Option<OrderDetail>>, stale: RwSignal<Option<String>>, updated_at: RwSignal<Option<i64>>) -> impl IntoView {
    let read = move |f: fn(&OrderDetail) -> String| current.with(|d| d.as_ref().map(f).unwrap_or_default());
    let status = Memo::new(move |_| current.with(|d| d.as_ref().map(|d| d.order.status)));
    let title = Signal::derive(move || read(|d| format!("Order from {}", d.order.restaurant_name)));
    let lede = Signal::derive(move || read(|d| format!("Placed {} · {} · {}", date_time(d.order.placed_at), item_count(&d.order), money(d.order.total_cents))));

    view! {
        <div class="page orders-detail">
            <PageHeader title lede>
                <a class="btn btn-ghost" href="/orders">"Back to orders"</a>
            </PageHeader>

            <div class="orders-status-bar">
                <p class="orders-status" role="status">
                    "Status: "
                    {move || status.get().map(|s| view! { <span class=status_badge_class(s)>{s.label()}</span> })}
                </p>
                <span class="muted orders-updated">
                    {move || updated_at.get().map(|at| format!("Updated {}", time_of_day(at)))}
                </span>
            </div>
            {move || stale.get().map(|message| view! {
                <div class="banner banner-warning">
                    {format!("We couldn't refresh this order: {message} What you see may be out of date; we keep trying.")}
                </div>
            })}
            {move || current.with(|d| {
                let d = d.as_ref()?;
                (d.order.status == OrderStatus::Rejected).then(|| {
                    let reason = d.order.reason.clone().filter(|r| !r.trim().is_empty());
                    view! {
                        <div class="banner banner-error" role="alert">
                            <strong>"The restaurant couldn't take this order."</strong>
                            {reason.map(|reason| view! { <span>{format!("Reason: {reason}")}</span> })}
                        </div>
                    }
                })
            })}

            <div class="orders-layout">
                <section class="card" aria-labelledby="orders-progress">
                    <h2 id="orders-progress">"Progress"</h2>
                    {move || current.with(|d| d.as_ref().map(timeline))}
                </section>
                <section class="card" aria-labelledby="orders-items">
                    <h2 id="orders-items">"Your order"</h2>
                    {move || current.with(|d| d.as_ref().map(|d| view! { <Lines lines=d.order.lines.clone() total=d.order.total_cents/> }))}
                    <h3>"Delivery"</h3>
                    {move || current.with(|d| d.as_ref().map(|d| {
                        let note = Some(d.order.note.clone()).filter(|n| !n.trim().is_empty());
                        view! {
                            <dl class="kv">
                                <dt>"Address"</dt>
                                <dd>{d.order.delivery_address.clone()}</dd>
                                {note.map(|note| view! {
                                    <dt>"Note for the restaurant"</dt>
                                    <dd>{note}</dd>
                                })}
                            </dl>
                        }
                    }))}
                </section>
            </div>
        </div>
    }
}

/// One step of the timeline.
#[derive(Debug, Clone, Copy)]
struct Step {
    status: OrderStatus,
    class: &'static str,
    done: bool,
    current: bool,
    at: Option<i64>,
}

/// The steps to show: the happy path, or what was reached before a rejection and the rejection.
fn steps(detail: &OrderDetail) -> Vec<Step> {
    let status = detail.order.status;
    if status == OrderStatus::Rejected {
        let mut steps: Vec<Step> = STEPS
            .into_iter()
            .filter(|&s| s == OrderStatus::Placed || detail.timeline.iter().any(|e| e.status == s))
            .map(|s| Step { status: s, class: "timeline-step is-done", done: true, current: false, at: detail.reached_at(s) })
            .collect();
        steps.push(Step { status, class: "timeline-step is-rejected", done: false, current: true, at: detail.reached_at(status) });
        return steps;
    }
    STEPS
        .into_iter()
        .map(|s| {
            // Delivered is both the last step reached and done: nothing comes after it.
            let done = s.rank() < status.rank() || (s == status && s == OrderStatus::Delivered);
            let current = s == status;
            let class = if done {
                "timeline-step is-done"
            } else if current {
                "timeline-step is-current"
            } else {
                "timeline-step"
            };
            Step { status: s, class, done, current, at: if done || current { detail.reached_at(s) } else { None } }
        })
        .collect()
}

fn timeline(detail: &OrderDetail) -> impl IntoView + use<> {
    view! {
        <ol class="timeline orders-timeline">
            {steps(detail)
                .into_iter()
                .map(|step| view! {
                    <li class=step.class aria-current=step.current.then_some("step")>
                        <span class="orders-step-title">
                            {step.status.label()}
                            {step.done.then(|| view! { <span class="visually-hidden">" (done)"</span> })}
                        </span>
                        {step.at.map(|at| view! { <span class="orders-step-time">{time_of_day(at)}</span> })}
                        <span class="orders-step-desc">{step_description(step.status)}</span>
                    </li>
                })
                .collect_view()}
        </ol>
    }
}

#[component]
fn Lines(lines: Vec<OrderLine>, total: i64) -> impl IntoView {
    view! {
        <ul class="list" role="list">
            {lines
                .into_iter()
                .map(|line| view! {
                    <li class="list-item">
                        <span class="orders-line-name">
                            <span class="orders-line-qty">{format!("{} ×", line.quantity)}</span>
                            " "
                            {line.name}
                        </span>
                        <span class="price">{money(line.price_cents * line.quantity)}</span>
                    </li>
                })
                .collect_view()}
        </ul>
        <div class="orders-total">
            <span>"Total"</span>
            <span class="price">{money(total)}</span>
        </div>
    }
}
