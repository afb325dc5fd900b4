//! `tessera-bench` (run it as `cargo xtask bench`): measures the platform and prints one
//! Markdown table; the same numbers go to `target/tessera/bench.json` so runs can be compared.
//!
//! Everything runs on this machine, in one process where it can (loopback HTTP, real SQLite
//! files, the embedded hub and a real `nats-server`). Each figure is the median of several
//! runs; the spread between runs is reported as noise. These are reports, not tests.
//!
//! - `hub`: append throughput (batches of 100) and catch-up rate of a fresh consumer, per engine;
//! - `propagation`: a command accepted by one BFF → the event applied to another BFF's view,
//!   p50/p99, at 100 and 1,000 commands/s;
//! - `http`: `GET` throughput and p50/p99 of the menus BFF's restaurant query against a bare
//!   axum hello-world under the same load, and their ratio; orders placed per second;
//! - `browser`: headless Chromium with a cold cache (a fresh profile per run) loading `/`:
//!   navigation start → `mfe:shell-ready` → `mfe:first-mounted` (the routed app's first data
//!   on screen), and a route switch to another app. Needs the wasm build (`TESSERA_DIST`);
//! - `push`: a restaurant changes a dish's price through its BFF while a customer has the menu
//!   open in Chromium: command sent → the `menu-item-updated` event on the page (over the host's
//!   WebSocket) → the new price on screen, p50/p99 over 25 changes per run;
//! - `live`: WebSocket fan-out — N sockets on a release host process (`TESSERA_HOST_BIN`) receive
//!   broadcast events published into the embedded hub by another process, as BFFs do:
//!   publish → received latency p50/p99 over all sockets, and the host's resident memory per
//!   socket.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use tessera_bff_kit::testing::{TestBff, TestUser};
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::testing::{Engine, TestHub};
use tessera_event_hub::{Retention, StartFrom};

const RUNS: usize = 3;

/// One measured figure.
#[derive(Debug, Clone)]
struct Row {
    area: &'static str,
    what: String,
    value: f64,
    unit: &'static str,
    /// (max - min) / median over the runs, in percent.
    noise: f64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Runs `measure` RUNS times; each run yields named values; reports medians and spread.
async fn repeat<F, Fut>(area: &'static str, units: &[(&str, &'static str)], mut measure: F) -> anyhow::Result<Vec<Row>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<f64>>>,
{
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); units.len()];
    for _ in 0..RUNS {
        let values = measure().await?;
        for (i, v) in values.into_iter().enumerate() {
            samples[i].push(v);
        }
    }
    Ok(units
        .iter()
        .zip(samples.iter_mut())
        .map(|((what, unit), values)| {
            let (min, max) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            let m = median(values);
            Row { area, what: what.to_string(), value: m, unit, noise: if m > 0.0 { (max - min) / m * 100.0 } else { 0.0 } }
        })
        .collect())
}

fn event(n: usize) -> Envelope {
    Envelope::new(EventType::parse("bench-happened").expect("valid"), "bench", &format!("p{}", n % 16), &n.to_string(), tessera_bff_kit::now_millis(), json!({ "n": n }))
}

/// Appends `total` events in batches of 100, then a fresh consumer reads them all.
async fn hub_run(engine: Engine, total: usize) -> anyhow::Result<Vec<f64>> {
    let hub = TestHub::start(engine, Retention::default()).await?;
    let events: Vec<Envelope> = (0..total).map(event).collect();
    let started = Instant::now();
    for batch in events.chunks(100) {
        hub.hub.publish(batch).await?;
    }
    let append = total as f64 / started.elapsed().as_secs_f64();
    let mut subscription = hub.hub.subscribe("bench-reader", &[], StartFrom::Beginning).await?;
    let started = Instant::now();
    for _ in 0..total {
        let delivered = subscription.next().await?;
        subscription.ack(delivered.position).await?;
    }
    let catch_up = total as f64 / started.elapsed().as_secs_f64();
    Ok(vec![append, catch_up])
}

/// Two tally BFFs on one hub: the producer accepts increments at `rate` per second; each goes
/// to its own tally, so the consumer's view row of that tally records when it was applied.
async fn propagation_run(dir: &Path, rate: u32, count: usize) -> anyhow::Result<Vec<f64>> {
    let producer = TestBff::spawn_in(tally_bff::spec(), &dir.join("producer")).await?;
    // Both on the producer's hub: the consumer gets its own store but shares `events.db`.
    let mut config = tessera_bff_kit::BffConfig::for_data_dir(dir.join("consumer"), producer.idp.issuer());
    config.event_hub_url = Some(dir.join("producer").join("events.db").display().to_string());
    let consumer_app = tessera_bff_kit::Application::build(config, tally_bff::spec()).await?;
    let consumer_url = format!("http://127.0.0.1:{}", consumer_app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let consumer = tokio::spawn(consumer_app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let user = TestUser::new("bench", &[]);
    let run = format!("{:x}", rand::random::<u32>());
    for i in 0..count {
        let (status, _) = producer.command(reqwest::Method::PUT, &format!("/tallies/{run}-{i}"), &user, &format!("c-{run}-{i}"), json!({ "label": "bench" })).await?;
        ensure!(status.is_success(), "create: {status}");
    }
    let producer = Arc::new(producer);
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sends = Vec::with_capacity(count);
    for i in 0..count {
        ticker.tick().await;
        let (producer, user, run) = (producer.clone(), user.clone(), run.clone());
        sends.push(tokio::spawn(async move {
            let (status, _) = producer.command(reqwest::Method::POST, &format!("/tallies/{run}-{i}/increments"), &user, &format!("i-{run}-{i}"), json!({ "by": 1 })).await?;
            ensure!(status.is_success(), "increment: {status}");
            anyhow::Ok((format!("{run}-{i}"), tessera_bff_kit::now_millis()))
        }));
    }
    let mut accepted = std::collections::HashMap::new();
    for send in sends {
        let (id, at) = send.await??;
        accepted.insert(id, at);
    }
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let rows = loop {
        let view: Value = http.get(format!("{consumer_url}/views/tallies")).send().await?.json().await?;
        let rows: Vec<Value> = view["tallies"].as_array().cloned().unwrap_or_default().into_iter().filter(|t| t["total"] == 1).collect();
        if rows.len() >= count {
            break rows;
        }
        ensure!(Instant::now() < deadline, "the consumer applied only {} of {count}", rows.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut latencies: Vec<f64> = rows
        .iter()
        .filter_map(|t| Some((t["asOf"].as_i64()? - accepted.get(t["id"].as_str()?)?) as f64))
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let _ = stop.send(());
    consumer.await??;
    Ok(vec![percentile(&latencies, 0.5).max(0.0), percentile(&latencies, 0.99).max(0.0)])
}

/// `concurrency` clients hammer `url` for `seconds`; returns requests/s, p50 and p99 (ms).
async fn load(url: &str, concurrency: usize, seconds: f64) -> anyhow::Result<Vec<f64>> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    // Warm-up: connections and caches.
    for _ in 0..50 {
        http.get(url).send().await?.bytes().await?;
    }
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url) = (http.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                let response = http.get(&url).send().await?;
                ensure!(response.status().is_success(), "GET {url}: {}", response.status());
                response.bytes().await?;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort_by(|a, b| a.total_cmp(b));
    Ok(vec![all.len() as f64 / seconds, percentile(&all, 0.5), percentile(&all, 0.99)])
}

async fn hello_world() -> anyhow::Result<String> {
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello, world" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// Waits for a page-side number (a script returning `null` until it is there).
async fn page_number(browser: &tessera_e2e::Browser, script: &str, what: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    loop {
        if let Some(value) = browser.eval(script).await?.as_f64() {
            return Ok(value);
        }
        ensure!(started.elapsed() < tessera_e2e::PATIENCE, "no {what} measured");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The shell's Performance API marks of the current page load, from navigation start (ms).
async fn load_marks(browser: &tessera_e2e::Browser) -> anyhow::Result<[f64; 2]> {
    let mark = |name: &str| format!("return (performance.getEntriesByName('{name}')[0] || {{}}).startTime ?? null");
    Ok([
        page_number(browser, &mark("mfe:shell-ready"), "shell-ready mark").await?,
        page_number(browser, &mark("mfe:first-mounted"), "first-mounted mark").await?,
    ])
}

/// From `navigate(path)` to `app` reporting its first data on screen (ms).
async fn route_switch(browser: &tessera_e2e::Browser, path: &str, app: &str) -> anyhow::Result<f64> {
    browser
        .eval(&format!(
            "window.__switch = null; const clicked = performance.now(); \
             const ready = (e) => {{ if (e.detail.app === '{app}') {{ window.__switch = performance.now() - clicked; window.removeEventListener('mfe:app-ready', ready); }} }}; \
             window.addEventListener('mfe:app-ready', ready); window.tessera.navigate('{path}'); return null"
        ))
        .await?;
    page_number(browser, "return window.__switch", &format!("route switch to {path}")).await
}

/// In a fresh browser profile: the first load of `/` (coming back from signing in, as a
/// customer), the first activation of an app not loaded yet, a switch back to a loaded one;
/// then `/` again with the service worker warm, online and with the network cut.
async fn browser_run(system: &tessera_e2e::System) -> anyhow::Result<Vec<f64>> {
    let browser = tessera_e2e::Browser::open(1280, 800).await?;
    browser.sign_in(system, "Alice Customer", "/", &tessera_e2e::heading("Restaurants")).await?;
    let cold = load_marks(&browser).await?;
    let first_activation = route_switch(&browser, "/orders", "orders").await?;
    let loaded_app = route_switch(&browser, "/", "menus").await?;

    browser.wait_offline_ready().await?;
    browser.goto(&system.url("/")).await?;
    let warm = load_marks(&browser).await?;
    browser.set_offline(true).await?;
    browser.goto(&system.url("/")).await?;
    let offline = load_marks(&browser).await?;
    browser.set_offline(false).await?;
    browser.close().await?;
    Ok(vec![cold[0], cold[1], first_activation, loaded_app, warm[0], warm[1], offline[0], offline[1]])
}

/// A customer's open menu page while the restaurant changes a dish's price `samples` times,
/// one change at a time: from sending the command to the restaurant BFF, to the
/// `menu-item-updated` event arriving on the page over the host's WebSocket, and to the new
/// price on screen (the menus app applies it). Returns p50 and p99 of both (ms).
async fn push_run(system: &tessera_e2e::System, run: usize, samples: usize) -> anyhow::Result<Vec<f64>> {
    let browser = tessera_e2e::Browser::open(1280, 800).await?;
    browser.sign_in(system, "Alice Customer", "/restaurants/trattoria-roma", &tessera_e2e::heading("Trattoria Roma")).await?;
    browser.wait_for("//header//*[contains(@class,'status-text') and starts-with(normalize-space(), 'Live')]").await?;
    // Page-side clocks: when each price's event arrived, when its text was first on screen.
    browser
        .eval(
            "window.__push = {}; \
             window.addEventListener('mfe:live', (e) => { const item = e.detail.event.menuItem; \
               if (item && window.__push['event' + item.priceCents] === undefined) window.__push['event' + item.priceCents] = Date.now(); }); \
             new MutationObserver(() => { const want = window.__want; \
               if (want && window.__push['screen' + want.cents] === undefined && document.body.innerText.includes(want.text)) window.__push['screen' + want.cents] = Date.now(); }) \
               .observe(document.body, { subtree: true, childList: true, characterData: true }); return null",
        )
        .await?;
    let rita = TestUser::new("rita", &["restaurant"]);
    let (mut to_event, mut to_screen) = (Vec::new(), Vec::new());
    for i in 0..samples {
        // Prices no dish of the seed has, different in every run and sample.
        let cents = 4000 + run * 100 + i;
        let text = format!("€{}.{:02}", cents / 100, cents % 100);
        browser.eval(&format!("window.__want = {{ cents: {cents}, text: '{text}' }}; return null")).await?;
        let dish = json!({
            "category": "Pizze", "name": "Pizza Diavola", "available": true, "priceCents": cents,
            "description": "Spicy salame, tomato and mozzarella, finished with a swirl of Calabrian chilli honey.",
        });
        let sent = tessera_bff_kit::now_millis() as f64;
        let key = format!("bench-push-{run}-{i}-{:x}", rand::random::<u64>());
        let (status, body) = system.bffs["restaurant"].command(reqwest::Method::PUT, "/restaurants/trattoria-roma/items/roma-diavola", &rita, &key, dish).await?;
        ensure!(status.is_success(), "changing the price: {status} {body}");
        let screen = page_number(&browser, &format!("return window.__push['screen{cents}'] ?? null"), "the new price on screen").await?;
        let event = page_number(&browser, &format!("return window.__push['event{cents}'] ?? null"), "the price's live event").await?;
        to_event.push(event - sent);
        to_screen.push(screen - sent);
    }
    browser.close().await?;
    to_event.sort_by(|a, b| a.total_cmp(b));
    to_screen.sort_by(|a, b| a.total_cmp(b));
    Ok(vec![percentile(&to_event, 0.5), percentile(&to_event, 0.99), percentile(&to_screen, 0.5), percentile(&to_screen, 0.99)])
}

/// A release host on a fresh data directory (a stub shell build: only `/live` is used) with
/// `sockets` guest sockets; broadcasts a few catalogue events through the embedded hub and
/// measures when each socket receives each one.
async fn live_run(host_bin: &Path, sockets: usize) -> anyhow::Result<Vec<f64>> {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir()?;
    let write = |path: &str, contents: &str| -> anyhow::Result<()> {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().context("a parent")?)?;
        Ok(std::fs::write(path, contents)?)
    };
    write("dist/shell/shell.json", r#"{"hash":"abc","entry":"/shell/abc/s.js"}"#)?;
    write("dist/shell/abc/s.js", "")?;
    write("public/index.html", "<!doctype html><html><head>\n<!-- tessera:head -->\n</head><body>\n<!-- tessera:body -->\n</body></html>\n")?;
    write("public/styles.css", "")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut child = tokio::process::Command::new(host_bin)
        .env("TESSERA_ADDR", format!("127.0.0.1:{port}"))
        .env("TESSERA_DATA_DIR", dir.path().join("data"))
        .env("TESSERA_DIST", dir.path().join("dist"))
        .env("TESSERA_PUBLIC_DIR", dir.path().join("public"))
        .env("TESSERA_DEPLOY_TOKEN", "bench")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the host")?;
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{url}/health")).await.is_err() {
        ensure!(started.elapsed() < Duration::from_secs(20), "the host did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss = |pid: u32| -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
        kib.context("no VmRSS")
    };
    let pid = child.id().context("the host's pid")?;
    let before = rss(pid)?;

    // Each socket reports (event number, when it arrived) for every event.
    let (arrivals, mut arrived) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let ws = format!("ws://127.0.0.1:{port}/live?events=menu-item-updated");
    let mut opened = 0;
    let mut readers = Vec::new();
    while opened < sockets {
        let batch = (sockets - opened).min(200);
        let connects = (0..batch).map(|_| tokio_tungstenite::connect_async(ws.clone()));
        for connected in futures_util::future::join_all(connects).await {
            let (mut socket, _) = connected.context("opening a socket")?;
            let arrivals = arrivals.clone();
            readers.push(tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                        let value: Value = serde_json::from_str(&text).unwrap_or_default();
                        if let Some(n) = value["event"]["menuItem"]["n"].as_u64() {
                            let _ = arrivals.send((n, Instant::now()));
                        }
                    }
                }
            }));
        }
        opened += batch;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per_socket = (rss(pid)? - before) / sockets as f64;

    let hub = tessera_event_hub::connect(&dir.path().join("data").join("events.db").display().to_string(), Retention::default()).await?;
    let rounds = 5u64;
    let mut latencies = Vec::with_capacity(sockets * rounds as usize);
    for n in 0..rounds {
        let event = Envelope::new(EventType::parse("menu-item-updated").map_err(anyhow::Error::msg)?, "bench", "item", &n.to_string(), tessera_bff_kit::now_millis(), json!({ "n": n }));
        let published = Instant::now();
        hub.publish(&[event]).await?;
        let mut received = 0;
        while received < sockets {
            let (m, at) = tokio::time::timeout(Duration::from_secs(30), arrived.recv()).await.context("sockets stopped receiving")?.context("closed")?;
            if m == n {
                latencies.push(at.duration_since(published).as_secs_f64() * 1000.0);
                received += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for reader in readers {
        reader.abort();
    }
    let _ = child.kill().await;
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(vec![percentile(&latencies, 0.5), percentile(&latencies, 0.99), per_socket])
}

/// `customers` customers each fill a cart with one dish and check out, as fast as the cart BFF
/// accepts, for `seconds`; returns orders per second.
async fn place_orders(cart: &TestBff, customers: usize, seconds: f64) -> anyhow::Result<Vec<f64>> {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for c in 0..customers {
        let user = TestUser::new(&format!("bench-{c}-{:x}", rand::random::<u32>()), &["customer"]);
        let (http, url) = (cart.http.clone(), cart.url.clone());
        let token = cart.idp.token_for(&user.id, &user.name, &user.roles);
        tasks.push(tokio::spawn(async move {
            let mut placed = 0u64;
            let send = |method: reqwest::Method, path: String, body: Value| {
                http.request(method, format!("{url}{path}"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("{:x}", rand::random::<u128>()))
                    .json(&body)
                    .send()
            };
            while Instant::now() < until {
                let added = send(reqwest::Method::PUT, "/cart/items/roma-margherita".into(), json!({ "quantity": 1 })).await?;
                ensure!(added.status().is_success(), "adding to the cart: {}", added.status());
                let order = format!("{:x}", rand::random::<u128>());
                let checkout = send(reqwest::Method::PUT, format!("/orders/{order}"), json!({ "deliveryAddress": "1 Bench Road", "note": "" })).await?;
                ensure!(checkout.status().is_success(), "checkout: {}", checkout.status());
                placed += 1;
            }
            anyhow::Ok(placed)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(vec![total as f64 / seconds])
}

fn print_table(rows: &[Row]) {
    println!("| area | measure | median | unit | noise (max-min)/median |");
    println!("|---|---|---:|---|---:|");
    for row in rows {
        let value = if row.value >= 100.0 { format!("{:.0}", row.value) } else { format!("{:.2}", row.value) };
        println!("| {} | {} | {} | {} | {:.0}% |", row.area, row.what, value, row.unit, row.noise);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |area: &str| only.is_empty() || only.iter().any(|a| a == area);
    let mut rows = Vec::new();

    if wanted("hub") {
        for (engine, name) in [(Engine::Embedded, "embedded"), (Engine::Nats, "nats")] {
            eprintln!("bench: hub {name}…");
            let units = [("append, batches of 100", "events/s"), ("catch-up of a new consumer", "events/s")];
            let mut measured = repeat("hub", &units, || hub_run(engine, 20_000)).await.with_context(|| format!("hub {name}"))?;
            for row in &mut measured {
                row.what = format!("{name}: {}", row.what);
            }
            rows.extend(measured);
        }
    }

    if wanted("propagation") {
        for (rate, count) in [(100u32, 500usize), (1000, 3000)] {
            eprintln!("bench: propagation at {rate}/s…");
            let units = [("p50", "ms"), ("p99", "ms")];
            let mut measured = repeat("propagation", &units, || async {
                let dir = tempfile::tempdir()?;
                propagation_run(dir.path(), rate, count).await
            })
            .await?;
            for row in &mut measured {
                row.what = format!("command → other BFF's view at {rate}/s, {}", row.what);
            }
            rows.extend(measured);
        }
    }

    if wanted("http") {
        eprintln!("bench: http…");
        // The menus BFF's search view, filled from the restaurant BFF's seed through the hub.
        let dir = tempfile::tempdir()?;
        let _restaurant = TestBff::spawn_in(restaurant_bff::spec(), dir.path()).await?;
        let menus = TestBff::spawn_in(menus_bff::spec(), dir.path()).await?;
        let cart = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
        menus.eventually("/restaurants", None, |v| v["restaurants"].as_array().is_some_and(|r| r.len() == 4)).await?;
        let hello = hello_world().await?;
        let query = format!("{}/restaurants", menus.url);
        let units = [("req/s", "req/s"), ("p50", "ms"), ("p99", "ms")];
        let bare = repeat("http", &units, || load(&hello, 32, 3.0)).await?;
        let view = repeat("http", &units, || load(&query, 32, 3.0)).await?;
        let ratio = view[0].value / bare[0].value;
        for (label, measured) in [("bare axum hello-world", bare), ("menus BFF `GET /restaurants` (SQLite)", view)] {
            for mut row in measured {
                row.what = format!("{label}: {}", row.what);
                rows.push(row);
            }
        }
        rows.push(Row { area: "http", what: "menus query throughput / hello-world throughput".into(), value: ratio * 100.0, unit: "%", noise: 0.0 });
        // Placing orders: each is a cart change and a checkout, two idempotent commands.
        // The cart learns dishes from restaurant events: wait until it knows the one ordered.
        let probe = TestUser::new("probe", &["customer"]);
        let started = Instant::now();
        while !cart.command(reqwest::Method::PUT, "/cart/items/roma-margherita", &probe, &format!("{:x}", rand::random::<u64>()), json!({ "quantity": 1 })).await?.0.is_success() {
            ensure!(started.elapsed() < Duration::from_secs(15), "the cart BFF never learned the seed menu");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let placed = repeat("http", &[("orders placed (cart change + checkout), 8 customers", "orders/s")], || place_orders(&cart, 8, 3.0)).await?;
        rows.extend(placed);
    }

    // The whole system in one process, for the areas that drive Chromium.
    let system = if wanted("browser") || wanted("push") {
        let dist = tessera_e2e::dist().context("the browser and push benchmarks need the wasm build (TESSERA_DIST)")?;
        // Started once the host has encoded the build: what browsers get for good.
        Some(tessera_e2e::System::start(&dist).await?)
    } else {
        None
    };

    if let Some(system) = system.as_ref().filter(|_| wanted("browser")) {
        eprintln!("bench: browser…");
        let units = [
            ("cold cache: navigation start → shell ready", "ms"),
            ("cold cache: navigation start → first app's data on screen", "ms"),
            ("first activation of an app not loaded yet → its data on screen", "ms"),
            ("route switch to an app already loaded → its data on screen", "ms"),
            ("warm service worker: navigation start → shell ready", "ms"),
            ("warm service worker: navigation start → first app's data on screen", "ms"),
            ("offline (warm service worker): navigation start → shell ready", "ms"),
            ("offline (warm service worker): navigation start → first app's data on screen", "ms"),
        ];
        let measured = repeat("browser", &units, || browser_run(system)).await?;
        rows.extend(measured);
    }

    if let Some(system) = system.as_ref().filter(|_| wanted("push")) {
        eprintln!("bench: push…");
        let units = [
            ("price change → its event on a customer's open page (WebSocket), p50", "ms"),
            ("price change → its event on a customer's open page (WebSocket), p99", "ms"),
            ("price change → the new price on the customer's screen, p50", "ms"),
            ("price change → the new price on the customer's screen, p99", "ms"),
        ];
        let mut run = 0;
        let measured = repeat("push", &units, || {
            run += 1;
            push_run(system, run, 25)
        })
        .await?;
        rows.extend(measured);
    }

    // Stopped before the fan-out, which measures a host process of its own.
    drop(system);

    if wanted("live") {
        let host = std::env::var_os("TESSERA_HOST_BIN").context("the live benchmark needs TESSERA_HOST_BIN (cargo xtask bench sets it)")?;
        for sockets in [100usize, 1_000, 10_000] {
            eprintln!("bench: live fan-out to {sockets} sockets…");
            let units = [("publish → received, p50", "ms"), ("publish → received, p99", "ms"), ("host memory per socket", "KiB")];
            let mut measured = repeat("live", &units, || live_run(Path::new(&host), sockets)).await.with_context(|| format!("live fan-out to {sockets}"))?;
            for row in &mut measured {
                row.what = format!("{sockets} sockets: {}", row.what);
            }
            rows.extend(measured);
        }
    }

    print_table(&rows);
    let json: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "area": r.area, "measure": r.what, "median": r.value, "unit": r.unit, "noisePercent": r.noise }))
        .collect();
    let out = std::env::var_os("TESSERA_BENCH_JSON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tessera/bench.json"));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_vec_pretty(&json!({ "runs": RUNS, "results": json }))?)?;
    eprintln!("bench: results written to {}", out.display());
    Ok(())
}
