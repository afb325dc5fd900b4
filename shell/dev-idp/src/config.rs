//! What a dev identity provider is started with, and the guards that keep it a dev tool.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Configuration of a [`DevIdp`](crate::DevIdp).
///
/// The client credentials are not secret in any real sense: they are the well-known defaults
/// of a development tool, and the host is configured with the same values.
#[derive(Debug, Clone)]
pub struct DevIdpConfig {
    /// Where to listen; must be a loopback address (127.0.0.0/8 or ::1).
    pub addr: SocketAddr,
    /// The signing key lives at `<data_dir>/dev-idp/signing-key.pem`, generated once.
    pub data_dir: PathBuf,
    /// The one registered client (the host).
    pub client_id: String,
    pub client_secret: String,
    /// `aud` of the access tokens: what the BFFs check.
    pub audience: String,
    /// Lifetime of access and ID tokens.
    pub access_token_ttl: Duration,
    /// Must be `true`: a deliberate "yes, this is development" from whoever starts it.
    pub dev_mode: bool,
}

pub const DEFAULT_CLIENT_ID: &str = "tessera";
pub const DEFAULT_CLIENT_SECRET: &str = "tessera-dev-secret";
pub const DEFAULT_AUDIENCE: &str = "tessera-api";
pub const DEFAULT_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(300);

impl DevIdpConfig {
    /// The defaults on `127.0.0.1:0` (a free port), in dev mode: what tests start.
    pub fn loopback(data_dir: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir,
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            audience: DEFAULT_AUDIENCE.to_string(),
            access_token_ttl: DEFAULT_ACCESS_TOKEN_TTL,
            dev_mode: true,
        }
    }

    /// Refuses configurations that could expose demo users, who need no password, to anyone
    /// but the developer at this machine.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.dev_mode, "the dev identity provider only runs in dev mode");
        anyhow::ensure!(
            self.addr.ip().is_loopback(),
            "the dev identity provider only listens on a loopback address (127.0.0.0/8 or ::1), not {}",
            self.addr.ip()
        );
        anyhow::ensure!(!self.client_id.is_empty(), "the client id must not be empty");
        anyhow::ensure!(!self.client_secret.is_empty(), "the client secret must not be empty");
        anyhow::ensure!(!self.audience.is_empty(), "the audience must not be empty");
        anyhow::ensure!(!self.access_token_ttl.is_zero(), "the access token lifetime must not be zero");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_in_dev_mode_pass() {
        let mut config = DevIdpConfig::loopback(PathBuf::from("data"));
        assert!(config.validate().is_ok());
        for addr in ["127.0.0.1:8090", "127.1.2.3:0", "[::1]:0"] {
            config.addr = addr.parse().unwrap();
            assert!(config.validate().is_ok(), "{addr}");
        }
        for addr in ["0.0.0.0:0", "[::]:0", "192.168.1.10:8090", "[::ffff:127.0.0.1]:0"] {
            config.addr = addr.parse().unwrap();
            assert!(config.validate().is_err(), "{addr}");
        }
        config.addr = "127.0.0.1:0".parse().unwrap();
        config.dev_mode = false;
        assert!(config.validate().unwrap_err().to_string().contains("only runs in dev mode"));
    }
}
