//! Data access: the restaurant BFF (`/api/restaurant/…`, see `docs/food-delivery.md`).
//!
//! Every method builds its URL synchronously (while the component that calls it is alive) and
//! returns a `'static` future, so a request finishing after the page is gone touches nothing
//! but signals that ignore writes once disposed.

use std::future::Future;

use leptos::prelude::*;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use tessera_contracts::food::{MenuItem, Order};
use tessera_mfe::Props;
use tessera_mfe::api::{self, ApiError};

/// A restaurant the caller owns, with its whole menu (`GET /restaurants/mine`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OwnedRestaurant {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) emoji: String,
    #[serde(default)]
    pub(crate) items: Vec<MenuItem>,
}

#[derive(Debug, Deserialize)]
struct MineAnswer {
    restaurants: Vec<OwnedRestaurant>,
}

#[derive(Debug, Deserialize)]
struct OrdersAnswer {
    orders: Vec<Order>,
}

#[derive(Debug, Deserialize)]
struct OrderAnswer {
    order: Order,
}

/// The body of `PUT /restaurants/{rid}/items/{itemId}`: the full item as the kitchen edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemInput {
    pub(crate) category: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price_cents: i64,
    pub(crate) available: bool,
    pub(crate) position: i64,
}

impl ItemInput {
    pub(crate) fn from_item(item: &MenuItem) -> Self {
        Self {
            category: item.category.clone(),
            name: item.name.clone(),
            description: item.description.clone(),
            price_cents: item.price_cents,
            available: item.available,
            position: item.position,
        }
    }

    /// The item as it will look once the BFF stored this input (one version newer).
    pub(crate) fn applied_to(&self, id: &str, restaurant_id: &str, version: i64) -> MenuItem {
        MenuItem {
            id: id.to_string(),
            restaurant_id: restaurant_id.to_string(),
            category: self.category.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            price_cents: self.price_cents,
            available: self.available,
            position: self.position,
            version: version + 1,
        }
    }
}

/// What the kitchen does with an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Accept,
    Reject(String),
    Ready,
}

#[derive(Debug, Serialize)]
struct RejectInput<'a> {
    reason: &'a str,
}

/// The restaurant BFF as seen from this app instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Api {
    base: StoredValue<String>,
}

impl Api {
    pub(crate) fn new(props: &Props) -> Self {
        Self { base: StoredValue::new(props.bff("")) }
    }

    fn url(&self, path: &str) -> String {
        self.base.with_value(|base| format!("{base}{path}"))
    }

    pub(crate) fn my_restaurants(&self) -> impl Future<Output = Result<Vec<OwnedRestaurant>, ApiError>> + 'static {
        let url = self.url("/restaurants/mine");
        async move { api::get::<MineAnswer>(&url).await.map(|answer| answer.restaurants) }
    }

    pub(crate) fn open_orders(&self) -> impl Future<Output = Result<Vec<Order>, ApiError>> + 'static {
        let url = self.url("/orders?scope=open");
        async move { api::get::<OrdersAnswer>(&url).await.map(|answer| answer.orders) }
    }

    /// Moves an order one step on: accept, reject (with a reason) or mark ready.
    pub(crate) fn advance(&self, order_id: &str, step: Step) -> impl Future<Output = Result<Order, ApiError>> + 'static {
        let path = match &step {
            Step::Accept => "accept",
            Step::Reject(_) => "reject",
            Step::Ready => "ready",
        };
        let url = self.url(&format!("/orders/{order_id}/{path}"));
        async move {
            let answer = match step {
                Step::Reject(reason) => api::send::<OrderAnswer>("POST", &url, Some(&RejectInput { reason: &reason })).await,
                Step::Accept | Step::Ready => api::send::<OrderAnswer>("POST", &url, None::<&()>).await,
            };
            answer.map(|answer| answer.order)
        }
    }

    /// Creates or replaces a dish. The answer (the stored item) is not read: the caller applies
    /// the input locally and reloads the menu for the authoritative versions.
    pub(crate) fn put_item(&self, restaurant_id: &str, item_id: &str, input: ItemInput) -> impl Future<Output = Result<(), ApiError>> + 'static {
        let url = self.url(&format!("/restaurants/{restaurant_id}/items/{item_id}"));
        async move { api::send::<IgnoredAny>("PUT", &url, Some(&input)).await.map(|_| ()) }
    }

    pub(crate) fn remove_item(&self, restaurant_id: &str, item_id: &str) -> impl Future<Output = Result<(), ApiError>> + 'static {
        let url = self.url(&format!("/restaurants/{restaurant_id}/items/{item_id}"));
        async move { api::send::<IgnoredAny>("DELETE", &url, None::<&()>).await.map(|_| ()) }
    }
}

/// Which form field a 422 answer is about, and the reason in words for people.
///
/// The BFFs answer `{"error": "<field>: <reason>", "field", "reason"}`; the SDK keeps only
/// `error`, so the field is read back from its prefix.
pub(crate) fn invalid_field(error: &ApiError) -> Option<(String, String)> {
    if error.status != 422 {
        return None;
    }
    let (field, reason) = error.message.split_once(": ")?;
    if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((field.to_string(), sentence(reason)))
}

/// Capitalizes the first letter and ends with a period.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_answer_names_its_field() {
        let error = ApiError { status: 422, message: "priceCents: must be between 1 and 100000".into() };
        assert_eq!(invalid_field(&error), Some(("priceCents".into(), "Must be between 1 and 100000.".into())));
        let conflict = ApiError { status: 409, message: "name: taken".into() };
        assert_eq!(invalid_field(&conflict), None);
        let prose = ApiError { status: 422, message: "The dish needs a name. Add one: then save".into() };
        assert_eq!(invalid_field(&prose), None);
    }
}
