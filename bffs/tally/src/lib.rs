//! Tally: the smallest complete BFF on the kit, and the example `docs/writing-a-bff.md`
//! walks through. Clients create tallies with their own ids and increment them; each
//! increment commits with a `tally-incremented` event (carrying the tally's new state) in the
//! outbox; the listener builds `tally_view` from those events.
//!
//! - `PUT /tallies/{id}` `{label}` — create (idempotent);
//! - `POST /tallies/{id}/increments` `{by}` — add 1..=1000 (`If-Match` optional → 412);
//! - `GET /tallies/{id}` — the command side, with `ETag: "v<version>"`;
//! - `GET /views/tallies` — the listener's view (ETag, `Cache-Control`, `X-As-Of`).

mod handlers;
mod routes;

use std::sync::Arc;

use sqlx::migrate::Migrator;
use tessera_bff_kit::BffSpec;

pub use handlers::TallyView;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The event this BFF publishes and consumes.
pub const TALLY_INCREMENTED: &str = "tally-incremented";

pub fn spec() -> BffSpec {
    BffSpec { name: "tally", migrator: &MIGRATOR, routes: routes::router, handlers: vec![Arc::new(TallyView)], startup: None }
}
