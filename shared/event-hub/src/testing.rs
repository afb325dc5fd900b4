//! Test support: a real `nats-server` with JetStream on a free loopback port, and hubs of
//! either engine in a temporary directory. Used by this crate's conformance suite and by the
//! BFF kit's tests.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{EventHub, HubError, Retention};

/// A `nats-server -js` child process; killed on drop.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    pub port: u16,
    pub url: String,
    store: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

impl NatsServer {
    /// Starts nats-server with JetStream; panics with instructions when it is not installed.
    pub fn start() -> Self {
        let store = tempfile::tempdir().expect("a temporary directory");
        Self::start_on(free_port(), store)
    }

    fn start_on(port: u16, store: tempfile::TempDir) -> Self {
        let child = spawn(port, store.path());
        Self { child, port, url: format!("nats://127.0.0.1:{port}"), store }
    }

    /// Kills the server (SIGKILL) and starts it again on the same port and store.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.port, self.store.path());
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(port: u16, store: &std::path::Path) -> Child {
    let child = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is needed for the NATS engine tests: apt-get install nats-server (.ci/run installs it)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "nats-server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The engines the conformance suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Embedded,
    Nats,
}

/// A hub of an engine with whatever keeps it alive (a directory, a server).
#[derive(Debug)]
pub struct TestHub {
    pub hub: Arc<dyn EventHub>,
    pub url: String,
    pub nats: Option<NatsServer>,
    pub dir: tempfile::TempDir,
}

impl TestHub {
    pub async fn start(engine: Engine, retention: Retention) -> Result<Self, HubError> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (url, nats) = match engine {
            Engine::Embedded => (dir.path().join("events.db").display().to_string(), None),
            Engine::Nats => {
                let server = NatsServer::start();
                (server.url.clone(), Some(server))
            }
        };
        let hub = crate::connect(&url, retention).await?;
        Ok(Self { hub, url, nats, dir })
    }

    /// Another connection to the same hub (another process would open it the same way).
    pub async fn reconnect(&self, retention: Retention) -> Result<Arc<dyn EventHub>, HubError> {
        crate::connect(&self.url, retention).await
    }
}
