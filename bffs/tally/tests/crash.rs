//! Crash test: a producer BFF and a consumer BFF (separate `tally-bff` processes) under a
//! stream of 10,000 events. The consumer is killed with SIGKILL at random points and
//! restarted, and the hub engine is restarted mid-stream (the producer process that writes the
//! embedded log, or nats-server). At the end the consumer's view must equal what the
//! producer accepted — 0 lost, 0 duplicated effects — and equal a from-scratch replay.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use rand::Rng;
use serde_json::{Value, json};
use tessera_bff_kit::testing::dev_idp;
use tessera_event_hub::testing::NatsServer;

const EVENTS: usize = 10_000;
const TALLIES: usize = 20;
const WORKERS: usize = 8;
const CONSUMER_KILLS: usize = 4;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// One `tally-bff` process with fixed port, database and hub, so it can be killed and restarted.
struct Bff {
    port: u16,
    database: String,
    hub: String,
    data: PathBuf,
    oidc_issuer: String,
    child: Option<Child>,
}

impl Bff {
    fn new(name: &str, hub: &str, data: &Path, oidc_issuer: &str) -> Self {
        Self {
            port: free_port(),
            database: format!("sqlite://{}", data.join(format!("{name}.db")).display()),
            hub: hub.to_string(),
            data: data.to_path_buf(),
            oidc_issuer: oidc_issuer.to_string(),
            child: None,
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tally-bff"));
        command
            .env("BFF_ADDR", format!("127.0.0.1:{}", self.port))
            .env("DATABASE_URL", &self.database)
            .env("EVENT_HUB_URL", &self.hub)
            .env("TESSERA_DATA_DIR", &self.data)
            .env("OIDC_ISSUER", &self.oidc_issuer)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    async fn start(&mut self) -> anyhow::Result<()> {
        self.child = Some(self.command().spawn().context("starting tally-bff")?);
        let started = Instant::now();
        let http = reqwest::Client::new();
        loop {
            if http.get(self.url("/health")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            ensure!(started.elapsed() < Duration::from_secs(30), "tally-bff did not become healthy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown, no flushing, mid-transaction if it happens to be in one.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn replay(&self) -> anyhow::Result<()> {
        let status = self.command().arg("replay").status()?;
        ensure!(status.success(), "tally-bff replay failed");
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn view(&self) -> anyhow::Result<BTreeMap<String, (i64, i64, i64)>> {
        let view: Value = reqwest::get(self.url("/views/tallies")).await?.json().await?;
        Ok(view["tallies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| (t["id"].as_str().unwrap_or_default().to_string(), (t["total"].as_i64().unwrap_or(-1), t["version"].as_i64().unwrap_or(-1), t["deltaSum"].as_i64().unwrap_or(-1))))
            .collect())
    }
}

impl Drop for Bff {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends one command until the producer accepts it, reusing its idempotency key: the client
/// is at-least-once, the producer must make it exactly-once.
async fn send_until_accepted(http: &reqwest::Client, token: &str, producer_port: u16, path: &str, key: &str, body: &Value) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let response = http
            .post(format!("http://127.0.0.1:{producer_port}{path}"))
            .header("idempotency-key", key)
            .bearer_auth(token)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().is_client_error() => bail!("{path} refused: {}", r.status()),
            _ => {}
        }
        ensure!(started.elapsed() < Duration::from_secs(60), "{path} never got through");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

enum HubKind {
    Embedded,
    Nats(NatsServer),
}

async fn crash_scenario(mut hub_kind: HubKind) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let hub = match &hub_kind {
        HubKind::Embedded => dir.path().join("events.db").display().to_string(),
        HubKind::Nats(server) => server.url.clone(),
    };
    // The processes verify the loader's token against this provider, here in the test.
    let idp = dev_idp(dir.path()).await?;
    let mut loader = idp.claims_for("loader", "loader", &[]);
    loader.exp += 3600; // outlives the run, however slow the machine
    let token = idp.mint(&loader);
    let mut producer = Bff::new("producer", &hub, dir.path(), idp.issuer());
    let consumer = Arc::new(tokio::sync::Mutex::new(Bff::new("consumer", &hub, dir.path(), idp.issuer())));
    producer.start().await?;
    consumer.lock().await.start().await?;
    let http = reqwest::Client::new();
    for t in 0..TALLIES {
        let id = format!("t{t}");
        let response = http
            .put(producer.url(&format!("/tallies/{id}")))
            .header("idempotency-key", format!("create-{id}"))
            .json(&json!({ "label": id }))
            .send()
            .await?;
        ensure!(response.status().is_success(), "create {id}: {}", response.status());
    }

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let expected = Arc::new(Mutex::new(BTreeMap::<String, (i64, i64)>::new()));
    let producer_port = producer.port;
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (next, expected, http, token) = (next.clone(), expected.clone(), http.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= EVENTS {
                    return anyhow::Ok(());
                }
                let id = format!("t{}", i % TALLIES);
                let by = (i % 7) as i64 + 1;
                send_until_accepted(&http, &token, producer_port, &format!("/tallies/{id}/increments"), &format!("inc-{i}"), &json!({ "by": by })).await?;
                let mut expected = expected.lock().expect("not poisoned");
                let entry = expected.entry(id).or_default();
                entry.0 += by;
                entry.1 += 1;
            }
        }));
    }

    // Chaos: kill the consumer at random points; restart the hub engine once, mid-stream.
    let mut kills = 0;
    let mut hub_restarted = false;
    while next.load(Ordering::Relaxed) < EVENTS {
        let pause = rand::rng().random_range(300..1500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        if kills < CONSUMER_KILLS {
            let mut consumer = consumer.lock().await;
            consumer.kill();
            tokio::time::sleep(Duration::from_millis(rand::rng().random_range(10..200))).await;
            consumer.start().await?;
            kills += 1;
        } else if !hub_restarted {
            match &mut hub_kind {
                // The embedded log has no server: its writer is the producer process.
                HubKind::Embedded => {
                    producer.kill();
                    producer.start().await?;
                }
                HubKind::Nats(server) => server.restart(),
            }
            hub_restarted = true;
        }
    }
    for worker in workers {
        worker.await??;
    }
    let accepted = started.elapsed();
    let expected = expected.lock().expect("not poisoned").clone();
    ensure!(expected.values().map(|(_, n)| n).sum::<i64>() == EVENTS as i64);

    // The consumer catches up: every tally's total, version and applied deltas as accepted.
    let want: BTreeMap<String, (i64, i64, i64)> = expected.iter().map(|(id, (total, n))| (id.clone(), (*total, *n, *total))).collect();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let view = consumer.lock().await.view().await?;
        if view == want {
            break;
        }
        if Instant::now() > deadline {
            let lost: i64 = want.iter().map(|(id, (_, n, _))| n - view.get(id).map(|v| v.1).unwrap_or(0)).sum();
            bail!("the consumer's view never matched ({lost} versions missing): {view:?} != {want:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let caught_up = started.elapsed();

    // A from-scratch replay of the consumer's view gives the same view.
    let mut consumer = consumer.lock().await;
    consumer.kill();
    consumer.replay()?;
    consumer.start().await?;
    let replayed = consumer.view().await?;
    ensure!(replayed == want, "the replayed view differs: {replayed:?} != {want:?}");
    eprintln!(
        "crash test: {EVENTS} events, {kills} consumer kills, hub restarted: {hub_restarted}; accepted in {accepted:.1?}, consumer caught up at {caught_up:.1?}; 0 lost, 0 duplicated"
    );
    ensure!(kills == CONSUMER_KILLS, "only {kills} kills happened");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_at_random_points_ends_with_the_exact_view_on_the_embedded_hub() {
    crash_scenario(HubKind::Embedded).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_at_random_points_ends_with_the_exact_view_on_nats() {
    crash_scenario(HubKind::Nats(NatsServer::start())).await.unwrap();
}
