//! `driver`: deliveries for drivers (role `driver`): the ones they claimed, to pick up and
//! deliver, and the ones on offer, to claim.
//!
//! Routes: `/driver` (and `/driver/*`, same page) → [`routes::deliveries`]. Data comes from the
//! driver BFF through [`api`].
//!
//! Build: `cargo xtask build` (wasm32); check with
//! `cargo check -p driver-app --target wasm32-unknown-unknown`.

mod api;
mod routes;

use std::time::Duration;

use leptos::prelude::*;
use tessera_contracts::food::{OrderStatus, roles};
use tessera_mfe::runtime;

/// How often deliveries are fetched again (until live updates replace the polling).
const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// Calls `refresh` every [`REFRESH_EVERY`] while the page is visible and whenever the window
/// regains focus, for as long as the calling component lives.
pub(crate) fn use_polling(refresh: impl Fn() + Clone + 'static) {
    let tick = refresh.clone();
    let interval = set_interval_with_handle(
        move || {
            if !document().hidden() {
                tick();
            }
        },
        REFRESH_EVERY,
    )
    .ok();
    let focus = window_event_listener(leptos::ev::focus, move |_| refresh());
    on_cleanup(move || {
        if let Some(interval) = interval {
            interval.clear();
        }
        focus.remove();
    });
}

/// The badge class that goes with a status.
pub(crate) fn status_badge(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Placed | OrderStatus::Accepted => "badge badge-muted",
        OrderStatus::Ready => "badge badge-warning",
        OrderStatus::PickedUp => "badge badge-info",
        OrderStatus::Delivered => "badge badge-success",
        OrderStatus::Rejected => "badge badge-danger",
    }
}

fn app() -> impl IntoView {
    let session = tessera_mfe::use_session();
    let allowed = Memo::new(move |_| session.with(|s| s.has_role(roles::DRIVER)));
    move || {
        if allowed.get() {
            routes::deliveries::deliveries_page().into_any()
        } else {
            view! { <SignInPrompt/> }.into_any()
        }
    }
}

/// Shown to visitors without the driver role.
#[component]
fn SignInPrompt() -> impl IntoView {
    let props = tessera_mfe::use_props();
    let (name, base) = props.with_untracked(|p| (p.name.clone(), p.base_route.clone()));
    let base = if base.is_empty() { "/driver".to_string() } else { base };
    runtime::app_ready(&name);
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>"Deliveries"</h1>
                </div>
            </div>
            <div class="empty-state">
                <span class="empty-state-icon" aria-hidden="true">"🛵"</span>
                <p>"Sign in as a driver to see your deliveries."</p>
                // A full page load: signing in is the host's page, not a client route.
                <a class="btn btn-primary" href=format!("/auth/login?returnTo={base}") data-external="">"Sign in"</a>
            </div>
        </div>
    }
}

tessera_mfe::export_app!(app);
