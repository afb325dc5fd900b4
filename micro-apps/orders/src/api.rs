//! The orders BFF (`/api/orders/…`): the signed-in customer's orders and their timelines,
//! built from every `order-*` event.
//!
//! Each call builds its URL from the props now and returns a `'static` future, so callers can
//! read the props signal briefly and await later.

use std::future::Future;

use serde::Deserialize;
use tessera_contracts::food::{Order, OrderStatus};
use tessera_mfe::Props;
use tessera_mfe::api::{self, ApiError, Served};
use tessera_mfe::offline::{self, Entry};

/// Where checkouts go: the cart app's BFF (`PUT /orders/{id}`). Checkouts waiting in the
/// outbox are read from there (docs/offline.md, read-your-writes).
pub(crate) const CART_BFF: &str = "/api/cart";

/// `GET /orders`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct OrderList {
    pub(crate) orders: Vec<Order>,
}

/// One status the order reached, and when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct TimelineEntry {
    pub(crate) status: OrderStatus,
    /// Epoch ms.
    pub(crate) at: i64,
}

/// `GET /orders/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct OrderDetail {
    pub(crate) order: Order,
    #[serde(default)]
    pub(crate) timeline: Vec<TimelineEntry>,
}

impl OrderDetail {
    /// When the order reached `status`, if it did.
    pub(crate) fn reached_at(&self, status: OrderStatus) -> Option<i64> {
        self.timeline.iter().find(|entry| entry.status == status).map(|entry| entry.at).or_else(|| match status {
            OrderStatus::Placed => Some(self.order.placed_at),
            s if s == self.order.status => Some(self.order.status_at),
            _ => None,
        })
    }
}

/// `GET /orders`, and whether it is the service worker's kept copy.
pub(crate) fn orders(props: &Props) -> impl Future<Output = Result<(OrderList, Served), ApiError>> + use<> {
    let url = props.bff("/orders");
    async move { api::get_served(&url).await }
}

/// A checkout waiting in the outbox, from the note the cart left with it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PendingOrder {
    pub(crate) id: String,
    pub(crate) restaurant_name: Option<String>,
    pub(crate) lines: Vec<PendingLine>,
    pub(crate) total_cents: i64,
    /// Epoch ms.
    pub(crate) placed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PendingLine {
    pub(crate) quantity: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OrderNote {
    order: PendingOrder,
}

impl PendingOrder {
    /// The checkout an outbox entry is, if it is one.
    pub(crate) fn read(entry: &Entry) -> Option<Self> {
        let id = entry.id_after("PUT", CART_BFF, "/orders/")?;
        let mut order = entry.meta::<OrderNote>().map(|note| note.order).unwrap_or_default();
        order.id = id.to_string();
        if order.placed_at == 0 {
            order.placed_at = entry.created as i64;
        }
        Some(order)
    }

    pub(crate) fn item_count(&self) -> i64 {
        self.lines.iter().map(|line| line.quantity).sum()
    }
}

/// The caller's checkouts waiting in the outbox, oldest first.
pub(crate) async fn pending_orders() -> Vec<PendingOrder> {
    offline::pending_under(CART_BFF).await.iter().filter_map(PendingOrder::read).collect()
}

/// `GET /orders/{id}`.
pub(crate) fn order(props: &Props, id: &str) -> impl Future<Output = Result<OrderDetail, ApiError>> + use<> {
    let url = props.bff(&format!("/orders/{}", String::from(js_sys::encode_uri_component(id))));
    async move { api::get(&url).await }
}
