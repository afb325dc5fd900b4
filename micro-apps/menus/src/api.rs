//! The menus BFF (`/api/menus/…`): the restaurant catalogue built from restaurant events.
//!
//! Each call builds its URL from the props now and returns a `'static` future, so callers can
//! read the props signal briefly and await later.

use std::future::Future;

use serde::Deserialize;
use tessera_contracts::food::MenuItem;
use tessera_mfe::Props;
use tessera_mfe::api::{self, ApiError};

/// A restaurant as the catalogue shows it (a card in the list, the header of a menu).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestaurantSummary {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) cuisine: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) emoji: String,
    /// Dishes on the menu (only in the list).
    #[serde(default)]
    pub(crate) item_count: i64,
    /// The cheapest dish (only in the list; absent while the menu is empty).
    #[serde(default)]
    pub(crate) from_price_cents: Option<i64>,
}

/// `GET /restaurants`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Restaurants {
    pub(crate) restaurants: Vec<RestaurantSummary>,
    #[serde(default)]
    pub(crate) cuisines: Vec<String>,
}

/// One section of a menu.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Category {
    pub(crate) name: String,
    pub(crate) items: Vec<MenuItem>,
}

/// `GET /restaurants/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestaurantMenu {
    pub(crate) restaurant: RestaurantSummary,
    #[serde(default)]
    pub(crate) categories: Vec<Category>,
}

fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

/// Restaurants matching `query` (name, cuisine or dish) and, when given, of one cuisine.
pub(crate) fn restaurants(props: &Props, query: &str, cuisine: Option<&str>) -> impl Future<Output = Result<Restaurants, ApiError>> + use<> {
    let mut params = Vec::new();
    if !query.trim().is_empty() {
        params.push(format!("q={}", encode(query.trim())));
    }
    if let Some(cuisine) = cuisine {
        params.push(format!("cuisine={}", encode(cuisine)));
    }
    let url = if params.is_empty() { props.bff("/restaurants") } else { format!("{}?{}", props.bff("/restaurants"), params.join("&")) };
    async move { api::get(&url).await }
}

/// One restaurant with its menu by category (sold-out dishes included and marked).
pub(crate) fn restaurant_menu(props: &Props, id: &str) -> impl Future<Output = Result<RestaurantMenu, ApiError>> + use<> {
    let url = props.bff(&format!("/restaurants/{}", encode(id)));
    async move { api::get(&url).await }
}
