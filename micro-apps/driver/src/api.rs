//! Data access: the driver BFF (`/api/driver/…`, see `docs/food-delivery.md`).
//!
//! Every call builds its URL synchronously through the instance's [`Bff`] (while the component
//! that calls it is alive) and returns a `'static` future, so a request finishing after the
//! page is gone touches nothing but signals that ignore writes once disposed.

use std::future::Future;

use serde::Deserialize;
use tessera_contracts::food::Order;
use tessera_mfe::api::{ApiError, Bff};

/// `GET /deliveries`: orders on offer, and the caller's own (active first, then delivered).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct Deliveries {
    #[serde(default)]
    pub(crate) available: Vec<Order>,
    #[serde(default)]
    pub(crate) mine: Vec<Order>,
}

#[derive(Debug, Deserialize)]
struct OrderAnswer {
    order: Order,
}

/// What a driver does with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Claim,
    PickedUp,
    Delivered,
}

impl Step {
    fn path(self) -> &'static str {
        match self {
            Self::Claim => "claim",
            Self::PickedUp => "picked-up",
            Self::Delivered => "delivered",
        }
    }
}

pub(crate) fn deliveries(bff: Bff) -> impl Future<Output = Result<Deliveries, ApiError>> + use<> {
    bff.get("/deliveries")
}

/// Claims a delivery, or moves a claimed one on (picked up, delivered).
pub(crate) fn advance(bff: Bff, order_id: &str, step: Step) -> impl Future<Output = Result<Order, ApiError>> + use<> {
    let answer = bff.send::<OrderAnswer, ()>("POST", &format!("/deliveries/{order_id}/{}", step.path()), None);
    async move { answer.await.map(|answer| answer.order) }
}
