//! `/cart`: the lines with quantity steppers, the totals and the checkout form.
//!
//! The page re-renders as a whole only when its phase changes (signed out, loading, failed,
//! empty, filled); inside a filled cart every line and total follows the cart signal on its
//! own, so a quantity change keeps keyboard focus and whatever is typed in the form.
//!
//! Offline, the cart shown is the one the service worker kept (with when it was kept), with
//! the changes waiting in its outbox laid over it: their lines marked "Pending sync", a
//! checkout not sent yet as "Order queued". Once the worker sends them the cart is fetched
//! again, and what it shows is confirmed.

use std::future::Future;

use leptos::prelude::*;
use tessera_mfe::Props;
use tessera_mfe::api::ApiError;
use tessera_mfe::offline::{self, Change};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::{EmptyState, ErrorBanner, Loading, OfflineNotice, PageHeader, SignInPrompt, money, plural, time_of_day};

use super::checkout::checkout_form;
use crate::api::{self, CartLine, CartView, MAX_QUANTITY};
use crate::announce;
use crate::pending::{ItemNote, Overlay, QueuedOrder};

/// The cart page.
pub(crate) fn page() -> AnyView {
    view! { <CartPage/> }.into_any()
}

/// The page's state, shared by the lines, the totals and the checkout form.
#[derive(Debug, Clone, Copy)]
pub(super) struct CartState {
    pub(super) props: RwSignal<Props>,
    /// `None` until the first answer.
    pub(super) cart: RwSignal<Option<Result<CartView, ApiError>>>,
    /// What the changes waiting in the outbox change in the cart shown.
    pub(super) overlay: RwSignal<Overlay>,
    /// The cart shown is the service worker's kept copy, as of then (epoch ms).
    pub(super) offline_as_of: RwSignal<Option<i64>>,
    /// A line change is on its way.
    pub(super) changing: RwSignal<bool>,
    /// Why the last line change failed.
    pub(super) problem: RwSignal<Option<String>>,
    /// Bumped to fetch the cart again.
    pub(super) reload: RwSignal<u32>,
}

impl CartState {
    pub(super) fn refetch(self) {
        self.reload.update(|n| *n += 1);
    }

    /// The cart on screen (empty while there is none).
    pub(super) fn current(self) -> CartView {
        self.cart.with(|c| c.as_ref().and_then(|c| c.as_ref().ok()).cloned()).unwrap_or_default()
    }

    /// Sends a line change; its answer is the new cart. One change at a time.
    fn change<F>(self, request: impl FnOnce(&Props) -> F)
    where
        F: Future<Output = Result<CartView, ApiError>> + 'static,
    {
        if self.changing.get_untracked() {
            return;
        }
        let request = self.props.with_untracked(request);
        self.changing.set(true);
        self.problem.set(None);
        // No signal is read after the await; writes to disposed signals are ignored.
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(cart) => {
                    announce(&cart);
                    // Sent straight away: nothing older was waiting in the outbox.
                    self.overlay.set(Overlay::default());
                    self.offline_as_of.set(None);
                    self.cart.set(Some(Ok(cart)));
                }
                // Kept offline: the cart fetched again shows it, marked pending.
                Err(error) if error.is_queued() => self.refetch(),
                // The session ended: the page turns into the sign-in prompt.
                Err(error) if error.status == 401 => self.cart.set(Some(Err(error))),
                Err(error) => {
                    // The cart changed elsewhere (a dish sold out, a line gone): show the fresh one.
                    if matches!(error.status, 404 | 409) {
                        self.refetch();
                    }
                    self.problem.set(Some(error.message));
                }
            }
            self.changing.set(false);
        });
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    SignedOut,
    Loading,
    Failed(ApiError),
    Empty,
    Filled,
}

#[component]
fn CartPage() -> impl IntoView {
    let props = RwSignal::from(tessera_mfe::use_props());
    let session = tessera_mfe::use_session();
    let ready = expect_context::<ReadyMark>();
    let state = CartState {
        props,
        cart: RwSignal::new(None),
        overlay: RwSignal::new(Overlay::default()),
        offline_as_of: RwSignal::new(None),
        changing: RwSignal::new(false),
        problem: RwSignal::new(None),
        reload: RwSignal::new(0),
    };
    let signed_in = Memo::new(move |_| session.with(|s| s.signed_in));

    Effect::new(move |_| {
        state.reload.track();
        if !signed_in.get() {
            ready.mark();
            return;
        }
        let request = props.with_untracked(api::cart);
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            match request.await {
                Ok(cart) => {
                    state.overlay.set(cart.overlay);
                    state.offline_as_of.set(cart.served.offline_as_of());
                    state.cart.set(Some(Ok(cart.view)));
                }
                Err(error) => state.cart.set(Some(Err(error))),
            }
            ready.mark();
        });
    });
    // A queued change was sent (or refused, or thrown away): the BFF's cart is the truth now.
    let base = props.with_untracked(|p| p.bff(""));
    offline::use_outbox_changes(move |change, entry| {
        let ours = entry.is_none_or(|entry| entry.path_under(&base).is_some());
        if ours && change != Change::Queued && signed_in.get_untracked() {
            state.refetch();
        }
    });

    let phase = Memo::new(move |_| {
        if !signed_in.get() {
            return Phase::SignedOut;
        }
        state.cart.with(|cart| match cart {
            None => Phase::Loading,
            Some(Err(error)) if error.status == 401 => Phase::SignedOut,
            Some(Err(error)) => Phase::Failed(error.clone()),
            Some(Ok(cart)) if cart.lines.is_empty() => Phase::Empty,
            Some(Ok(_)) => Phase::Filled,
        })
    });
    let restaurant = Memo::new(move |_| {
        state.cart.with(|c| c.as_ref().and_then(|c| c.as_ref().ok()).filter(|c| !c.lines.is_empty()).and_then(|c| c.restaurant_name.clone()))
    });
    let lede = Signal::derive(move || match restaurant.get() {
        Some(name) => format!("From {name}. Check your dishes, then tell us where to bring them."),
        None => "Dishes from one restaurant at a time.".to_string(),
    });
    let retry = Callback::new(move |()| state.refetch());

    view! {
        <div class="page cart-page">
            <PageHeader title="Your cart" lede=lede/>
            <OfflineNotice what="your cart" as_of=state.offline_as_of/>
            {move || {
                let orders = state.overlay.with(|o| o.queued_orders.clone());
                orders.into_iter().map(|order| view! { <QueuedOrderNotice order/> }).collect_view()
            }}
            {move || match phase.get() {
                Phase::SignedOut => view! {
                    <SignInPrompt
                        icon="🔑"
                        title="Sign in to see your cart"
                        body="Your cart is kept with your account, so the dishes you pick are there on every device."
                        return_to="/cart"
                    />
                }
                .into_any(),
                Phase::Loading => view! { <Loading label="Loading your cart…"/> }.into_any(),
                Phase::Failed(error) => view! { <ErrorBanner message=error.message retry=retry/> }.into_any(),
                Phase::Empty => view! { <EmptyCart/> }.into_any(),
                Phase::Filled => view! { <FilledCart state/> }.into_any(),
            }}
        </div>
    }
}

/// A checkout kept offline: what it will order, and where it will show.
#[component]
fn QueuedOrderNotice(order: QueuedOrder) -> impl IntoView {
    let from = order.restaurant_name.map(|name| format!(" from {name}")).unwrap_or_default();
    let count: i64 = order.lines.iter().map(|line| line.quantity).sum();
    let text = format!(
        ": your order{from} ({}, {}) was saved on this device at {} and is placed as soon as the service can be reached.",
        plural(count, "item", "items"),
        money(order.total_cents),
        time_of_day(order.placed_at),
    );
    view! {
        <div class="banner banner-info cart-order-queued" role="status">
            <span><strong>"Order queued"</strong>{text}</span>
            <a class="btn btn-sm btn-ghost" href="/orders">"See your orders"</a>
        </div>
    }
}

#[component]
fn EmptyCart() -> impl IntoView {
    view! {
        <EmptyState icon="🛒" title="Your cart is empty" body="Add dishes from a restaurant's menu and they show up here.">
            <a class="btn btn-primary" href="/">"Browse restaurants"</a>
        </EmptyState>
    }
}

#[component]
fn FilledCart(state: CartState) -> impl IntoView {
    let cart = Memo::new(move |_| state.current());
    let unavailable = Memo::new(move |_| cart.with(CartView::unavailable));
    let lines = move || cart.with(|c| c.lines.iter().map(|l| (l.item_id.clone(), l.name.clone())).collect::<Vec<_>>());
    let empty_cart = move |_: leptos::ev::MouseEvent| state.change(api::empty);
    let saved_offline = Memo::new(move |_| state.overlay.with(|o| !o.pending_lines.is_empty()));

    view! {
        <div class="cart-layout">
            <section class="card cart-lines" aria-labelledby="cart-restaurant">
                <div class="row">
                    <h2 id="cart-restaurant">{move || cart.with(|c| c.restaurant_name.clone().unwrap_or_else(|| "Your dishes".into()))}</h2>
                    <span class="spacer"></span>
                    <button type="button" class="btn btn-ghost btn-sm" on:click=empty_cart>"Empty cart"</button>
                </div>
                <ul class="list" role="list">
                    <For each=lines key=|(id, _)| id.clone() let((item_id, name))>
                        <LineRow state item_id name/>
                    </For>
                </ul>
                <Show when=move || saved_offline.get()>
                    <div class="banner banner-info cart-saved-offline" role="status">
                        "Saved offline — will sync. The changes marked Pending sync are sent as soon as the service can be reached."
                    </div>
                </Show>
                {move || state.problem.get().map(|message| view! { <div class="banner banner-error" role="alert">{message}</div> })}
            </section>
            <section class="card cart-checkout" aria-labelledby="cart-checkout-title">
                <h2 id="cart-checkout-title">"Checkout"</h2>
                <dl class="cart-totals">
                    <div class="cart-totals-row">
                        <dt>{move || format!("Subtotal ({})", plural(cart.with(|c| c.item_count), "item", "items"))}</dt>
                        <dd class="price">{move || money(cart.with(|c| c.lines.iter().map(|l| l.line_total_cents).sum()))}</dd>
                    </div>
                    <div class="cart-totals-row is-total">
                        <dt>"Total"</dt>
                        <dd class="price">{move || money(cart.with(|c| c.total_cents))}</dd>
                    </div>
                </dl>
                {checkout_form(state, unavailable.into())}
            </section>
        </div>
    }
}

#[component]
fn LineRow(state: CartState, item_id: String, name: String) -> impl IntoView {
    let id = item_id.clone();
    let line = Memo::new(move |_| state.cart.with(|c| c.as_ref().and_then(|c| c.as_ref().ok()).and_then(|c| c.lines.iter().find(|l| l.item_id == id).cloned())));
    let read = move |f: fn(&CartLine) -> i64| line.with(|l| l.as_ref().map_or(0, f));
    let quantity = move || read(|l| l.quantity);
    let available = move || line.with(|l| l.as_ref().is_none_or(|l| l.available));
    let pending_id = item_id.clone();
    let pending = Memo::new(move |_| state.overlay.with(|o| o.is_pending(&pending_id)));
    // What the change is, for the time it waits offline.
    let note_name = name.clone();
    let note = move |quantity: i64| {
        let cart = state.current();
        ItemNote {
            label: format!("{quantity} × {note_name}"),
            name: note_name.clone(),
            price_cents: Some(read(|l| l.price_cents)),
            restaurant_id: cart.restaurant_id,
            restaurant_name: cart.restaurant_name,
        }
    };
    let more_note = note.clone();

    let (less_id, more_id, remove_id) = (item_id.clone(), item_id.clone(), item_id);
    let one_less = move |_: leptos::ev::MouseEvent| {
        let next = quantity() - 1;
        if next >= 1 {
            let id = less_id.clone();
            let note = note(next);
            state.change(move |p| api::set_quantity(p, &id, next, note));
        }
    };
    let one_more = move |_: leptos::ev::MouseEvent| {
        let next = quantity() + 1;
        if next <= MAX_QUANTITY {
            let id = more_id.clone();
            let note = more_note(next);
            state.change(move |p| api::set_quantity(p, &id, next, note));
        }
    };
    let remove = move |_: leptos::ev::MouseEvent| {
        let id = remove_id.clone();
        state.change(move |p| api::remove_line(p, &id));
    };

    view! {
        <li class={move || if available() { "list-item cart-line" } else { "list-item cart-line is-unavailable" }}>
            <div class="cart-line-info">
                <span class="cart-line-name">{name.clone()}</span>
                <span class="muted">{move || format!("{} each", money(read(|l| l.price_cents)))}</span>
                <Show when={move || !available()}>
                    <span class="badge badge-danger">"No longer available"</span>
                </Show>
                <Show when=move || pending.get()>
                    <span class="badge badge-warning cart-line-pending" title="Saved on this device; sent once the service can be reached.">"Pending sync"</span>
                </Show>
            </div>
            <div class="cart-line-actions">
                <div class="qty" role="group" aria-label=format!("Quantity of {name}")>
                    <button type="button" class="btn btn-sm btn-secondary" aria-label=format!("One less {name}")
                        disabled={move || quantity() <= 1} on:click=one_less>"−"</button>
                    <span aria-live="polite">{quantity}</span>
                    <button type="button" class="btn btn-sm btn-secondary" aria-label=format!("One more {name}")
                        disabled={move || quantity() >= MAX_QUANTITY || !available()} on:click=one_more>"+"</button>
                </div>
                <span class="price cart-line-total">{move || money(read(|l| l.line_total_cents))}</span>
                <button type="button" class="btn btn-ghost btn-sm" aria-label=format!("Remove {name}") on:click=remove>"Remove"</button>
            </div>
        </li>
    }
}
