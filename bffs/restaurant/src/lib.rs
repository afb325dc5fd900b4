//! The restaurant BFF: the source of truth for restaurants and their menus, and the kitchen
//! where restaurants handle their orders (docs/food-delivery.md, "restaurant BFF"). Every
//! route needs the `restaurant` role and acts only on the caller's own restaurants.
//!
//! - `GET /restaurants/mine` — the caller's restaurants with their menus;
//! - `PUT /restaurants/{rid}/items/{itemId}` — create or change a dish (`If-Match` optional)
//!   → `menu-item-updated`;
//! - `DELETE /restaurants/{rid}/items/{itemId}` — remove a dish → `menu-item-removed`;
//! - `GET /orders?scope=open|all` — the kitchen's orders;
//! - `POST /orders/{id}/accept`, `/reject` `{reason}`, `/ready` → `order-accepted`,
//!   `order-rejected`, `order-ready`.
//!
//! On first start it seeds four restaurants and publishes them (`seed.rs`). The
//! `restaurant-kitchen` listener learns orders from `order-placed` and follows them through
//! `order-picked-up` and `order-delivered`.
//!
//! Layout: `menu.rs` and `kitchen.rs` (one module per resource), `handlers.rs` (the
//! listener), `seed.rs` (the reference catalog), `input.rs` (validation).

mod handlers;
mod kitchen;
mod menu;
mod seed;

use std::sync::Arc;

use axum::Router;
use sqlx::migrate::Migrator;
use tessera_bff_kit::{BffSpec, BffState};

pub use handlers::KitchenOrders;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub fn spec() -> BffSpec {
    BffSpec {
        name: "restaurant",
        migrator: &MIGRATOR,
        routes: router,
        handlers: vec![Arc::new(KitchenOrders)],
        startup: Some(seed::seed_catalog),
    }
}

fn router() -> Router<BffState> {
    menu::router().merge(kitchen::router())
}
