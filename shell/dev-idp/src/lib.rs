//! `tessera-dev-idp`: a **DEV-ONLY** OpenID Connect provider with the demo users of Tessera
//! Eats. Never use it in production: anyone who can reach it can sign in as anyone.
//!
//! `cargo xtask dev` and the tests start it so that the host (the relying party: code flow
//! with PKCE, state and nonce) and the BFFs (verifying access tokens against the JWKS) run
//! exactly the code they run against a real provider such as Keycloak or Auth0. Its tokens
//! are real RS256-signed JWTs; only the login is fake: a page with one button per demo user.
//!
//! Guard rails: it refuses to start unless in dev mode and on a loopback address, and only
//! redirects browsers to `http://` addresses on loopback hosts.
//!
//! ```text
//! cargo run -p tessera-dev-idp -- --dev          # http://127.0.0.1:8090
//! ```
//!
//! In a test:
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! let data = tempfile::tempdir()?;
//! let idp = tessera_dev_idp::DevIdp::start(tessera_dev_idp::DevIdpConfig::loopback(data.path().into())).await?;
//! let token = idp.token_for("alice", "Alice Customer", &["customer".to_string()]);
//! # idp.stop().await;
//! # Ok(()) }
//! ```
//!
//! Endpoints, one module each: `discovery` (`/.well-known/openid-configuration`, `/jwks`),
//! `authorize` (`/authorize`: login page and code), `token_endpoint` (`/token`), `userinfo`
//! (`/userinfo`), `logout` (`/logout`), and `/health`. Underneath: `config`, `users` (the
//! demo users), `keys` (the persisted signing key), `tokens` (claims and minting), `codes`
//! (authorization codes), `redirects` (where browsers may be sent), `html` (the page frame).

mod authorize;
mod codes;
mod config;
mod discovery;
mod html;
mod keys;
mod logout;
mod provider;
mod redirects;
mod token_endpoint;
mod tokens;
mod userinfo;
mod users;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{DEFAULT_ACCESS_TOKEN_TTL, DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DevIdpConfig};
pub use tokens::AccessClaims;
pub use users::{DEMO_USERS, DemoUser};

use codes::CodeStore;
use keys::SigningKey;
use provider::{AppState, Provider};

/// How long `stop` lets open connections finish before it cuts them.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running provider. Dropping it aborts the server; [`DevIdp::stop`] shuts it down gracefully.
#[derive(Debug)]
pub struct DevIdp {
    provider: Arc<Provider>,
    port: u16,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl DevIdp {
    /// Loads (or creates) the signing key, binds `config.addr` and serves on the current tokio
    /// runtime. Refuses to start outside dev mode or on a non-loopback address.
    pub async fn start(config: DevIdpConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let data_dir = config.data_dir.clone();
        let key = tokio::task::spawn_blocking(move || SigningKey::load_or_generate(&data_dir))
            .await
            .context("the key generation task failed")??;
        let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let provider = Arc::new(Provider { issuer: format!("http://{addr}"), config, key, codes: CodeStore::default() });

        let app = router(provider.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                tracing::error!(error = %err, "the dev identity provider stopped serving");
            }
        });
        tracing::info!(issuer = %provider.issuer, kid = provider.key.kid(), "dev identity provider started");
        Ok(Self { provider, port: addr.port(), shutdown: Some(shutdown), server: Some(server) })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash: the `iss` of every token.
    pub fn issuer(&self) -> &str {
        &self.provider.issuer
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn config(&self) -> &DevIdpConfig {
        &self.provider.config
    }

    /// The `kid` of the signing key, as in `/jwks` and every token header.
    pub fn key_id(&self) -> &str {
        self.provider.key.kid()
    }

    /// Access token claims for a user, valid now for the configured lifetime, with the email
    /// `<id>@eats.example`, scope `openid profile email` and this provider's client id.
    pub fn claims_for(&self, user_id: &str, name: &str, roles: &[String]) -> AccessClaims {
        let config = &self.provider.config;
        self.provider.access_claims(user_id, name, roles, "openid profile email", &config.client_id)
    }

    /// Signs any access token claims, valid or not, with this provider's key (RS256, `kid`).
    pub fn mint(&self, claims: &AccessClaims) -> String {
        self.provider.mint_access(claims)
    }

    /// A valid access token for a user: `mint(&claims_for(..))`.
    pub fn token_for(&self, user_id: &str, name: &str, roles: &[String]) -> String {
        self.mint(&self.claims_for(user_id, name, roles))
    }

    /// The SPKI PEM of the signing key's public half.
    pub fn public_key_pem(&self) -> String {
        self.provider.key.public_key_pem().to_string()
    }

    /// Stops accepting connections and waits (a few seconds at most) for open ones to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(STOP_GRACE, &mut server).await.is_err()
        {
            server.abort();
        }
    }
}

impl Drop for DevIdp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

fn router(provider: AppState) -> Router {
    Router::new()
        .merge(discovery::router())
        .merge(authorize::router())
        .merge(token_endpoint::router())
        .merge(userinfo::router())
        .merge(logout::router())
        .route("/health", get(|| async { "ok" }))
        .with_state(provider)
}
