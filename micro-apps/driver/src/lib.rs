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

use leptos::prelude::*;
use tessera_contracts::food::{OrderStatus, roles};
use tessera_mfe::runtime::ReadyMark;
use tessera_mfe::ui::RoleGate;

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
    let props = tessera_mfe::use_props();
    let (name, base) = props.with_untracked(|p| (p.name.clone(), p.base_route.clone()));
    let ready = ReadyMark::new(name);
    provide_context(ready);
    let base = if base.is_empty() { "/driver".to_string() } else { base };
    view! {
        <RoleGate role=roles::DRIVER title="Deliveries" icon="🛵" body="Sign in as a driver to see your deliveries." return_to=base ready>
            {routes::deliveries::deliveries_page()}
        </RoleGate>
    }
}

tessera_mfe::export_app!(app);
