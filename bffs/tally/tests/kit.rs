//! The BFF kit's behaviour, through the tally BFF, on every backend combination: SQLite and
//! PostgreSQL view stores, the embedded hub and NATS JetStream (real servers, started here).
//! Each backend runs the whole suite in one test so its servers start once.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tessera_bff_kit::listener::Applied;
use tessera_bff_kit::testing::{DevIdp, PostgresServer, dev_idp};
use tessera_bff_kit::{Application, BffConfig, BffState};
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::testing::NatsServer;
use tessera_event_hub::{Delivered, StartFrom};
use tokio::sync::oneshot;

const PATIENCE: Duration = Duration::from_secs(20);

struct Backend {
    name: &'static str,
    postgres: Option<PostgresServer>,
    nats: Option<NatsServer>,
    dir: tempfile::TempDir,
}

impl Backend {
    async fn database_url(&self) -> anyhow::Result<String> {
        match &self.postgres {
            Some(pg) => pg.database().await,
            None => Ok(format!("sqlite://{}", self.dir.path().join(format!("tally-{:x}.db", rand::random::<u64>())).display())),
        }
    }

    /// Each scenario gets its own hub (a fresh embedded log, or the shared NATS server's stream
    /// reached through a fresh data directory is not possible, so NATS scenarios share one
    /// stream and compare deltas instead of absolute counts).
    fn hub_url(&self, scenario: &str) -> String {
        match &self.nats {
            Some(nats) => nats.url.clone(),
            None => self.dir.path().join(format!("events-{scenario}.db")).display().to_string(),
        }
    }
}

struct TestBff {
    url: String,
    http: reqwest::Client,
    state: BffState,
    /// Commands are sent as `user-1`, signed in with this provider's token.
    token: String,
    _idp: Arc<DevIdp>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// The BFF on these backends, trusting a dev identity provider (its key kept in `data`).
async fn build(database_url: &str, hub_url: &str, data: &Path) -> anyhow::Result<(Application, Arc<DevIdp>)> {
    let idp = dev_idp(data).await?;
    let mut config = BffConfig::for_data_dir(data.to_path_buf(), idp.issuer());
    config.database_url = Some(database_url.to_string());
    config.event_hub_url = Some(hub_url.to_string());
    Ok((Application::build(config, tally_bff::spec()).await?, idp))
}

async fn spawn_bff(database_url: &str, hub_url: &str, data: &Path) -> anyhow::Result<TestBff> {
    let (app, idp) = build(database_url, hub_url, data).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let token = idp.token_for("user-1", "user-1", &[]);
    Ok(TestBff { url, http: reqwest::Client::new(), state, token, _idp: idp, stop: Some(stop), task })
}

impl TestBff {
    async fn send(&self, method: reqwest::Method, path: &str, key: Option<&str>, body: Value, headers: &[(&str, &str)]) -> anyhow::Result<reqwest::Response> {
        let mut request = self.http.request(method, format!("{}{path}", self.url)).json(&body).bearer_auth(&self.token);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Ok(request.send().await?)
    }

    async fn create(&self, id: &str) -> anyhow::Result<()> {
        let response = self.send(reqwest::Method::PUT, &format!("/tallies/{id}"), Some(&format!("create-{id}")), json!({"label": id}), &[]).await?;
        ensure!(response.status() == StatusCode::CREATED, "create {id}: {}", response.status());
        Ok(())
    }

    async fn increment(&self, id: &str, by: i64, key: &str) -> anyhow::Result<reqwest::Response> {
        self.send(reqwest::Method::POST, &format!("/tallies/{id}/increments"), Some(key), json!({ "by": by }), &[]).await
    }

    async fn view(&self) -> anyhow::Result<Value> {
        Ok(self.http.get(format!("{}/views/tallies", self.url)).send().await?.json().await?)
    }

    async fn view_of(&self, id: &str) -> anyhow::Result<Option<Value>> {
        Ok(self.view().await?["tallies"].as_array().into_iter().flatten().find(|t| t["id"] == id).cloned())
    }

    async fn wait_for_total(&self, id: &str, total: i64) -> anyhow::Result<Value> {
        let started = Instant::now();
        loop {
            if let Some(t) = self.view_of(id).await?
                && t["total"] == total
            {
                return Ok(t);
            }
            if started.elapsed() > PATIENCE {
                bail!("the view of {id} did not reach {total}: {:?}", self.view_of(id).await?);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await??;
        Ok(())
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:x}", rand::random::<u32>())
}

async fn commands_are_idempotent_validated_and_optimistically_concurrent(b: &Backend) -> anyhow::Result<()> {
    let bff = spawn_bff(&b.database_url().await?, &b.hub_url("commands"), b.dir.path()).await?;
    let id = unique("cmd");
    bff.create(&id).await?;
    // The same key twice: one effect, the first response replayed.
    let first = bff.increment(&id, 5, "inc-1").await?;
    ensure!(first.status() == StatusCode::OK, "first increment: {}", first.status());
    let again = bff.increment(&id, 5, "inc-1").await?;
    ensure!(again.headers().get("idempotent-replay").is_some(), "the repeat is a replay");
    ensure!(again.json::<Value>().await?["total"] == 5, "the replay answers like the first");
    let current: Value = bff.http.get(format!("{}/tallies/{id}", bff.url)).send().await?.json().await?;
    ensure!(current["total"] == 5 && current["version"] == 1, "one effect: {current}");
    // Without a key, with bad input, with a stale If-Match.
    ensure!(bff.send(reqwest::Method::POST, &format!("/tallies/{id}/increments"), None, json!({"by": 1}), &[]).await?.status() == StatusCode::BAD_REQUEST);
    let invalid = bff.increment(&id, 0, "inc-zero").await?;
    ensure!(invalid.status() == StatusCode::UNPROCESSABLE_ENTITY, "by=0: {}", invalid.status());
    ensure!(invalid.json::<Value>().await?["field"] == "by");
    let stale = bff.send(reqwest::Method::POST, &format!("/tallies/{id}/increments"), Some("inc-stale"), json!({"by": 1}), &[("if-match", "\"v0\"")]).await?;
    ensure!(stale.status() == StatusCode::PRECONDITION_FAILED, "stale If-Match: {}", stale.status());
    let fresh = bff.send(reqwest::Method::POST, &format!("/tallies/{id}/increments"), Some("inc-fresh"), json!({"by": 1}), &[("if-match", "\"v1\"")]).await?;
    ensure!(fresh.status() == StatusCode::OK, "current If-Match: {}", fresh.status());
    ensure!(bff.send(reqwest::Method::PUT, &format!("/tallies/{id}"), Some("create-again"), json!({"label": "x"}), &[]).await?.status() == StatusCode::CONFLICT);
    bff.stop().await
}

async fn queries_carry_etags_cache_control_and_as_of(b: &Backend) -> anyhow::Result<()> {
    let bff = spawn_bff(&b.database_url().await?, &b.hub_url("queries"), b.dir.path()).await?;
    let id = unique("q");
    bff.create(&id).await?;
    bff.increment(&id, 2, "q-1").await?;
    bff.wait_for_total(&id, 2).await?;
    let response = bff.http.get(format!("{}/views/tallies", bff.url)).send().await?;
    let etag = response.headers().get("etag").context("an ETag")?.to_str()?.to_string();
    ensure!(response.headers().get("cache-control").is_some_and(|v| v == "private, no-cache"));
    ensure!(response.headers().get("x-as-of").is_some());
    let cached = bff.http.get(format!("{}/views/tallies", bff.url)).header("if-none-match", &etag).send().await?;
    ensure!(cached.status() == StatusCode::NOT_MODIFIED, "If-None-Match: {}", cached.status());
    let one = bff.http.get(format!("{}/tallies/{id}", bff.url)).send().await?;
    ensure!(one.headers().get("etag").is_some_and(|v| v == "\"v1\""));
    bff.stop().await
}

async fn events_flow_from_the_outbox_to_the_view_and_metrics_count_them(b: &Backend) -> anyhow::Result<()> {
    let bff = spawn_bff(&b.database_url().await?, &b.hub_url("flow"), b.dir.path()).await?;
    let id = unique("flow");
    bff.create(&id).await?;
    for n in 0..10 {
        let response = bff.increment(&id, 3, &format!("flow-{n}")).await?;
        ensure!(response.status() == StatusCode::OK, "increment {n}: {}", response.status());
    }
    let view = bff.wait_for_total(&id, 30).await?;
    ensure!(view["deltaSum"] == 30 && view["version"] == 10, "{view}");
    let metrics = bff.http.get(format!("{}/metrics", bff.url)).send().await?.text().await?;
    for name in ["http_requests_total", "http_request_duration_seconds", "events_produced_total", "events_consumed_total", "events_consumer_lag"] {
        ensure!(metrics.contains(name), "/metrics lacks {name}");
    }
    let health: Value = bff.http.get(format!("{}/health", bff.url)).send().await?.json().await?;
    ensure!(health["status"] == "ok", "{health}");
    bff.stop().await
}

fn incremented(id: &str, version: i64, total: i64, by: i64) -> Envelope {
    Envelope::new(
        EventType::parse("tally-incremented").unwrap(),
        "test",
        id,
        &version.to_string(),
        1000 + version,
        json!({ "id": id, "label": id, "total": total, "version": version, "by": by }),
    )
}

async fn duplicated_and_reordered_deliveries_leave_the_view_correct(b: &Backend) -> anyhow::Result<()> {
    // The listener is driven directly: deliveries are injected, not read from the hub.
    let (app, _idp) = build(&b.database_url().await?, &b.hub_url("order"), b.dir.path()).await?;
    let listener = app.listeners()[0].clone();
    let id = unique("order");
    let events: Vec<Envelope> = (1..=5).map(|v| incremented(&id, v, v * 10, 10)).collect();
    let order = [0usize, 2, 1, 2, 4, 3, 0, 4];
    let mut outcomes = Vec::new();
    for (position, index) in order.iter().enumerate() {
        let delivered = Delivered { position: 1 + position as u64, kind: "tally-incremented".into(), body: events[*index].to_bytes() };
        outcomes.push(listener.apply(&delivered).await?);
    }
    let duplicates = outcomes.iter().filter(|o| **o == Applied::Duplicate).count();
    ensure!(duplicates == 3, "three duplicates dropped: {outcomes:?}");
    let row: (i64, i64, i64) = sqlx::query_as("SELECT total, version, delta_sum FROM tally_view WHERE id = $1").bind(&id).fetch_one(&app.state().store.pool).await?;
    ensure!(row == (50, 5, 50), "total, version, delta_sum: {row:?}");
    ensure!(listener.checkpoint().await? == order.len() as u64, "the checkpoint follows the deliveries");
    Ok(())
}

async fn count_faults(state: &BffState, consumer: &str) -> anyhow::Result<usize> {
    let mut subscription = state.hub.subscribe(&unique("fault-reader"), &["fault".to_string()], StartFrom::Beginning).await?;
    let mut count = 0;
    while let Ok(next) = tokio::time::timeout(Duration::from_millis(700), subscription.next()).await {
        let fault = next?.envelope()?;
        if fault.payload["fault"]["consumer"] == consumer {
            count += 1;
        }
    }
    Ok(count)
}

async fn a_poison_event_produces_exactly_one_fault_and_the_stream_moves_on(b: &Backend) -> anyhow::Result<()> {
    let db = b.database_url().await?;
    let hub = b.hub_url("poison");
    let bff = spawn_bff(&db, &hub, b.dir.path()).await?;
    let before = count_faults(&bff.state, "tally-view").await?;
    bff.state.hub.publish_raw("tally-incremented", &unique("garbage"), b"{this is not an event").await?;
    let mut broken = incremented(&unique("broken"), 1, 1, 1);
    broken.payload.insert("tally".into(), json!({ "id": "only-an-id" }));
    bff.state.hub.publish(&[broken]).await?;
    let id = unique("after-poison");
    bff.create(&id).await?;
    bff.increment(&id, 7, "after-poison").await?;
    bff.wait_for_total(&id, 7).await?;
    // Restarting must not fault the same events again: the checkpoint moved past them.
    bff.stop().await?;
    let bff = spawn_bff(&db, &hub, b.dir.path()).await?;
    bff.increment(&id, 1, "after-restart").await?;
    bff.wait_for_total(&id, 8).await?;
    let faults = count_faults(&bff.state, "tally-view").await? - before;
    ensure!(faults == 2, "one fault per poison event, got {faults}");
    bff.stop().await
}

async fn a_replay_rebuilds_the_same_view(b: &Backend) -> anyhow::Result<()> {
    let db = b.database_url().await?;
    let hub = b.hub_url("replay");
    let bff = spawn_bff(&db, &hub, b.dir.path()).await?;
    let ids: Vec<String> = (0..3).map(|_| unique("replay")).collect();
    for id in &ids {
        bff.create(id).await?;
        for n in 0..4 {
            bff.increment(id, n + 1, &format!("{id}-{n}")).await?;
        }
    }
    for id in &ids {
        bff.wait_for_total(id, 10).await?;
    }
    let before = bff.view().await?["tallies"].clone();
    bff.stop().await?;
    let (app, _idp) = build(&db, &hub, b.dir.path()).await?;
    let listener = app.listeners()[0].clone();
    listener.replay(None).await?;
    let dump = |app: &Application| {
        let pool = app.state().store.pool.clone();
        async move {
            let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as("SELECT id, total, version, delta_sum FROM tally_view ORDER BY id").fetch_all(&pool).await?;
            anyhow::Ok(rows)
        }
    };
    let rebuilt = dump(&app).await?;
    let expected: Vec<(String, i64, i64, i64)> = before
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t["total"].as_i64().unwrap(), t["version"].as_i64().unwrap(), t["deltaSum"].as_i64().unwrap()))
        .collect();
    ensure!(rebuilt == expected, "replay from the beginning: {rebuilt:?} != {expected:?}");
    listener.replay(Some(0)).await?;
    ensure!(dump(&app).await? == expected, "replaying from a time before every event rebuilds the same view");
    let applied = listener.replay(Some(tessera_bff_kit::now_millis() + 60_000)).await?;
    ensure!(applied == 0 && dump(&app).await?.is_empty(), "replaying from a time after every event leaves an empty view");
    Ok(())
}

async fn a_hub_outage_delays_events_but_loses_none(b: &mut Backend) -> anyhow::Result<()> {
    let Some(nats) = b.nats.as_mut() else {
        // The embedded hub lives in the BFF's own process: it cannot be down without the BFF.
        return Ok(());
    };
    let url = nats.url.clone();
    let db = format!("sqlite://{}", b.dir.path().join("outage.db").display());
    let bff = spawn_bff(&db, &url, b.dir.path()).await?;
    let id = unique("outage");
    bff.create(&id).await?;
    nats.kill();
    let health = bff.http.get(format!("{}/health", bff.url)).send().await?;
    ensure!(health.status() == StatusCode::SERVICE_UNAVAILABLE, "health with the hub down: {}", health.status());
    for n in 0..5 {
        let response = bff.increment(&id, 1, &format!("outage-{n}")).await?;
        ensure!(response.status() == StatusCode::OK, "commands still succeed: {}", response.status());
    }
    nats.restart();
    bff.wait_for_total(&id, 5).await?;
    let started = Instant::now();
    while bff.state.relay.pending().await? > 0 {
        ensure!(started.elapsed() < PATIENCE, "the outbox drains after the outage");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bff.stop().await
}

/// A query of several statements reads inside `Store::snapshot`: a write committed between
/// its statements must not show in the later ones.
async fn a_snapshot_sees_one_state_of_the_store(backend: &Backend) -> anyhow::Result<()> {
    let store = tessera_bff_kit::Store::connect(&backend.database_url().await?).await?;
    sqlx::query("CREATE TABLE dishes (id TEXT PRIMARY KEY)").execute(&store.pool).await?;
    sqlx::query("INSERT INTO dishes (id) VALUES ('margherita')").execute(&store.pool).await?;
    let count = "SELECT COUNT(*) FROM dishes";

    let mut snapshot = store.snapshot().await?;
    let before: i64 = sqlx::query_scalar(count).fetch_one(&mut *snapshot).await?;
    sqlx::query("INSERT INTO dishes (id) VALUES ('carbonara')").execute(&store.pool).await?;
    let still: i64 = sqlx::query_scalar(count).fetch_one(&mut *snapshot).await?;
    snapshot.commit().await?;
    let after: i64 = sqlx::query_scalar(count).fetch_one(&store.pool).await?;
    ensure!((before, still, after) == (1, 1, 2), "counts before, inside and after the snapshot: {before}, {still}, {after}");

    // A snapshot is for reading.
    if store.dialect == tessera_bff_kit::Dialect::Postgres {
        let mut snapshot = store.snapshot().await?;
        let write = sqlx::query("INSERT INTO dishes (id) VALUES ('tiramisu')").execute(&mut *snapshot).await;
        ensure!(write.is_err(), "a write inside a PostgreSQL snapshot was accepted");
    }
    Ok(())
}

async fn suite(mut backend: Backend) {
    tessera_bff_kit::init_tracing();
    macro_rules! run {
        ($($scenario:ident),*) => {$(
            if let Err(error) = $scenario(&backend).await {
                panic!("[{}] {}: {error:#}", backend.name, stringify!($scenario));
            }
        )*};
    }
    run!(
        commands_are_idempotent_validated_and_optimistically_concurrent,
        queries_carry_etags_cache_control_and_as_of,
        events_flow_from_the_outbox_to_the_view_and_metrics_count_them,
        duplicated_and_reordered_deliveries_leave_the_view_correct,
        a_poison_event_produces_exactly_one_fault_and_the_stream_moves_on,
        a_replay_rebuilds_the_same_view,
        a_snapshot_sees_one_state_of_the_store
    );
    if let Err(error) = a_hub_outage_delays_events_but_loses_none(&mut backend).await {
        panic!("[{}] a_hub_outage_delays_events_but_loses_none: {error:#}", backend.name);
    }
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_works_on_sqlite_with_the_embedded_hub() {
    suite(Backend { name: "sqlite+embedded", postgres: None, nats: None, dir: dir() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_works_on_postgres_with_the_embedded_hub() {
    let postgres = PostgresServer::start().expect("PostgreSQL starts");
    suite(Backend { name: "postgres+embedded", postgres: Some(postgres), nats: None, dir: dir() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_works_on_sqlite_with_nats_jetstream() {
    suite(Backend { name: "sqlite+nats", postgres: None, nats: Some(NatsServer::start()), dir: dir() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_works_on_postgres_with_nats_jetstream() {
    let postgres = PostgresServer::start().expect("PostgreSQL starts");
    suite(Backend { name: "postgres+nats", postgres: Some(postgres), nats: Some(NatsServer::start()), dir: dir() }).await;
}
