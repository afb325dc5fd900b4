//! The cart BFF (`/api/cart/…`): the signed-in customer's cart and checkout.
//!
//! Each call builds its URL from the props now and returns a `'static` future, so callers can
//! read the props signal briefly and await later.
//!
//! Offline, the service worker answers reads with the cart it kept and keeps commands in its
//! outbox: [`cart`] lays those over the answer ([`crate::pending`]), and commands leave a
//! note saying what they are for the time they wait.

use std::future::Future;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use tessera_mfe::Props;
use tessera_mfe::api::{self, ApiError, Served};
use tessera_mfe::offline;

use crate::pending::{ItemNote, OrderNote, Overlay, Pending};

/// Most of one dish a cart line may hold (the BFF accepts `1..=20`).
pub(crate) const MAX_QUANTITY: i64 = 20;

/// The cart as the BFF answers it (an empty cart has no restaurant and no lines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct CartView {
    pub(crate) restaurant_id: Option<String>,
    pub(crate) restaurant_name: Option<String>,
    pub(crate) lines: Vec<CartLine>,
    pub(crate) item_count: i64,
    pub(crate) total_cents: i64,
}

impl CartView {
    pub(crate) fn quantity_of(&self, item_id: &str) -> i64 {
        self.lines.iter().find(|line| line.item_id == item_id).map_or(0, |line| line.quantity)
    }

    /// Names of the dishes that can no longer be ordered.
    pub(crate) fn unavailable(&self) -> Vec<String> {
        self.lines.iter().filter(|line| !line.available).map(|line| line.name.clone()).collect()
    }
}

fn available_by_default() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CartLine {
    pub(crate) item_id: String,
    pub(crate) name: String,
    pub(crate) price_cents: i64,
    pub(crate) quantity: i64,
    #[serde(default = "available_by_default")]
    pub(crate) available: bool,
    pub(crate) line_total_cents: i64,
}

#[derive(Debug, Serialize)]
struct SetQuantity {
    quantity: i64,
}

/// The checkout form's content (`PUT /orders/{id}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewOrder {
    pub(crate) delivery_address: String,
    pub(crate) note: String,
}

fn item_url(props: &Props, item_id: &str) -> String {
    props.bff(&format!("/cart/items/{}", String::from(js_sys::encode_uri_component(item_id))))
}

/// The cart as the customer will have it: what the BFF answered (or the copy the service
/// worker kept, as of some time), with the commands still waiting in the outbox laid over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cart {
    pub(crate) view: CartView,
    pub(crate) overlay: Overlay,
    pub(crate) served: Served,
}

/// `GET /cart`, with the queued cart commands applied.
pub(crate) fn cart(props: &Props) -> impl Future<Output = Result<Cart, ApiError>> + use<> {
    let url = props.bff("/cart");
    let base = props.bff("");
    async move {
        let (mut view, served) = api::get_served::<CartView>(&url).await?;
        let pending: Vec<Pending> = offline::pending_under(&base).await.iter().filter_map(|entry| Pending::read(entry, &base)).collect();
        let overlay = crate::pending::apply(&mut view, &pending);
        Ok(Cart { view, overlay, served })
    }
}

/// `PUT /cart/items/{itemId}`: the line's new quantity (not an increment). `note` says what
/// the dish is while the command waits offline.
pub(crate) fn set_quantity(props: &Props, item_id: &str, quantity: i64, note: ItemNote) -> impl Future<Output = Result<CartView, ApiError>> + use<> {
    let url = item_url(props, item_id);
    async move { api::send_noted("PUT", &url, Some(&SetQuantity { quantity }), &api::new_id(), &note).await }
}

/// `DELETE /cart/items/{itemId}`.
pub(crate) fn remove_line(props: &Props, item_id: &str) -> impl Future<Output = Result<CartView, ApiError>> + use<> {
    let url = item_url(props, item_id);
    async move { api::send("DELETE", &url, None::<&()>).await }
}

/// `DELETE /cart`.
pub(crate) fn empty(props: &Props) -> impl Future<Output = Result<CartView, ApiError>> + use<> {
    let url = props.bff("/cart");
    async move { api::send("DELETE", &url, None::<&()>).await }
}

/// `PUT /orders/{orderId}` with the caller's idempotency key: the same checkout retried keeps
/// both, so it never orders twice. Only success matters here; the order page loads the order.
/// `note` is what the order will be, for the cart and the orders app to show while it waits
/// offline.
pub(crate) fn place_order(props: &Props, order_id: &str, key: &str, order: NewOrder, note: OrderNote) -> impl Future<Output = Result<(), ApiError>> + use<> {
    let url = props.bff(&format!("/orders/{order_id}"));
    let key = key.to_string();
    async move { api::send_noted::<IgnoredAny>("PUT", &url, Some(&order), &key, &note).await.map(|_| ()) }
}
