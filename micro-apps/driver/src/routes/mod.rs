//! One module per page: `/driver` ([`deliveries`]).

pub(crate) mod deliveries;
