//! `tessera-dev-idp`: the DEV-ONLY OpenID Connect provider, run by `cargo xtask dev`.
//! `tessera-dev-idp --dev` serves it on http://127.0.0.1:8090 until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tessera_dev_idp::{DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DevIdp, DevIdpConfig};
use tracing_subscriber::EnvFilter;

/// DEV-ONLY OpenID Connect provider with the Tessera Eats demo users. Never use in production.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Where to listen; only loopback addresses are accepted.
    #[arg(long, env = "DEV_IDP_ADDR", default_value = "127.0.0.1:8090")]
    addr: SocketAddr,
    /// The signing key is kept in `<data-dir>/dev-idp/`.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Confirms that this is development; without it the provider refuses to start.
    #[arg(long, env = "TESSERA_DEV")]
    dev: bool,
    /// The client id the host signs in with.
    #[arg(long, env = "DEV_IDP_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// The client secret the host signs in with.
    #[arg(long, env = "DEV_IDP_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET, hide_env_values = true)]
    client_secret: String,
    /// The `aud` of access tokens: what the BFFs expect.
    #[arg(long, env = "DEV_IDP_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Lifetime of access and ID tokens, in seconds.
    #[arg(long, env = "DEV_IDP_ACCESS_TOKEN_TTL", default_value_t = 300)]
    access_token_ttl: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();

    let cli = Cli::parse();
    if !cli.dev {
        anyhow::bail!(
            "tessera-dev-idp is a development tool that signs anyone in as any demo user; \
             pass --dev (or set TESSERA_DEV=true) to confirm this is development"
        );
    }
    let idp = DevIdp::start(DevIdpConfig {
        addr: cli.addr,
        data_dir: cli.data_dir,
        client_id: cli.client_id,
        client_secret: cli.client_secret,
        audience: cli.audience,
        access_token_ttl: Duration::from_secs(cli.access_token_ttl),
        dev_mode: cli.dev,
    })
    .await?;

    let rule = "!".repeat(72);
    eprintln!("{rule}\n!!  DEV-ONLY identity provider — never use in production\n!!  issuer: {}\n{rule}", idp.issuer());

    shutdown_signal().await;
    idp.stop().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (what `cargo xtask dev` and process managers send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
