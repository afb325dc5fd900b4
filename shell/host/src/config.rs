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
        }
    }
}
