//! The Food Delivery domain's public language: the events its BFFs exchange through the hub
//! and the payloads they carry. Producers and consumers (and the micro-apps reading the
//! views) agree on these names and shapes; every field is `camelCase` on the wire.
//!
//! | event | producer | entity field | consumers |
//! |---|---|---|---|
//! | `restaurant-updated` | restaurant | `restaurant` ([`Restaurant`]) | menus, cart |
//! | `menu-item-updated` | restaurant | `menuItem` ([`MenuItem`]) | menus, cart |
//! | `menu-item-removed` | restaurant | `menuItem` ([`MenuItem`], `available: false`) | menus, cart |
//! | `order-placed` | cart | `order` ([`Order`]) | orders, restaurant |
//! | `order-accepted`, `order-rejected`, `order-ready` | restaurant | `order` | orders, driver, restaurant |
//! | `order-picked-up`, `order-delivered` | driver | `order` | orders, restaurant |
//!
//! Every event carries the entity's full current state with a `version` that grows with each
//! change, so consumers apply it order-tolerantly (newest version wins) and never need to ask
//! the producer. Order events are tagged `owner` (the customer), `restaurant` and, once a
//! driver claimed the delivery, `driver`: live updates and views filter by those tags.

use serde::{Deserialize, Serialize};

use crate::{Envelope, EventType};

pub const RESTAURANT_UPDATED: &str = "restaurant-updated";
pub const MENU_ITEM_UPDATED: &str = "menu-item-updated";
pub const MENU_ITEM_REMOVED: &str = "menu-item-removed";
pub const ORDER_PLACED: &str = "order-placed";
pub const ORDER_ACCEPTED: &str = "order-accepted";
pub const ORDER_REJECTED: &str = "order-rejected";
pub const ORDER_READY: &str = "order-ready";
pub const ORDER_PICKED_UP: &str = "order-picked-up";
pub const ORDER_DELIVERED: &str = "order-delivered";

/// The roles a user may hold.
pub mod roles {
    pub const CUSTOMER: &str = "customer";
    pub const RESTAURANT: &str = "restaurant";
    pub const DRIVER: &str = "driver";
}

/// A restaurant as its owner publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restaurant {
    pub id: String,
    pub name: String,
    pub cuisine: String,
    pub description: String,
    /// A picture for the card (an emoji: no images are fetched from elsewhere).
    pub emoji: String,
    /// The user id of the restaurant's owner (role `restaurant`).
    pub owner: String,
    pub version: i64,
}

/// One dish on a restaurant's menu. Prices are integer minor units (cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MenuItem {
    pub id: String,
    pub restaurant_id: String,
    pub category: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub available: bool,
    /// Position within its category.
    #[serde(default)]
    pub position: i64,
    pub version: i64,
}

/// One line of an order: what was ordered at which price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub item_id: String,
    pub name: String,
    pub price_cents: i64,
    pub quantity: i64,
}

/// Where an order is in its life. The rank orders them: a status never goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStatus {
    Placed,
    Accepted,
    Rejected,
    Ready,
    PickedUp,
    Delivered,
}

impl OrderStatus {
    /// Later statuses have higher ranks (`rejected` ends the order like `delivered` does).
    pub fn rank(self) -> i64 {
        match self {
            Self::Placed => 0,
            Self::Accepted => 1,
            Self::Rejected => 5,
            Self::Ready => 2,
            Self::PickedUp => 3,
            Self::Delivered => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Ready => "ready",
            Self::PickedUp => "picked-up",
            Self::Delivered => "delivered",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "placed" => Self::Placed,
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            "ready" => Self::Ready,
            "picked-up" => Self::PickedUp,
            "delivered" => Self::Delivered,
            _ => return None,
        })
    }

    /// The event type announcing this status.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Placed => ORDER_PLACED,
            Self::Accepted => ORDER_ACCEPTED,
            Self::Rejected => ORDER_REJECTED,
            Self::Ready => ORDER_READY,
            Self::PickedUp => ORDER_PICKED_UP,
            Self::Delivered => ORDER_DELIVERED,
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Placed => "Placed",
            Self::Accepted => "Accepted",
            Self::Rejected => "Rejected",
            Self::Ready => "Ready for pickup",
            Self::PickedUp => "On the way",
            Self::Delivered => "Delivered",
        }
    }
}

/// An order as every order event carries it: the whole order and its current status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub restaurant_id: String,
    pub restaurant_name: String,
    pub lines: Vec<OrderLine>,
    pub total_cents: i64,
    pub delivery_address: String,
    #[serde(default)]
    pub note: String,
    pub status: OrderStatus,
    /// When the order was placed (epoch ms).
    pub placed_at: i64,
    /// When it reached `status` (epoch ms).
    pub status_at: i64,
    /// The driver delivering it, once claimed.
    #[serde(default)]
    pub driver_id: Option<String>,
    /// Why it was rejected.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Order {
    /// The event announcing the order's current status: `order-<status>`, partitioned by the
    /// order, one fact per order and status (so a retried command yields the same event id),
    /// tagged for routing and authorization.
    pub fn event(&self, source: &str, timestamp: i64) -> Envelope {
        let kind = EventType::parse(self.status.event_type()).expect("order event types are valid");
        let entity = serde_json::to_value(self).expect("orders serialize");
        let event = Envelope::new(kind, source, &self.id, self.status.as_str(), timestamp, entity);
        self.tags().into_iter().fold(event, |event, (key, value)| event.with_tag(key, value))
    }

    /// The tags routing and authorization need.
    pub fn tags(&self) -> Vec<(&'static str, &str)> {
        let mut tags = vec![("owner", self.customer_id.as_str()), ("restaurant", self.restaurant_id.as_str())];
        if let Some(driver) = &self.driver_id {
            tags.push(("driver", driver.as_str()));
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_only_move_forward() {
        for status in [OrderStatus::Placed, OrderStatus::Accepted, OrderStatus::Rejected, OrderStatus::Ready, OrderStatus::PickedUp, OrderStatus::Delivered] {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!(OrderStatus::Placed.rank() < OrderStatus::Accepted.rank());
        assert!(OrderStatus::Ready.rank() < OrderStatus::PickedUp.rank());
        assert!(OrderStatus::PickedUp.rank() < OrderStatus::Delivered.rank());
    }

    #[test]
    fn order_events_are_tagged_for_routing() {
        let order = Order {
            id: "o1".into(),
            customer_id: "alice".into(),
            customer_name: "Alice".into(),
            restaurant_id: "r1".into(),
            restaurant_name: "R".into(),
            lines: vec![],
            total_cents: 0,
            delivery_address: "x".into(),
            note: String::new(),
            status: OrderStatus::PickedUp,
            placed_at: 0,
            status_at: 0,
            driver_id: Some("dan".into()),
            reason: None,
        };
        assert_eq!(order.tags(), vec![("owner", "alice"), ("restaurant", "r1"), ("driver", "dan")]);
        let json = serde_json::to_value(&order).unwrap();
        assert_eq!(json["status"], "picked-up");
        assert_eq!(json["deliveryAddress"], "x");
        let event = order.event("driver", 7);
        assert_eq!(event.kind.as_str(), "order-picked-up");
        assert_eq!(event.tags["driver"], "dan");
        assert_eq!(event.entity().unwrap()["id"], "o1");
        assert_eq!(event.id, order.event("driver", 8).id, "one fact per order and status");
    }
}
