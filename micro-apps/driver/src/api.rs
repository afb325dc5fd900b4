//! Data access: the driver BFF (`/api/driver/…`, see `docs/food-delivery.md`).
//!
//! Every method builds its URL synchronously (while the component that calls it is alive) and
//! returns a `'static` future, so a request finishing after the page is gone touches nothing
//! but signals that ignore writes once disposed.

use std::future::Future;

use leptos::prelude::*;
use serde::Deserialize;
use tessera_contracts::food::Order;
use tessera_mfe::Props;
use tessera_mfe::api::{self, ApiError};

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

/// The driver BFF as seen from this app instance.
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

    pub(crate) fn deliveries(&self) -> impl Future<Output = Result<Deliveries, ApiError>> + 'static {
        let url = self.url("/deliveries");
        async move { api::get::<Deliveries>(&url).await }
    }

    /// Claims a delivery, or moves a claimed one on (picked up, delivered).
    pub(crate) fn advance(&self, order_id: &str, step: Step) -> impl Future<Output = Result<Order, ApiError>> + 'static {
        let url = self.url(&format!("/deliveries/{order_id}/{}", step.path()));
        async move { api::send::<OrderAnswer>("POST", &url, None::<&()>).await.map(|answer| answer.order) }
    }
}
