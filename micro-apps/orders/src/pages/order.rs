//! `/orders/:id`: one order's progress (a five-step timeline), its dishes and delivery details.
//!
//! Until live updates arrive, the order is fetched again every 5 s while it can still change
//! and whenever the window regains focus (`runtime::use_polling`: the timer and the listener
//! end with the page). The page frame renders once per phase, and only the parts that changed
//! follow a refresh, so focus and screen-reader position survive polling.

use std::time::Duration;

use leptos::prelude::*;
use tessera_contracts::food::{OrderLine, OrderStatus};
use tessera_mfe::api::ApiError;
use tessera_mfe::runtime::{ReadyMark, use_polling};
use tessera_mfe::ui::{BackLink, EmptyState, ErrorBanner, Loading, PageHeader, date_time, money, time_of_day};

use crate::api::{self, OrderDetail};
use crate::{SignInPrompt, item_count, status_badge_class};

const REFRESH_EVERY: Duration = Duration::from_secs(5);

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
    let signed_in = Memo::new(move |_| session.with(|s| s.signed_in));
    let return_to = format!("/orders/{id}");

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
            let answer = request.await;
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
    use_polling(REFRESH_EVERY, refresh);

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
