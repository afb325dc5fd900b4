//! The menus BFF: the public search and browse view of the Food Delivery system
//! (docs/food-delivery.md, "menus BFF"). It owns no facts: the `menus-catalog` listener
//! builds its restaurants and dishes from the restaurant BFF's `restaurant-updated`,
//! `menu-item-updated` and `menu-item-removed` events (newest version per entity wins).
//!
//! - `GET /restaurants?q=&cuisine=` — restaurant cards sorted by name; `q` matches a name,
//!   cuisine or dish (case-insensitive), `cuisine` one cuisine; plus every cuisine;
//! - `GET /restaurants/{id}` — one restaurant with its dishes by category (unavailable ones
//!   included and marked).
//!
//! Both are public (no caller needed) and cacheable for 30 s, with `ETag`, `X-As-Of` and
//! `asOf` in the body. Layout: `routes.rs` (the queries), `handlers.rs` (the listener).

mod handlers;
mod routes;

use std::sync::Arc;

use sqlx::migrate::Migrator;
use tessera_bff_kit::BffSpec;

pub use handlers::CatalogView;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub fn spec() -> BffSpec {
    BffSpec { name: "menus", migrator: &MIGRATOR, routes: routes::router, handlers: vec![Arc::new(CatalogView)], startup: None }
}
