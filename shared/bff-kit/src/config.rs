//! BFF configuration from flags or environment (one documented struct; see `.env.sample`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct BffConfig {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "BFF_ADDR", default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Where the default SQLite view store and embedded event log live.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The view store: `sqlite://<file>` (default `<data>/<bff>.db`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The event hub: a path of the embedded log (default `<data>/events.db`) or `nats://…`.
    #[arg(long, env = "EVENT_HUB_URL")]
    pub event_hub_url: Option<String>,
}

impl BffConfig {
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self { addr: "127.0.0.1:0".parse().expect("a valid address"), data_dir, database_url: None, event_hub_url: None }
    }

    pub fn database_url(&self, bff: &str) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join(format!("{bff}.db")).display()))
    }

    pub fn event_hub_url(&self) -> String {
        self.event_hub_url.clone().unwrap_or_else(|| self.data_dir.join("events.db").display().to_string())
    }
}
