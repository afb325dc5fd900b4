//! `cargo xtask deploy|rollback|list`: the deploy API from the command line.

use std::path::Path;

use clap::Args;
use tessera_host::client::DeployClient;

#[derive(Debug, Clone, Args)]
pub(crate) struct HostArgs {
    /// The running host.
    #[arg(long, env = "TESSERA_HOST_URL", default_value = "http://127.0.0.1:8080")]
    pub(crate) host: String,
    /// The deploy token (default: the dev token in `<data>/host/deploy-token`).
    #[arg(long, env = "TESSERA_DEPLOY_TOKEN")]
    pub(crate) token: Option<String>,
    /// The host's data directory, to find the dev token.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    pub(crate) data_dir: String,
}

impl HostArgs {
    fn client(&self) -> anyhow::Result<DeployClient> {
        let token = match &self.token {
            Some(token) => token.clone(),
            None => {
                let path = crate::paths::root().join(&self.data_dir).join("host").join("deploy-token");
                std::fs::read_to_string(&path)
                    .map_err(|_| anyhow::anyhow!("no --token given and no dev token in {}", path.display()))?
                    .trim()
                    .to_string()
            }
        };
        Ok(DeployClient::new(&self.host, token))
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

pub(crate) fn deploy(host: &HostArgs, dir: &Path) -> anyhow::Result<()> {
    let outcome = runtime()?.block_on(host.client()?.deploy_dir(dir))?;
    let what = if outcome.changed { "deployed" } else { "unchanged" };
    println!("{what}: {} {} ({}) → composition {}", outcome.name, outcome.version, outcome.directory, outcome.composition);
    Ok(())
}

pub(crate) fn rollback(host: &HostArgs, app: &str) -> anyhow::Result<()> {
    let outcome = runtime()?.block_on(host.client()?.rollback(app))?;
    if outcome.directory.is_empty() {
        println!("removed: {app} had no earlier version → composition {}", outcome.composition);
    } else {
        println!("rolled back: {app} is now {} → composition {}", outcome.directory, outcome.composition);
    }
    Ok(())
}

pub(crate) fn list(host: &HostArgs) -> anyhow::Result<()> {
    let apps = runtime()?.block_on(host.client()?.list())?;
    println!("| app | current | versions |");
    println!("|---|---|---:|");
    for app in apps {
        println!("| {} | {} | {} |", app.name, app.current, app.history.len());
    }
    Ok(())
}
