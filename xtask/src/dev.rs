//! `cargo xtask dev`: the whole system on the embedded defaults, one command.
//!
//! Builds what is stale (cargo and the wasm pipeline are incremental), starts the dev-only
//! OpenID provider on loopback (demo users for every role), every BFF (each on the port its
//! app's `mfe.json` names as `bff.upstream`, with its SQLite view store and the embedded event
//! hub under the data directory, trusting that provider's tokens) and the host (signing people
//! in with that provider) as child processes, deploys
//! every built app through the deploy API (unchanged apps are no-ops), prints the URL and
//! waits; Ctrl-C stops the children.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use tessera_host::client::DeployClient;

use crate::{build, paths};

#[derive(Debug, Clone, Args)]
pub(crate) struct DevArgs {
    /// Where the host listens.
    #[arg(long, env = "TESSERA_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// All data (deployed apps, later databases and the event log) lives here.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    data_dir: String,
    /// Where the dev identity provider listens (loopback only).
    #[arg(long, env = "DEV_IDP_ADDR", default_value = "127.0.0.1:8090")]
    idp_addr: String,
}

/// The dev provider's client registration (its defaults; see `tessera-dev-idp --help`).
const DEV_CLIENT_ID: &str = "tessera";
const DEV_CLIENT_SECRET: &str = "tessera-dev-secret";

/// Child processes, killed when dropped (also on errors).
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn run(args: DevArgs) -> anyhow::Result<()> {
    let dist = build::build()?.dist;
    let bffs = bff_upstreams()?;
    let mut packages = vec!["tessera-host".to_string(), "tessera-dev-idp".to_string()];
    packages.extend(bffs.iter().map(|(app, _)| format!("{app}-bff")));
    let status = Command::new(paths::cargo())
        .current_dir(paths::root())
        .arg("build")
        .args(packages.iter().flat_map(|p| ["-p", p.as_str()]))
        .status()?;
    if !status.success() {
        bail!("building the host and the BFFs failed");
    }
    let data_dir = paths::root().join(&args.data_dir);
    let token_path = data_dir.join("host").join("deploy-token");
    let mut children = Children(Vec::new());
    let issuer = format!("http://{}", args.idp_addr);
    children.0.push(
        Command::new(paths::target_dir().join("debug").join("tessera-dev-idp"))
            .current_dir(paths::root())
            .arg("--dev")
            .env("DEV_IDP_ADDR", &args.idp_addr)
            .env("TESSERA_DATA_DIR", &data_dir)
            .spawn()
            .context("starting the dev identity provider")?,
    );
    for (app, addr) in &bffs {
        children.0.push(
            Command::new(paths::target_dir().join("debug").join(format!("{app}-bff")))
                .current_dir(paths::root())
                .env("BFF_ADDR", addr)
                .env("TESSERA_DATA_DIR", &data_dir)
                .env("OIDC_ISSUER", &issuer)
                .spawn()
                .with_context(|| format!("starting the {app} BFF"))?,
        );
    }
    children.0.push(
        Command::new(paths::target_dir().join("debug").join("tessera-host"))
            .current_dir(paths::root())
            .env("TESSERA_ADDR", &args.addr)
            .env("TESSERA_DATA_DIR", &data_dir)
            .env("TESSERA_DIST", &dist)
            .env("TESSERA_PUBLIC_DIR", dist.join("public"))
            .env("OIDC_ISSUER", &issuer)
            .env("OIDC_CLIENT_ID", DEV_CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", DEV_CLIENT_SECRET)
            .spawn()
            .context("starting tessera-host")?,
    );
    let url = format!("http://{}", args.addr);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        wait_healthy(&issuer).await.context("the dev identity provider")?;
        for (app, addr) in &bffs {
            wait_healthy(&format!("http://{addr}")).await.with_context(|| format!("the {app} BFF"))?;
        }
        wait_healthy(&url).await?;
        let token = std::env::var("TESSERA_DEPLOY_TOKEN").ok().map(Ok).unwrap_or_else(|| std::fs::read_to_string(&token_path))?;
        let client = DeployClient::new(&url, token.trim());
        let mut apps: Vec<_> = std::fs::read_dir(dist.join("apps"))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        apps.sort();
        for dir in apps {
            // Hand-written example apps (no crate) are for showing an independent deploy into
            // the running system, so they are left for `cargo xtask deploy`.
            let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("mfe.json"))?)?;
            let name = manifest["name"].as_str().unwrap_or_default();
            if !paths::root().join("micro-apps").join(name).join("Cargo.toml").exists() {
                println!("not deployed: {name} (try `cargo xtask deploy micro-apps/{name}` while this runs)");
                continue;
            }
            let outcome = client.deploy_dir(&dir).await.with_context(|| format!("deploying {}", dir.display()))?;
            println!("{}: {} {}", if outcome.changed { "deployed" } else { "up to date" }, outcome.name, outcome.version);
        }
        println!("\nTessera is running at {url}  (Ctrl-C stops it)\n");
        let _ = tokio::signal::ctrl_c().await;
        anyhow::Ok(())
    })?;
    println!("stopping…");
    drop(children);
    Ok(())
}

async fn wait_healthy(url: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let http = reqwest::Client::new();
    while started.elapsed() < Duration::from_secs(30) {
        if http.get(format!("{url}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the host did not become healthy at {url} within 30 s")
}

/// The apps with a BFF crate (`bffs/<app>`) and the address their `mfe.json` fragment names
/// as `bff.upstream`: the one place a dev port is written down.
fn bff_upstreams() -> anyhow::Result<Vec<(String, String)>> {
    let root = paths::root();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root.join("micro-apps"))? {
        let dir = entry?.path();
        let Some(app) = dir.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        let Ok(text) = std::fs::read_to_string(dir.join("mfe.json")) else { continue };
        let manifest: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("reading {}/mfe.json", dir.display()))?;
        let Some(upstream) = manifest["bff"]["upstream"].as_str() else { continue };
        if !root.join("bffs").join(&app).join("Cargo.toml").exists() {
            continue;
        }
        let addr = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
        found.push((app, addr));
    }
    found.sort();
    Ok(found)
}
