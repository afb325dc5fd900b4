//! `tessera-host`: serves the shell and deployed micro-apps, the deploy API and the BFF proxy.

use clap::Parser;
use tessera_host::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_host::telemetry::init();
    let app = Application::build(Config::parse()).await?;
    app.run_until_stopped(tessera_host::shutdown_signal()).await
}
