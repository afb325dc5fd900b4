//! End-to-end test harness: the real host (in-process, port 0, fresh data directory) with the
//! apps `cargo xtask build` produced, and real headless Chromium driven through chromedriver.
//!
//! Run with `cargo xtask test` (which builds the wasm and sets `TESSERA_DIST`). The tests
//! drive the page through what people see (roles and text), not CSS internals, and write
//! screenshots to `e2e/artifacts/` (ignored by git).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tessera_bff_kit::testing::TestBff;
use tessera_dev_idp::{DevIdp, DevIdpConfig};
use tessera_host::client::DeployClient;
use tessera_host::{Application, Config, Secret};

/// How long a user-visible condition may take to appear.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The build output, or `None` (with a loud message) when the tests run outside `cargo xtask test`.
pub fn dist() -> Option<PathBuf> {
    match std::env::var_os("TESSERA_DIST") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("\n!!! SKIPPED: end-to-end tests need the wasm build; run them with `cargo xtask test` !!!\n");
            None
        }
    }
}

/// The build output for a test, or a skip (with the loud message of [`dist`]) from the test
/// function, which returns `anyhow::Result<()>`.
#[macro_export]
macro_rules! dist_or_skip {
    () => {
        match $crate::dist() {
            Some(dist) => dist,
            None => return Ok(()),
        }
    };
}

/// The URL path of the shell's wasm in a build (next to the entry `dist/shell/shell.json` names).
pub fn shell_wasm_url(dist: &Path) -> anyhow::Result<String> {
    let shell: serde_json::Value = serde_json::from_slice(&std::fs::read(dist.join("shell").join("shell.json"))?)?;
    let entry = shell["entry"].as_str().context("shell.json names the entry")?;
    Ok(entry.replace(".js", "_bg.wasm"))
}

pub fn workspace_root() -> PathBuf {
    // `cargo test` says where this crate is at run time: a binary built in another clone
    // sharing the target directory has that clone's path compiled in.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().expect("e2e lives in the workspace").to_path_buf()
}

/// The reference system's apps, in deploy order.
pub const APPS: [&str; 6] = ["nav", "menus", "cart", "orders", "restaurant", "driver"];

/// A running host with a fresh data directory, and the BFFs when started with them.
#[derive(Debug)]
pub struct System {
    pub url: String,
    pub deploy: DeployClient,
    pub dist: PathBuf,
    pub data: tempfile::TempDir,
    /// The BFFs by app name (in-process, port 0, SQLite files and the embedded hub in `data`).
    pub bffs: BTreeMap<&'static str, TestBff>,
    /// The dev OpenID provider the host signs people in with and the BFFs trust.
    pub idp: Arc<DevIdp>,
    config: Config,
    /// The host runs on a runtime of its own, so that it can be killed with everything it
    /// spawned (connections, sockets, the live gateway) like a process.
    server: Option<tokio::runtime::Runtime>,
}

impl System {
    /// Starts the host and every BFF, and deploys every app in `dist/apps` (not the test
    /// fixtures) pointing at its BFF.
    pub async fn start(dist: &Path) -> anyhow::Result<Self> {
        let mut system = Self::start_empty(dist).await?;
        let bff_dir = system.data.path().join("bffs");
        let specs = [
            ("menus", menus_bff::spec()),
            ("cart", cart_bff::spec()),
            ("orders", orders_bff::spec()),
            ("restaurant", restaurant_bff::spec()),
            ("driver", driver_bff::spec()),
        ];
        for (app, spec) in specs {
            let bff = TestBff::spawn_with(spec, &bff_dir, system.idp.clone()).await.with_context(|| format!("starting the {app} BFF"))?;
            system.bffs.insert(app, bff);
        }
        for name in APPS {
            system.deploy_app(name).await?;
        }
        // Browsers then get the build as the host serves it for good (brotli 11, `dcb`), and
        // the encoding is not competing with Chromium for the CPU during the test.
        system.wait_encoded().await?;
        Ok(system)
    }

    /// Starts a host with nothing deployed.
    pub async fn start_empty(dist: &Path) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let idp = Arc::new(DevIdp::start(DevIdpConfig::loopback(data.path().to_path_buf())).await?);
        let mut config = Config::for_dirs(data.path().to_path_buf(), dist.to_path_buf(), dist.join("public"));
        config.deploy_token = Some(Secret::new("e2e-token"));
        config.oidc_issuer = Some(idp.issuer().to_string());
        config.oidc_client_id = idp.config().client_id.clone();
        config.oidc_client_secret = Some(Secret::new(idp.config().client_secret.clone()));
        // The live gateway tails the hub the BFFs share.
        config.event_hub_url = Some(data.path().join("bffs").join("events.db").display().to_string());
        let (server, addr) = run_host(config.clone()).await?;
        let url = format!("http://{addr}");
        config.addr = addr;
        Ok(Self {
            config, deploy: DeployClient::new(&url, "e2e-token"), url, dist: dist.to_path_buf(), data, bffs: BTreeMap::new(), idp, server: Some(server) })
    }

    /// The build directory of an app or fixture by name (`dist/index.json`).
    pub fn app_dir(&self, name: &str) -> anyhow::Result<PathBuf> {
        let index: Value = serde_json::from_slice(&std::fs::read(self.dist.join("index.json"))?)?;
        let rel = index[name].as_str().with_context(|| format!("`{name}` is not in the build; run `cargo xtask build`"))?;
        Ok(self.dist.join(rel))
    }

    /// Deploys a built app; an app whose BFF this system runs is pointed at it (a deployer
    /// chooses `bff.upstream`; the build's default is the dev port).
    pub async fn deploy_app(&self, name: &str) -> anyhow::Result<()> {
        let dir = self.app_dir(name)?;
        let Some(bff) = self.bffs.get(name) else {
            return self.deploy.deploy_dir(&dir).await.map(drop);
        };
        let copy = tempfile::tempdir()?;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            std::fs::copy(entry.path(), copy.path().join(entry.file_name()))?;
        }
        let manifest_path = copy.path().join("mfe.json");
        let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path)?)?;
        manifest["bff"] = json!({ "upstream": bff.url });
        std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)?;
        self.deploy.deploy_dir(copy.path()).await.map(drop)
    }

    /// The URL of an app's entry module in the current import map.
    pub async fn entry_url(&self, name: &str) -> anyhow::Result<Option<String>> {
        let map: Value = reqwest::get(format!("{}/importmap.json", self.url)).await?.json().await?;
        Ok(map["imports"][name].as_str().map(str::to_string))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Waits until the host has encoded every file of the current build (brotli 11, and `dcb`
    /// against the shell), which it does in the background after starting and after a deploy;
    /// until then a browser may get a file as the compression layer makes it.
    pub async fn wait_encoded(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let health: serde_json::Value = reqwest::get(self.url("/health")).await?.error_for_status()?.json().await?;
            if health["encodings_pending"] == 0 {
                return Ok(());
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "the host is still encoding after 2 minutes: {health}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the host abruptly: its runtime is shut down with everything it spawned
    /// (connections and sockets drop without a close frame, as with SIGKILL).
    pub fn kill_host(&mut self) {
        if let Some(runtime) = self.server.take() {
            runtime.shutdown_background();
        }
    }

    /// Starts the host again on the same port and data directory.
    pub async fn restart_host(&mut self) -> anyhow::Result<()> {
        self.kill_host();
        // The dead host's port is released as its runtime winds down in the background.
        let started = Instant::now();
        loop {
            match run_host(self.config.clone()).await {
                Ok((server, _)) => {
                    self.server = Some(server);
                    return Ok(());
                }
                Err(error) if started.elapsed() < Duration::from_secs(10) => {
                    log(&format!("host restart retried: {error:#}"));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => return Err(error.context("restarting the host")),
            }
        }
    }
}

impl Drop for System {
    fn drop(&mut self) {
        if let Some(runtime) = self.server.take() {
            runtime.shutdown_background();
        }
    }
}

fn log(message: &str) {
    eprintln!("e2e: {message}");
}

/// Builds and runs a host on a runtime of its own.
async fn run_host(config: Config) -> anyhow::Result<(tokio::runtime::Runtime, std::net::SocketAddr)> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let app = runtime.spawn(Application::build(config)).await??;
    let addr = app.local_addr();
    runtime.spawn(app.run_until_stopped(std::future::pending()));
    Ok((runtime, addr))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts chromedriver on a free port and waits until it is ready. The port is free when
/// chosen but another test may take it first: then chromedriver exits, and it starts again
/// on another port (a ready answer from anything else does not count).
async fn start_chromedriver() -> anyhow::Result<(Child, String)> {
    for _ in 0..5 {
        let port = free_port()?;
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (apt-get install chromium chromium-driver)")?;
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while driver.try_wait()?.is_none() {
            let status = async { reqwest::get(format!("{url}/status")).await?.json::<serde_json::Value>().await };
            if status.await.is_ok_and(|s| s["value"]["ready"] == true) {
                return Ok((driver, url));
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = driver.kill();
                bail!("chromedriver did not start");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    bail!("chromedriver exited five times: no free port for it")
}

/// Headless Chromium through its own chromedriver; both end when this is dropped.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// chromedriver's address, for its Chromium-only endpoints.
    driver_url: String,
    /// DevTools sessions holding the service workers offline (emulation lasts as long as the
    /// session that set it).
    cut_workers: tokio::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    profile: tempfile::TempDir,
    size: (u32, u32),
}

impl Browser {
    pub async fn open(width: u32, height: u32) -> anyhow::Result<Self> {
        Self::open_with(width, height, tempfile::tempdir()?).await
    }

    /// Quits Chromium (as a person closes it: storage is flushed) and starts it again on the
    /// same profile: cookies, the service worker, its caches and IndexedDB survive.
    pub async fn restart(mut self) -> anyhow::Result<Self> {
        self.client.clone().close().await.context("quitting Chromium")?;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let (width, height) = self.size;
        // `Drop` only kills the already stopped driver; the profile moves on.
        let profile = std::mem::replace(&mut self.profile, tempfile::tempdir()?);
        Self::open_with(width, height, profile).await
    }

    async fn open_with(width: u32, height: u32, profile: tempfile::TempDir) -> anyhow::Result<Self> {
        // Several TLS backends are linked; chromedriver needs none, but rustls wants one chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (driver, url) = start_chromedriver().await?;
        let mut caps = serde_json::Map::new();
        let mut options = json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    "--disable-sync", "--disable-quic", format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
        });
        // Desktop Chromium will not make a window narrower than about 500 px; phones are
        // emulated with device metrics instead.
        if width < 500 {
            options["mobileEmulation"] = json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true } });
        }
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::rustls()?.capabilities(caps).connect(&url).await.context("opening a Chromium session")?;
        Ok(Self { client, driver, driver_url: url, cut_workers: Default::default(), profile, size: (width, height) })
    }

    /// Cuts the browser off the network, or gives it back, with Chromium's network emulation:
    /// the page through chromedriver, and each running service worker, a DevTools target of
    /// its own, through a DevTools session of ours. Failed loads are not errors: assert on
    /// what the page shows.
    pub async fn set_offline(&self, offline: bool) -> anyhow::Result<()> {
        let session = self.client.session_id().await?.context("no WebDriver session")?;
        let conditions = json!({ "network_conditions": {
            "offline": offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1 } });
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/chromium/network_conditions", self.driver_url))
            .json(&conditions)
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "network conditions: {}", response.text().await?);

        let mut cut = self.cut_workers.lock().await;
        // Closing our sessions ends their emulation.
        for session in cut.drain(..) {
            session.abort();
        }
        if offline {
            let devtools = self
                .client
                .capabilities()
                .and_then(|caps| caps.get("goog:chromeOptions")?.get("debuggerAddress")?.as_str().map(str::to_string))
                .context("chromedriver did not say where Chromium's DevTools listen")?;
            let targets: Vec<Value> = reqwest::get(format!("http://{devtools}/json/list")).await?.json().await?;
            for target in targets.iter().filter(|t| t["type"] == "service_worker") {
                let url = target["webSocketDebuggerUrl"].as_str().context("a service worker target without a DevTools URL")?;
                cut.push(devtools_offline(url).await.with_context(|| format!("cutting off {}", target["url"]))?);
            }
        }
        Ok(())
    }

    /// Waits until the service worker controls the page and has precached the current build.
    pub async fn wait_offline_ready(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let ready = self
                .eval("return !!navigator.serviceWorker.controller && !!window.tessera?.offline?.().version")
                .await?;
            if ready == Value::Bool(true) {
                log(&format!("the service worker took over and precached after {:?} of waiting", started.elapsed()));
                return Ok(());
            }
            if started.elapsed() > PATIENCE {
                let script = "const done = arguments[0]; \
                    navigator.serviceWorker.getRegistration().then((r) => done({ \
                      controller: !!navigator.serviceWorker.controller, \
                      installing: r?.installing?.state ?? null, waiting: r?.waiting?.state ?? null, \
                      active: r?.active?.state ?? null, state: window.tessera?.offline?.() }), \
                    (e) => done(String(e)));";
                let seen = self.client.execute_async(script, vec![]).await?;
                bail!("the service worker did not take over and precache within {PATIENCE:?}; the page saw {seen}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Removes a URL from every cache of the service worker, and empties the HTTP cache (which
    /// keeps content-hashed files for a year), as if the URL had never been loaded.
    pub async fn forget_cached(&self, path: &str) -> anyhow::Result<()> {
        let session = self.client.session_id().await?.context("no WebDriver session")?;
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.driver_url))
            .json(&json!({ "cmd": "Network.clearBrowserCache", "params": {} }))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "clearing the HTTP cache: {}", response.text().await?);
        let script = "const [path, done] = arguments; \
            caches.keys().then((names) => Promise.all(names.map((n) => caches.open(n).then((c) => c.delete(path))))) \
              .then(() => done(null), (e) => done(String(e)));";
        let outcome = self.client.execute_async(script, vec![Value::String(path.to_string())]).await?;
        anyhow::ensure!(outcome.is_null(), "forgetting {path}: {outcome}");
        Ok(())
    }

    /// The service worker's state as `window.tessera.offline()` reports it.
    pub async fn offline_state(&self) -> anyhow::Result<Value> {
        self.eval("return window.tessera.offline()").await
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        Ok(self.client.goto(url).await?)
    }

    /// Waits until an element matching the XPath exists.
    /// When it never does, the page is kept as a screenshot for the failure report.
    pub async fn wait_for(&self, xpath: &str) -> anyhow::Result<fantoccini::elements::Element> {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(xpath)).await {
            Ok(element) => Ok(element),
            Err(error) => {
                let name = format!("failed-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
                let shot = self.screenshot(&name).await.map(|p| p.display().to_string()).unwrap_or_else(|e| format!("no screenshot: {e}"));
                let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                Err(anyhow::Error::from(error).context(format!("waiting for {xpath} on {url} (see {shot})")))
            }
        }
    }

    /// Waits until no element matches the XPath.
    pub async fn wait_gone(&self, xpath: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        while !self.client.find_all(Locator::XPath(xpath)).await?.is_empty() {
            if started.elapsed() > PATIENCE {
                bail!("still present after {PATIENCE:?}: {xpath}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    pub async fn exists(&self, xpath: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::XPath(xpath)).await?.is_empty())
    }

    pub async fn click(&self, xpath: &str) -> anyhow::Result<()> {
        self.wait_for(xpath).await?.click().await.with_context(|| format!("clicking {xpath}"))
    }

    pub async fn eval(&self, script: &str) -> anyhow::Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Signs in through the identity provider's login page (the host sends the browser there)
    /// as the demo user called `name` and comes back to `return_to` (which then has to show
    /// `expect`, an XPath).
    pub async fn sign_in(&self, system: &System, name: &str, return_to: &str, expect: &str) -> anyhow::Result<()> {
        self.goto(&system.url(&format!("/auth/login?returnTo={return_to}"))).await?;
        self.click(&format!("//button[@aria-label='Sign in as {name}']")).await?;
        self.wait_for(expect).await?;
        Ok(())
    }

    /// Writes a screenshot to `e2e/artifacts/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = workspace_root().join("e2e").join("artifacts").join("screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Opens a DevTools session on a target and emulates "offline" there; the returned task
/// keeps the session (and so the emulation) until it is aborted.
async fn devtools_offline(url: &str) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let conditions = json!({ "offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 });
    for (id, method, params) in [(1, "Network.enable", json!({})), (2, "Network.emulateNetworkConditions", conditions)] {
        socket.send(Message::text(json!({ "id": id, "method": method, "params": params }).to_string())).await?;
    }
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let reply: Value = serde_json::from_str(&text)?;
                if reply.get("error").is_some() {
                    bail!("DevTools refused: {reply}");
                }
                if reply["id"] == 2 {
                    break;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => bail!("DevTools closed the session"),
        }
    }
    // Events keep coming while the session lives: read and drop them.
    Ok(tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} }))
}

/// XPath for the add-to-cart parcel of a dish on a restaurant page.
pub fn add_to_cart(dish: &str) -> String {
    format!("//*[@role='group' and @aria-label='Add {dish} to cart']")
}

/// XPath for a heading with exactly this text.
pub fn heading(text: &str) -> String {
    format!("//h1[normalize-space()='{text}']")
}

/// XPath for a navigation link with this label.
pub fn nav_link(label: &str) -> String {
    format!("//nav[@aria-label='Main']//a[normalize-space()='{label}' or .//span[normalize-space()='{label}']]")
}

/// XPath for a button with this text.
pub fn button(text: &str) -> String {
    format!("//button[normalize-space()='{text}']")
}

/// XPath for the error slot naming an app.
pub fn error_slot(app: &str) -> String {
    format!("//*[@role='alert' and .//h2[contains(., '“{app}”')]]")
}
