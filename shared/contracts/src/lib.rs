//! Contracts shared between services and micro-apps: the domain event [`Envelope`] (as in the
//! seeds), [`Fault`] events, and the Food Delivery domain's events and payloads ([`food`]).
//! Everything here is data both sides of a contract must agree on; no behaviour beyond
//! parsing and formatting.

pub mod envelope;
pub mod food;

pub use envelope::{Envelope, EventType, Fault, FAULT_TYPE};
