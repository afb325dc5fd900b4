//! BFF configuration from flags or environment (one documented struct; see `.env.sample`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use tessera_auth::ClaimPath;

/// The `aud` BFFs expect unless told otherwise (the dev identity provider's too).
pub const DEFAULT_AUDIENCE: &str = "tessera-api";

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
    /// The OpenID Connect issuer whose access tokens this BFF accepts (required).
    #[arg(long, env = "OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// What the tokens' `aud` must contain (the API, not the host's client id: an ID token
    /// must not pass as an access token).
    #[arg(long, env = "OIDC_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    pub oidc_audience: String,
    /// Where the roles are in the token: `roles`, `groups`, `realm_access.roles`, `https://…/roles`.
    #[arg(long, env = "OIDC_ROLES_CLAIM", default_value = "roles")]
    pub oidc_roles_claim: ClaimPath,
    /// The provider's JWKS, when not the `jwks_uri` of its discovery document.
    #[arg(long, env = "OIDC_JWKS_URL")]
    pub oidc_jwks_url: Option<String>,
}

impl BffConfig {
    /// The defaults on a free port, with data under `data_dir`, trusting `oidc_issuer`'s tokens.
    pub fn for_data_dir(data_dir: PathBuf, oidc_issuer: &str) -> Self {
        Self {
            addr: "127.0.0.1:0".parse().expect("a valid address"),
            data_dir,
            database_url: None,
            event_hub_url: None,
            oidc_issuer: Some(oidc_issuer.to_string()),
            oidc_audience: DEFAULT_AUDIENCE.into(),
            oidc_roles_claim: ClaimPath::default(),
            oidc_jwks_url: None,
        }
    }

    pub fn database_url(&self, bff: &str) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join(format!("{bff}.db")).display()))
    }

    pub fn event_hub_url(&self) -> String {
        self.event_hub_url.clone().unwrap_or_else(|| self.data_dir.join("events.db").display().to_string())
    }

    /// How this BFF verifies bearer tokens. Without an issuer it must not start: it would
    /// have no way to tell who is calling.
    pub fn auth(&self) -> anyhow::Result<tessera_auth::AuthConfig> {
        let issuer = self.oidc_issuer.as_deref().map(str::trim).filter(|i| !i.is_empty());
        let issuer = issuer.ok_or_else(|| anyhow::anyhow!("OIDC_ISSUER (--oidc-issuer) is not set: a BFF needs the OpenID Connect issuer whose tokens it accepts"))?;
        let mut config = tessera_auth::AuthConfig::new(issuer, &self.oidc_audience);
        config.roles_claim = self.oidc_roles_claim.clone();
        config.jwks_url = self.oidc_jwks_url.clone();
        Ok(config)
    }
}
