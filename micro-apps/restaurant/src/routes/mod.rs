//! One module per page: `/restaurant` ([`orders`]) and `/restaurant/menu` ([`menu`]).

pub(crate) mod menu;
pub(crate) mod orders;
