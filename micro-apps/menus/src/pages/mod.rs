//! One module per route: `/` ([`restaurants`]) and `/restaurants/:id` ([`restaurant`]).

pub(crate) mod restaurant;
pub(crate) mod restaurants;
