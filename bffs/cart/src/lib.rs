//! The cart BFF of the Food Delivery system (`docs/food-delivery.md`): one cart per customer,
//! its dishes all from one restaurant, and checkout. Run it with `cargo run -p cart-bff`
//! (`--help` lists the options). Every route needs the `customer` role.
//!
//! - `GET /cart` — the caller's cart at the catalog's current names, prices and availability;
//! - `PUT /cart/items/{itemId}` `{quantity}` — puts a dish in the cart (1 to 20 of it);
//! - `DELETE /cart/items/{itemId}`, `DELETE /cart` — takes a dish out, empties the cart;
//! - `PUT /orders/{orderId}` `{deliveryAddress, note}` — turns the cart into an order and
//!   publishes `order-placed`; the same id again answers with that order (offline replays).
//!
//! Layout: `cart.rs` (the cart), `checkout.rs` (placing orders), `handlers.rs` (the listener
//! `cart-catalog`, which keeps the catalog from `restaurant-updated`, `menu-item-updated` and
//! `menu-item-removed`), `migrations/`.

mod cart;
mod checkout;
mod handlers;

use std::sync::Arc;

use axum::Router;
use sqlx::migrate::Migrator;
use tessera_bff_kit::{BffSpec, BffState};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub fn spec() -> BffSpec {
    BffSpec { name: "cart", migrator: &MIGRATOR, routes: router, handlers: vec![Arc::new(handlers::CartCatalog)], startup: None }
}

fn router() -> Router<BffState> {
    Router::new().merge(cart::router()).merge(checkout::router())
}
