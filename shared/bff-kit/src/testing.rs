//! Test support: [`TestBff`] (a BFF on port 0 with its own data directory, trusting a dev
//! identity provider that signs access tokens for [`TestUser`]s) and a real PostgreSQL server
//! (Debian's `postgresql` package) in a temporary directory on a free loopback port, with a
//! fresh database per test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use anyhow::{Context, bail};
pub use tessera_dev_idp::{AccessClaims, DevIdp, DevIdpConfig};

/// A PostgreSQL cluster started for tests; stopped (immediately) on drop.
#[derive(Debug)]
pub struct PostgresServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres: bool,
}

fn postgres_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is needed for these tests: apt-get install postgresql (.ci/run installs it)")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().context("no initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PostgresServer {
    pub fn start() -> anyhow::Result<Self> {
        let bin = postgres_bin()?;
        let dir = tempfile::Builder::new().prefix("tessera-pg").tempdir()?;
        // PostgreSQL refuses to run as root; as root, the cluster belongs to `postgres`.
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status()?;
            if !status.success() {
                bail!("chown of the PostgreSQL test directory failed");
            }
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let this = Self { bin, dir, port, as_postgres };
        let data = this.dir.path().join("data");
        this.run("initdb", &["-A", "trust", "-U", "tessera", "--no-sync", "-D", &data.display().to_string()])?;
        let options = format!("-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off", this.dir.path().display());
        this.run("pg_ctl", &["-D", &data.display().to_string(), "-o", &options, "-l", &this.dir.path().join("log").display().to_string(), "-w", "start"])?;
        Ok(this)
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(tool);
        let output = if self.as_postgres {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(&program).args(args).stdin(Stdio::null()).output()
        } else {
            Command::new(&program).args(args).stdin(Stdio::null()).output()
        }
        .with_context(|| format!("running {}", program.display()))?;
        if !output.status.success() {
            bail!("{tool} failed: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        }
        Ok(())
    }

    /// Creates an empty database and returns its URL.
    pub async fn database(&self) -> anyhow::Result<String> {
        use sqlx::Connection;
        let name = format!("test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&format!("postgres://tessera@127.0.0.1:{}/postgres", self.port)).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        Ok(format!("postgres://tessera@127.0.0.1:{}/{name}", self.port))
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
    }
}

/// A user for requests in tests: [`TestBff::request`] sends an access token for them.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
}

impl TestUser {
    pub fn new(id: &str, roles: &[&str]) -> Self {
        Self { id: id.to_string(), name: id.to_string(), roles: roles.iter().map(|r| r.to_string()).collect() }
    }
}

/// Starts a dev identity provider on a free loopback port, keeping its signing key under
/// `dir` (generated on first use, so one key generation per directory).
pub async fn dev_idp(dir: &Path) -> anyhow::Result<Arc<DevIdp>> {
    let idp = DevIdp::start(DevIdpConfig::loopback(dir.to_path_buf())).await.context("starting the dev identity provider")?;
    Ok(Arc::new(idp))
}

/// A BFF started for a test on port 0 with a SQLite view store, on an embedded hub in a
/// temporary directory that other BFFs of the same test may share ([`TestBff::spawn_in`]),
/// trusting the tokens of [`TestBff::idp`].
#[derive(Debug)]
pub struct TestBff {
    pub url: String,
    pub http: reqwest::Client,
    pub state: crate::BffState,
    /// The provider whose tokens this BFF accepts; mint tokens (valid or not) with it.
    pub idp: Arc<DevIdp>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestBff {
    /// Starts `spec` with its data (`<name>.db`) and the hub (`events.db`) under `dir`, and a
    /// private dev identity provider whose key lives in `dir` too.
    pub async fn spawn_in(spec: crate::BffSpec, dir: &Path) -> anyhow::Result<Self> {
        Self::spawn_with(spec, dir, dev_idp(dir).await?).await
    }

    /// Like [`TestBff::spawn_in`], trusting `idp` (one provider shared by several BFFs and a host).
    pub async fn spawn_with(spec: crate::BffSpec, dir: &Path, idp: Arc<DevIdp>) -> anyhow::Result<Self> {
        let mut config = crate::BffConfig::for_data_dir(dir.to_path_buf(), idp.issuer());
        config.oidc_audience = idp.config().audience.clone();
        Self::start(config, spec, idp).await
    }

    /// Starts `spec` with any configuration (another store or hub); `config` should trust `idp`.
    pub async fn start(config: crate::BffConfig, spec: crate::BffSpec, idp: Arc<DevIdp>) -> anyhow::Result<Self> {
        let app = crate::Application::build(config, spec).await?;
        let url = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Ok(Self { url, http: reqwest::Client::new(), state, idp, stop: Some(stop), task: Some(task) })
    }

    /// A valid access token for `user` from this BFF's provider.
    pub fn token(&self, user: &TestUser) -> String {
        self.idp.token_for(&user.id, &user.name, &user.roles)
    }

    /// A request as `user` (`Authorization: Bearer` with a valid token), or anonymous.
    pub fn request(&self, method: reqwest::Method, path: &str, user: Option<&TestUser>) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.url));
        match user {
            Some(user) => request.bearer_auth(self.token(user)),
            None => request,
        }
    }

    /// `GET path` as `user`, returning the status and the JSON body (`Null` when empty).
    pub async fn get(&self, path: &str, user: Option<&TestUser>) -> anyhow::Result<(reqwest::StatusCode, serde_json::Value)> {
        let response = self.request(reqwest::Method::GET, path, user).send().await?;
        Ok((response.status(), json_body(response).await?))
    }

    /// A command: `method path` with a JSON body and an idempotency key, as `user`.
    pub async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        user: &TestUser,
        key: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<(reqwest::StatusCode, serde_json::Value)> {
        let response = self.request(method, path, Some(user)).header(crate::commands::IDEMPOTENCY_KEY, key).json(&body).send().await?;
        Ok((response.status(), json_body(response).await?))
    }

    /// Waits until `check` passes on `GET path` (views are eventually consistent).
    pub async fn eventually(
        &self,
        path: &str,
        user: Option<&TestUser>,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> anyhow::Result<serde_json::Value> {
        let started = std::time::Instant::now();
        loop {
            let (status, body) = self.get(path, user).await?;
            if status.is_success() && check(&body) {
                return Ok(body);
            }
            if started.elapsed() > std::time::Duration::from_secs(15) {
                bail!("GET {path} never matched; last answer {status}: {body}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Stops the BFF gracefully.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

impl Drop for TestBff {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn json_body(response: reqwest::Response) -> anyhow::Result<serde_json::Value> {
    let bytes = response.bytes().await?;
    if bytes.is_empty() { Ok(serde_json::Value::Null) } else { Ok(serde_json::from_slice(&bytes)?) }
}
