//! Contracts shared between services: the domain event [`Envelope`] (as in the seeds) and
//! [`Fault`] events. Business payloads live with the services that own them; this crate holds
//! only what every producer and consumer must agree on.

pub mod envelope;

pub use envelope::{Envelope, EventType, Fault, FAULT_TYPE};
