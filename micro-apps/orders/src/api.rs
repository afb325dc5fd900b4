//! The orders BFF (`/api/orders/…`): the signed-in customer's orders and their timelines,
//! built from every `order-*` event.
//!
//! Each call builds its URL from the props now and returns a `'static` future, so callers can
//! read the props signal briefly and await later.

use std::future::Future;

use serde::Deserialize;
use tessera_contracts::food::{Order, OrderStatus};
use tessera_mfe::Props;
use tessera_mfe::api::{self, ApiError};

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

/// `GET /orders`.
pub(crate) fn orders(props: &Props) -> impl Future<Output = Result<OrderList, ApiError>> + use<> {
    let url = props.bff("/orders");
    async move { api::get(&url).await }
}

/// `GET /orders/{id}`.
pub(crate) fn order(props: &Props, id: &str) -> impl Future<Output = Result<OrderDetail, ApiError>> + use<> {
    let url = props.bff(&format!("/orders/{}", String::from(js_sys::encode_uri_component(id))));
    async move { api::get(&url).await }
}
