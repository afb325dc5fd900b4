//! The driver BFF of the Food Delivery system (`docs/food-delivery.md`): drivers take ready
//! orders to customers. Run it with `cargo run -p driver-bff` (`--help` lists the options).
//! Every route needs the `driver` role.
//!
//! - `GET /deliveries` — deliveries on offer (oldest first) and the caller's own (active first);
//! - `POST /deliveries/{id}/claim` — takes a delivery; exactly one driver wins it;
//! - `POST /deliveries/{id}/picked-up`, `POST /deliveries/{id}/delivered` — the claiming
//!   driver's steps, published as `order-picked-up` and `order-delivered`.
//!
//! Layout: `deliveries.rs` (queries and commands), `handlers.rs` (the listener
//! `driver-deliveries`, which offers every `order-ready`), `migrations/`.

mod deliveries;
mod handlers;

use std::sync::Arc;

use sqlx::migrate::Migrator;
use tessera_bff_kit::BffSpec;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub fn spec() -> BffSpec {
    BffSpec { name: "driver", migrator: &MIGRATOR, routes: deliveries::router, handlers: vec![Arc::new(handlers::DriverDeliveries)], startup: None }
}
