//! The Tessera host: one axum server that
//! - renders `index.html` with the current composition (inline import map, shell entry);
//! - serves the master manifests (`/importmap.json`, `/apps.json`, `/mount-points.json`)
//!   with ETags, and content-hashed bundles (`/apps/…`, `/shell/…`) as immutable;
//! - accepts deploys, rollbacks and listings on `/_deploy/…` (deploy token required);
//! - pushes live updates (hub events, new compositions) over `/live` WebSockets ([`live`]);
//! - signs people in through OpenID Connect ([`auth`]) and proxies `/api/<app>/…` to the BFF
//!   upstream the app's manifest declares, with the signed-in user's access token.
//!
//! Run it with `cargo xtask dev` (which also builds and deploys every app) or directly with
//! `tessera-host --help`. Layout: [`config`], [`store`] (deployed versions and the
//! composition), [`assets`] (pages and files), [`deploy_api`], [`proxy`], [`auth`], [`client`] (the
//! deploy API client used by `cargo xtask deploy` and the tests), [`error`].

pub mod assets;
pub mod auth;
pub mod client;
pub mod config;
pub mod deploy_api;
pub mod encoding;
pub mod error;
pub mod live;
pub mod proxy;
pub mod store;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tessera_manifests::Limits;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use config::{Config, Secret};
pub use store::DeployStore;

/// Everything handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<DeployStore>,
    pub assets: Arc<assets::Assets>,
    pub deploy_token: Secret,
    pub http: reqwest::Client,
    pub auth: Arc<auth::Auth>,
    pub live: Arc<live::Gateway>,
}

/// The host, bound to its port and ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let limits = Limits { max_file_bytes: config.max_file_bytes, max_app_bytes: config.max_app_bytes, ..Limits::default() };
        let store = Arc::new(DeployStore::open(&config.data_dir, limits).await?);
        let assets = Arc::new(assets::Assets::load(&config.dist_dir, &config.public_dir).await?);
        let deploy_token = match config.deploy_token.clone() {
            Some(token) => token,
            None => dev_token(&config.data_dir).await?,
        };
        let http = reqwest::Client::builder().build().context("building the proxy client")?;
        let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
        let auth = Arc::new(auth_from(&config, &listener)?.open(&config).await?);
        let hub_url = config.event_hub_url.clone().unwrap_or_else(|| config.data_dir.join("events.db").display().to_string());
        let hub = tessera_event_hub::connect(&hub_url, tessera_event_hub::Retention::default())
            .await
            .with_context(|| format!("opening the event hub at {hub_url}"))?;
        let live = live::Gateway::new(config.live_window);
        tokio::spawn(live.clone().run(hub));
        let state = AppState { store, assets, deploy_token, http, auth, live };
        tokio::spawn({
            let state = state.clone();
            async move { assets::prepare_encodings(&state).await }
        });
        let body_limit = usize::try_from(config.max_app_bytes).unwrap_or(usize::MAX).saturating_add(1024 * 1024);
        let router = Router::new()
            .merge(deploy_api::router().layer(DefaultBodyLimit::max(body_limit)))
            .merge(proxy::router())
            .merge(auth::router())
            .merge(live::router())
            .merge(assets::router())
            .layer(CompressionLayer::new())
            .layer(TraceLayer::new_for_http())
            .with_state(state.clone());
        Ok(Self { listener, router, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn deploy_token(&self) -> &Secret {
        &self.state.deploy_token
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(url = %format!("http://{}", self.local_addr()), "tessera host listening");
        let live = self.state.live.clone();
        // Open sockets would hold a graceful shutdown forever: close them first (1001).
        let shutdown = async move {
            shutdown.await;
            live.shut_down();
        };
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await?;
        Ok(())
    }
}

/// Sign-in as configured: the relying party when an issuer is set.
struct AuthPlan {
    provider: Option<auth::Provider>,
    secure_cookies: bool,
}

fn auth_from(config: &Config, listener: &TcpListener) -> anyhow::Result<AuthPlan> {
    let public_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let secure_cookies = public_url.starts_with("https://");
    let provider = match &config.oidc_issuer {
        Some(issuer) => Some(auth::Provider::new(auth::OidcConfig {
            // Exactly as configured: issuers are compared as strings (Auth0's end with `/`).
            issuer: issuer.clone(),
            client_id: config.oidc_client_id.clone(),
            client_secret: config.oidc_client_secret.clone(),
            scopes: config.oidc_scopes.split_whitespace().map(str::to_string).collect(),
            roles_claim: config.oidc_roles_claim.parse().context("OIDC_ROLES_CLAIM")?,
            public_url,
        })?),
        None => {
            tracing::warn!("no OIDC_ISSUER configured: sign-in is off and every visitor is a guest");
            None
        }
    };
    Ok(AuthPlan { provider, secure_cookies })
}

impl AuthPlan {
    async fn open(self, config: &Config) -> anyhow::Result<auth::Auth> {
        let sessions = auth::SessionStore::open(&config.data_dir.join("host")).await?;
        Ok(auth::Auth::new(sessions, self.provider, self.secure_cookies, config.session_ttl_secs))
    }
}

/// The dev deploy token: generated once, kept in the data directory, printed at start.
async fn dev_token(data_dir: &std::path::Path) -> anyhow::Result<Secret> {
    let path: PathBuf = data_dir.join("host").join("deploy-token");
    let token = match tokio::fs::read_to_string(&path).await {
        Ok(token) if !token.trim().is_empty() => token.trim().to_string(),
        _ => {
            let token = format!("dev-{:032x}", rand::random::<u128>());
            tokio::fs::create_dir_all(path.parent().expect("in host dir")).await?;
            tokio::fs::write(&path, &token).await?;
            token
        }
    };
    eprintln!("tessera-host: no TESSERA_DEPLOY_TOKEN set; dev deploy token is in {} ({token})", path.display());
    Ok(Secret::new(token))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
