//! One module per route: `/orders` ([`orders`]) and `/orders/:id` ([`order`]).

pub(crate) mod order;
pub(crate) mod orders;
