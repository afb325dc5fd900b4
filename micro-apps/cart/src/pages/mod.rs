//! The `/cart` page ([`cart`]) and its checkout form ([`checkout`]).

pub(crate) mod cart;
mod checkout;
