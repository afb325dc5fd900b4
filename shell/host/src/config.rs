//! Host configuration: flags or environment variables (see `.env.sample`).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

#[derive(Debug, Clone, Parser)]
#[command(name = "tessera-host", about = "Serves the Tessera shell, micro-apps, deploy API and BFF proxy")]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TESSERA_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Where deployed apps and host state live.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The build output of `cargo xtask build` (the shell is served from `<dist>/shell`).
    #[arg(long, env = "TESSERA_DIST", default_value = "target/tessera/dist")]
    pub dist_dir: PathBuf,
    /// `index.html` template, stylesheet and icons.
    #[arg(long, env = "TESSERA_PUBLIC_DIR", default_value = "public")]
    pub public_dir: PathBuf,
    /// Token the deploy API requires (`Authorization: Bearer …`). When unset, a random dev
    /// token is generated, stored in `<data>/host/deploy-token` and printed.
    #[arg(long, env = "TESSERA_DEPLOY_TOKEN")]
    pub deploy_token: Option<Secret>,
    /// Largest accepted file in an app upload, in bytes.
    #[arg(long, env = "TESSERA_MAX_FILE_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_file_bytes: u64,
    /// Largest accepted app upload (all files), in bytes.
    #[arg(long, env = "TESSERA_MAX_APP_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_app_bytes: u64,
    /// The origin browsers reach the host at, e.g. `https://eats.example`: the OIDC redirect
    /// URI is `<public url>/auth/callback`, and cookies are `Secure` when it is HTTPS.
    /// Default: `http://<addr>`.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The OpenID provider's issuer URL. Unset: sign-in is off and everybody is a guest.
    #[arg(long, env = "OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "OIDC_CLIENT_ID", default_value = "tessera")]
    pub oidc_client_id: String,
    /// The client secret (confidential client); unset for a public client.
    #[arg(long, env = "OIDC_CLIENT_SECRET")]
    pub oidc_client_secret: Option<Secret>,
    /// Space-separated scopes; `offline_access` asks for a refresh token.
    #[arg(long, env = "OIDC_SCOPES", default_value = "openid profile email offline_access")]
    pub oidc_scopes: String,
    /// Where the roles are in the ID token (or a JWT access token): `roles`, `groups`,
    /// `realm_access.roles` (Keycloak), `https://eats.example/roles` (Auth0 namespaced claim).
    #[arg(long, env = "OIDC_ROLES_CLAIM", default_value = "roles")]
    pub oidc_roles_claim: String,
    /// The event hub the live-update gateway tails: a path of the embedded log (default
    /// `<data>/events.db`, the BFFs' default too) or `nats://…`.
    #[arg(long, env = "EVENT_HUB_URL")]
    pub event_hub_url: Option<String>,
    /// How many recent events the live gateway keeps for pages resuming after a disconnect.
    #[arg(long, env = "TESSERA_LIVE_WINDOW", default_value_t = 10_000)]
    pub live_window: usize,
    /// How long a session lasts after sign-in, in seconds (tokens are refreshed within it).
    #[arg(long, env = "TESSERA_SESSION_TTL_SECS", default_value_t = 12 * 3600)]
    pub session_ttl_secs: i64,
}

impl Config {
    /// Defaults for tests and embedding: loopback, a free port.
    pub fn for_dirs(data_dir: PathBuf, dist_dir: PathBuf, public_dir: PathBuf) -> Self {
        Self {
            addr: "127.0.0.1:0".parse().expect("a valid address"),
            data_dir,
            dist_dir,
            public_dir,
            deploy_token: None,
            max_file_bytes: 8 * 1024 * 1024,
            max_app_bytes: 32 * 1024 * 1024,
            public_url: None,
            oidc_issuer: None,
            oidc_client_id: "tessera".into(),
            oidc_client_secret: None,
            oidc_scopes: "openid profile email offline_access".into(),
            oidc_roles_claim: "roles".into(),
            session_ttl_secs: 12 * 3600,
            event_hub_url: None,
            live_window: 10_000,
        }
    }
}
