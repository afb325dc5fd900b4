//! Test support: a real PostgreSQL server (Debian's `postgresql` package) in a temporary
//! directory on a free loopback port, with a fresh database per test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

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
