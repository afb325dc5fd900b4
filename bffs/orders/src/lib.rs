//! The orders BFF of the Food Delivery system (`docs/food-delivery.md`): customers follow
//! their orders. Run it with `cargo run -p orders-bff` (`--help` lists the options). Every
//! route needs the `customer` role.
//!
//! - `GET /orders` — the caller's orders, newest first;
//! - `GET /orders/{id}` — one of them with its timeline (each status reached, in rank order).
//!
//! Layout: `orders.rs` (the queries), `handlers.rs` (the listener `orders-tracking`, which
//! builds the view from every `order-*` event), `migrations/`.

mod handlers;
mod orders;

use std::sync::Arc;

use sqlx::migrate::Migrator;
use tessera_bff_kit::BffSpec;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub fn spec() -> BffSpec {
    BffSpec { name: "orders", migrator: &MIGRATOR, routes: orders::router, handlers: vec![Arc::new(handlers::OrdersTracking)], startup: None }
}
