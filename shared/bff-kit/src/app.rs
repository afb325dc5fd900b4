//! The application skeleton every BFF runs: configuration, store and hub connections,
//! migrations, the BFF's routes (behind bearer-token verification, see [`crate::auth`]) plus
//! `/health` and `/metrics`, the outbox relay and the listeners, graceful shutdown. `main`
//! stays a few lines: see [`run_cli`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use clap::{Parser, Subcommand};
use serde_json::json;
use sqlx::migrate::Migrator;
use tessera_auth::Verifier;
use tessera_event_hub::{EventHub, Retention};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use crate::config::BffConfig;
use crate::listener::{Handler, Listener};
use crate::outbox::Relay;
use crate::store::Store;

/// What makes a BFF itself.
#[derive(Debug)]
pub struct BffSpec {
    /// Names the default database file and tags the events it publishes (`source`).
    pub name: &'static str,
    pub migrator: &'static Migrator,
    /// The query and command routes.
    pub routes: fn() -> Router<BffState>,
    pub handlers: Vec<Arc<dyn Handler>>,
    /// Runs once after migrations, before serving (seeding reference data through the outbox).
    pub startup: Option<Startup>,
}

/// A startup step: gets the state once the store is migrated.
pub type Startup = fn(BffState) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// What handlers share.
#[derive(Debug, Clone)]
pub struct BffState {
    pub name: &'static str,
    pub store: Store,
    pub hub: Arc<dyn EventHub>,
    pub relay: Relay,
}

impl BffState {
    /// Call after committing outbox events: the relay publishes them at once.
    pub fn events_committed(&self) {
        self.relay.wakeup.notify_one();
    }
}

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: BffState,
    listeners: Vec<Listener>,
}

impl Application {
    pub async fn build(config: BffConfig, spec: BffSpec) -> anyhow::Result<Self> {
        // First, so that a BFF that could not tell who is calling fails before touching anything.
        let verifier = Verifier::new(config.auth()?, reqwest::Client::new()).context("configuring token verification (OIDC_*)")?;
        let store = Store::connect(&config.database_url(spec.name)).await?;
        store.migrate(spec.migrator).await?;
        let hub = tessera_event_hub::connect(&config.event_hub_url(), Retention::default())
            .await
            .with_context(|| format!("connecting to the event hub at {}", config.event_hub_url()))?;
        let relay = Relay::new(store.clone(), hub.clone());
        let state = BffState { name: spec.name, store: store.clone(), hub: hub.clone(), relay: relay.clone() };
        if let Some(startup) = spec.startup {
            startup(state.clone()).await.with_context(|| format!("starting the {} BFF", spec.name))?;
        }
        let listeners = spec.handlers.into_iter().map(|h| Listener::new(store.clone(), hub.clone(), h, relay.wakeup.clone())).collect();
        let metrics = crate::metrics::handle();
        let router = (spec.routes)()
            .layer(axum::middleware::from_fn_with_state(Arc::new(verifier), crate::auth::authenticate))
            .route("/health", get(health))
            .route("/metrics", get(move || std::future::ready(metrics.render())))
            .layer(axum::middleware::from_fn(crate::metrics::track))
            .layer(TraceLayer::new_for_http())
            .with_state(state.clone());
        let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
        Ok(Self { listener, router, state, listeners })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &BffState {
        &self.state
    }

    pub fn listeners(&self) -> &[Listener] {
        &self.listeners
    }

    /// Serves, relays and listens until `shutdown` completes; then stops the background tasks.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(self.state.relay.clone().run(stopped.clone()))];
        for listener in self.listeners {
            tasks.push(tokio::spawn(listener.run(stopped.clone())));
        }
        tracing::info!(bff = self.state.name, url = %format!("http://{}", self.listener.local_addr()?), "BFF listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop.send(true);
            })
            .await?;
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

/// `/health`: 200 when the store and the hub answer, 503 naming what is broken.
async fn health(State(state): State<BffState>) -> impl IntoResponse {
    let store = state.store.ping().await.err().map(|e| e.to_string());
    let hub = state.hub.health().await.err().map(|e| e.to_string());
    let healthy = store.is_none() && hub.is_none();
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let outbox = state.relay.pending().await.ok();
    (
        status,
        Json(json!({
            "status": if healthy { "ok" } else { "unavailable" },
            "bff": state.name,
            "store": store.unwrap_or_else(|| "ok".into()),
            "hub": hub.unwrap_or_else(|| "ok".into()),
            "outboxPending": outbox,
        })),
    )
}

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    config: BffConfig,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API, relay the outbox and run the listeners (the default).
    Serve,
    /// Rebuild the views from the event log: from the beginning, or re-apply since a time.
    Replay {
        /// Epoch milliseconds; without it the views are emptied and rebuilt from the start.
        #[arg(long)]
        since: Option<i64>,
    },
}

/// The whole `main` of a BFF binary.
pub async fn run_cli(spec: BffSpec) -> anyhow::Result<()> {
    crate::init_tracing();
    let cli = Cli::parse();
    let app = Application::build(cli.config, spec).await?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => app.run_until_stopped(shutdown_signal()).await,
        Command::Replay { since } => {
            for listener in app.listeners() {
                let applied = listener.replay(since).await?;
                println!("{}: {applied} events applied", listener.name());
            }
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
