//! Data access: the restaurant BFF (`/api/restaurant/…`, see `docs/food-delivery.md`).
//!
//! Every call builds its URL synchronously through the instance's [`Bff`] (while the component
//! that calls it is alive) and returns a `'static` future, so a request finishing after the
//! page is gone touches nothing but signals that ignore writes once disposed.

use std::future::Future;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use tessera_contracts::food::{MenuItem, Order};
use tessera_mfe::api::{ApiError, Bff};

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
struct RejectInput {
    reason: String,
}

pub(crate) fn my_restaurants(bff: Bff) -> impl Future<Output = Result<Vec<OwnedRestaurant>, ApiError>> + use<> {
    let answer = bff.get::<MineAnswer>("/restaurants/mine");
    async move { answer.await.map(|answer| answer.restaurants) }
}

pub(crate) fn open_orders(bff: Bff) -> impl Future<Output = Result<Vec<Order>, ApiError>> + use<> {
    let answer = bff.get::<OrdersAnswer>("/orders?scope=open");
    async move { answer.await.map(|answer| answer.orders) }
}

/// Moves an order one step on: accept, reject (with a reason) or mark ready.
pub(crate) fn advance(bff: Bff, order_id: &str, step: Step) -> impl Future<Output = Result<Order, ApiError>> + use<> {
    let (path, body) = match step {
        Step::Accept => ("accept", None),
        Step::Reject(reason) => ("reject", Some(RejectInput { reason })),
        Step::Ready => ("ready", None),
    };
    let answer = bff.send::<OrderAnswer, _>("POST", &format!("/orders/{order_id}/{path}"), body.as_ref());
    async move { answer.await.map(|answer| answer.order) }
}

/// Creates or replaces a dish. The answer (the stored item) is not read: the caller applies
/// the input locally and reloads the menu for the authoritative versions.
pub(crate) fn put_item(bff: Bff, restaurant_id: &str, item_id: &str, input: ItemInput) -> impl Future<Output = Result<(), ApiError>> + use<> {
    let answer = bff.send::<IgnoredAny, _>("PUT", &format!("/restaurants/{restaurant_id}/items/{item_id}"), Some(&input));
    async move { answer.await.map(|_| ()) }
}

pub(crate) fn remove_item(bff: Bff, restaurant_id: &str, item_id: &str) -> impl Future<Output = Result<(), ApiError>> + use<> {
    let answer = bff.send::<IgnoredAny, ()>("DELETE", &format!("/restaurants/{restaurant_id}/items/{item_id}"), None);
    async move { answer.await.map(|_| ()) }
}

/// Which form field a 422 answer is about, and the reason in words for people.
///
/// The BFFs answer `{"error": "<field>: <reason>", "field", "reason"}`; the SDK reads `field`
/// and `reason` into the [`ApiError`].
pub(crate) fn invalid_field(error: &ApiError) -> Option<(String, String)> {
    if error.status != 422 {
        return None;
    }
    let (field, reason) = (error.field.as_deref()?, error.reason.as_deref()?);
    if field.is_empty() {
        return None;
    }
    Some((field.to_string(), sentence(reason)))
}

/// Capitalizes the first letter and ends with a period.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        // The BFF's reasons are English: ASCII case mapping keeps Unicode's tables out of the wasm.
        Some(first) => std::iter::once(first.to_ascii_uppercase()).chain(chars).collect(),
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

    fn invalid(status: u16, field: Option<&str>, reason: Option<&str>) -> ApiError {
        let message = format!("{}: {}", field.unwrap_or_default(), reason.unwrap_or_default());
        ApiError { field: field.map(Into::into), reason: reason.map(Into::into), ..ApiError::new(status, message) }
    }

    #[test]
    fn a_validation_answer_names_its_field() {
        let error = invalid(422, Some("priceCents"), Some("must be between 1 and 100000"));
        assert_eq!(invalid_field(&error), Some(("priceCents".into(), "Must be between 1 and 100000.".into())));
        let conflict = invalid(409, Some("name"), Some("taken"));
        assert_eq!(invalid_field(&conflict), None);
        let prose = ApiError::new(422, "The dish needs a name. Add one: then save");
        assert_eq!(invalid_field(&prose), None);
        let no_reason = invalid(422, Some("name"), None);
        assert_eq!(invalid_field(&no_reason), None);
    }
}
