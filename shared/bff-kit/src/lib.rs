//! The BFF kit: what every Tessera BFF shares, so that a BFF itself is its models, routes,
//! migrations and event handlers. See `docs/writing-a-bff.md` for a walk-through.
//!
//! The seeds' trilateral API:
//! - **query/command** — [`queries`] (ETag, `Cache-Control`, as-of) and [`commands`]
//!   (idempotency keys, optimistic concurrency) over the [`store`] (SQLite by default,
//!   PostgreSQL when `DATABASE_URL` says so);
//! - **listener** — [`listener`]: consumes event types into the view store, idempotent and
//!   order-tolerant, checkpoint in the same transaction, poison events become `fault` events;
//! - **trigger** — [`outbox`]: events are written in the command's transaction and a relay
//!   publishes them (at-least-once, backing off while the hub is down).
//!
//! [`app`] ties them together: configuration, tracing, `/health`, `/metrics`, graceful
//! shutdown. Errors map to HTTP in [`error`]; [`auth`] says who is calling; [`input`] checks what they send.

pub mod app;
pub mod auth;
pub mod commands;
pub mod config;
pub mod error;
pub mod input;
pub mod listener;
pub mod metrics;
pub mod outbox;
pub mod queries;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::{Application, BffSpec, BffState};
pub use auth::{Caller, MaybeCaller};
pub use config::BffConfig;
pub use error::ApiError;
pub use listener::{Handler, Listener};
pub use store::{Dialect, Store, Tx};

/// Tracing from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
