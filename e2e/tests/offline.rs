//! Offline-first in real Chromium (docs/offline.md): pages visited once open again without a
//! network and without a backend; what people change meanwhile is kept on the device across
//! reloads and browser restarts, and reaches the BFFs exactly once when the backend answers;
//! what the backend refuses on replay waits in the inbox with its reason.
//!
//! "Offline" is exercised both ways: Chromium's network emulation (through chromedriver), and
//! the host killed while the page is open (the browser is online, the backend is not).

use serde_json::Value;
use tessera_bff_kit::testing::TestUser;
use tessera_e2e::{Browser, System, add_to_cart, button, dist_or_skip, heading, nav_link};

/// The nav's connection status saying `text`.
fn status(text: &str) -> String {
    format!("//header//*[@role='status' and contains(@class, 'status')]//*[contains(@class, 'status-text') and starts-with(normalize-space(), '{text}')]")
}

/// The nav's outbox button with exactly this accessible name.
fn outbox(label: &str) -> String {
    format!("//header//button[@aria-label='{label}']")
}

const OFFLINE_NOTICE: &str = "//*[contains(@class, 'offline-notice') and starts-with(normalize-space(), 'Offline: showing')]";
const PENDING_ORDERS: &str = "//ul[@aria-label='Pending sync']";

/// What a customer visits once online: the restaurants, a menu, the cart and the orders. The
/// service worker keeps them (and the build) for later.
async fn visit_online(browser: &Browser, system: &System) -> anyhow::Result<()> {
    browser.sign_in(system, "Alice Customer", "/", &heading("Restaurants")).await?;
    browser.wait_for("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.wait_offline_ready().await?;
    browser.click("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.wait_for(&add_to_cart("Pizza Margherita")).await?;
    browser.click(&nav_link("Cart")).await?;
    browser.wait_for("//*[normalize-space()='Your cart is empty']").await?;
    browser.click(&nav_link("Orders")).await?;
    browser.wait_for(&heading("Your orders")).await?;
    browser.click(&nav_link("Restaurants")).await?;
    browser.wait_for(&heading("Restaurants")).await?;
    Ok(())
}

/// With the backend out of reach (however): a reload shows shell, nav and the apps from the
/// cache with their data, says so, and navigating between them works.
async fn browse_without_a_backend(browser: &Browser, system: &System, how: &str) -> anyhow::Result<()> {
    browser.goto(&system.url("/")).await?;
    browser.wait_for(&heading("Restaurants")).await?;
    browser.wait_for("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.wait_for(OFFLINE_NOTICE).await?;
    browser.wait_for(&status("Offline")).await?;
    // The kept session: still signed in as Alice.
    browser.wait_for("//header//*[contains(@class, 'session-name') and normalize-space()='Alice Customer']").await?;
    browser.screenshot(&format!("offline-restaurants-{how}")).await?;

    browser.click("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.wait_for(&heading("Trattoria Roma")).await?;
    browser.wait_for(&add_to_cart("Spaghetti Carbonara")).await?;
    browser.click(&nav_link("Orders")).await?;
    browser.wait_for(&heading("Your orders")).await?;
    browser.wait_for(OFFLINE_NOTICE).await?;
    browser.click(&nav_link("Cart")).await?;
    browser.wait_for("//*[normalize-space()='Your cart is empty']").await?;
    // A reload on a deep route is the same cached page, routed on the client.
    browser.goto(&system.url("/restaurants/sakura-sushi")).await?;
    browser.wait_for(&heading("Sakura Sushi")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visited_pages_open_from_the_cache_with_their_data_when_offline_or_the_backend_is_gone() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let mut system = System::start(&dist).await?;
    let browser = Browser::open(1280, 900).await?;
    visit_online(&browser, &system).await?;

    // The network is gone.
    browser.set_offline(true).await?;
    browse_without_a_backend(&browser, &system, "network").await?;
    browser.set_offline(false).await?;
    browser.goto(&system.url("/")).await?;
    browser.wait_for(&status("Live")).await?;
    browser.wait_gone(OFFLINE_NOTICE).await?;

    // The network is there, the backend is not.
    system.kill_host();
    browse_without_a_backend(&browser, &system, "host-down").await?;
    system.restart_host().await?;
    browser.goto(&system.url("/")).await?;
    browser.wait_for(&status("Live")).await?;
    browser.wait_gone(OFFLINE_NOTICE).await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_offline_survives_reloads_and_a_browser_restart_and_is_placed_exactly_once() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let mut system = System::start(&dist).await?;
    let browser = Browser::open(1280, 900).await?;
    visit_online(&browser, &system).await?;
    browser.click("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.wait_for(&add_to_cart("Pizza Margherita")).await?;

    // Offline: two dishes, then the checkout.
    browser.set_offline(true).await?;
    browser.click(&format!("{}//button[@aria-label='One more']", add_to_cart("Pizza Margherita"))).await?;
    browser.click(&format!("{}//button[normalize-space()='Add']", add_to_cart("Pizza Margherita"))).await?;
    browser.wait_for("//*[normalize-space()='Saved offline — will sync (2 in your cart)']").await?;
    browser.click(&format!("{}//button[normalize-space()='Add']", add_to_cart("Spaghetti Carbonara"))).await?;
    browser.wait_for("//*[normalize-space()='Saved offline — will sync (1 in your cart)']").await?;
    browser.click(&nav_link("Cart")).await?;
    browser.wait_for(&heading("Your cart")).await?;
    // 2 × €11.50 + €13.90, both lines marked as not sent yet.
    browser.wait_for("//*[contains(normalize-space(), '€36.90')]").await?;
    assert_eq!(count(&browser, "//*[contains(@class, 'cart-line-pending')]").await?, 2);
    browser
        .wait_for("//*[(self::input or self::textarea) and @id=//label[normalize-space()='Delivery address']/@for]")
        .await?
        .send_keys("12 Harbour Street, Flat 3")
        .await?;
    browser.click(&button("Place order")).await?;
    browser.wait_for("//*[contains(@class, 'cart-order-queued')]//strong[normalize-space()='Order queued']").await?;
    browser.wait_for(&outbox("Outbox: 3 waiting to sync")).await?;
    browser.click(&nav_link("Orders")).await?;
    browser.wait_for(&format!("{PENDING_ORDERS}//*[contains(normalize-space(), 'Trattoria Roma')]")).await?;
    browser.screenshot("offline-order-pending").await?;

    // Reloaded twice, still offline: the outbox is durable, the pending order still shows.
    for _ in 0..2 {
        browser.goto(&system.url("/orders")).await?;
        browser.wait_for(&format!("{PENDING_ORDERS}//*[contains(normalize-space(), 'Trattoria Roma')]")).await?;
        browser.wait_for(&outbox("Outbox: 3 waiting to sync")).await?;
    }

    // The browser is closed and opened again on the same profile. Emulation ends with the
    // session, so the backend is stopped first to keep the outbox from leaving yet.
    system.kill_host();
    let browser = browser.restart().await?;
    browser.goto(&system.url("/orders")).await?;
    browser.wait_for(&format!("{PENDING_ORDERS}//*[contains(normalize-space(), 'Trattoria Roma')]")).await?;
    browser.wait_for(&outbox("Outbox: 3 waiting to sync")).await?;
    let alice = TestUser::new("alice", &["customer"]);
    let (_, nothing_yet) = system.bffs["cart"].get("/cart", Some(&alice)).await?;
    assert_eq!(nothing_yet["lines"].as_array().map(Vec::len), Some(0), "nothing was sent while offline: {nothing_yet}");

    // Back online: the outbox drains, the order is placed and confirmed.
    system.restart_host().await?;
    browser.wait_for(&outbox("Outbox: 0 waiting to sync")).await?;
    browser.wait_gone(PENDING_ORDERS).await?;
    browser.wait_for("//main//a[contains(@href, '/orders/') and .//*[contains(normalize-space(), 'Trattoria Roma')]]").await?;
    browser.screenshot("offline-order-synced").await?;

    // Exactly one order, with each cart change applied once: 2 pizzas, 1 pasta.
    let orders = system.bffs["orders"].eventually("/orders", Some(&alice), |v| v["orders"].as_array().is_some_and(|o| !o.is_empty())).await?;
    let orders = orders["orders"].as_array().cloned().unwrap_or_default();
    assert_eq!(orders.len(), 1, "one order: {orders:?}");
    assert_eq!(orders[0]["totalCents"], 3690, "{orders:?}");
    let id = orders[0]["id"].as_str().expect("an order id");
    let (_, order) = system.bffs["orders"].get(&format!("/orders/{id}"), Some(&alice)).await?;
    let mut lines: Vec<(String, i64)> = order["order"]["lines"]
        .as_array()
        .map(|lines| lines.iter().map(|l| (l["itemId"].as_str().unwrap_or_default().to_string(), l["quantity"].as_i64().unwrap_or(0))).collect())
        .unwrap_or_default();
    lines.sort();
    assert_eq!(lines, [("roma-carbonara".to_string(), 1), ("roma-margherita".to_string(), 2)], "{order}");
    let (_, cart) = system.bffs["cart"].get("/cart", Some(&alice)).await?;
    assert_eq!(cart["lines"].as_array().map(Vec::len), Some(0), "checked out: {cart}");
    let state = browser.offline_state().await?;
    assert_eq!((state["pending"].as_i64(), state["inbox"].as_i64()), (Some(0), Some(0)), "{state}");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_backend_refuses_on_replay_lands_in_the_inbox_with_its_reason() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let mut system = System::start(&dist).await?;
    let browser = Browser::open(1280, 900).await?;
    visit_online(&browser, &system).await?;
    browser.click("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.wait_for(&add_to_cart("Pizza Diavola")).await?;

    // The host dies with the page open: that is offline too.
    system.kill_host();
    browser.click(&format!("{}//button[normalize-space()='Add']", add_to_cart("Pizza Diavola"))).await?;
    browser.wait_for("//*[normalize-space()='Saved offline — will sync (1 in your cart)']").await?;
    browser.wait_for(&outbox("Outbox: 1 waiting to sync")).await?;
    browser.wait_for(&status("Offline")).await?;

    // Meanwhile the restaurant takes the dish off (straight at its BFF: the host is down).
    let rita = TestUser::new("rita", &["restaurant"]);
    let dish = serde_json::json!({
        "category": "Pizze", "name": "Pizza Diavola", "available": false, "priceCents": 1350,
        "description": "Spicy salame, tomato and mozzarella, finished with a swirl of Calabrian chilli honey.",
    });
    let (status_code, body) = system.bffs["restaurant"]
        .command(reqwest::Method::PUT, "/restaurants/trattoria-roma/items/roma-diavola", &rita, "e2e-diavola-off", dish)
        .await?;
    assert!(status_code.is_success(), "{status_code}: {body}");
    // The cart BFF learns it through the hub; another customer's attempt says when.
    let bob = TestUser::new("bob", &["customer"]);
    let started = std::time::Instant::now();
    loop {
        let (code, _) = system.bffs["cart"]
            .command(reqwest::Method::PUT, "/cart/items/roma-diavola", &bob, &format!("bob-{}", started.elapsed().as_nanos()), serde_json::json!({"quantity": 1}))
            .await?;
        if code == reqwest::StatusCode::CONFLICT {
            break;
        }
        anyhow::ensure!(started.elapsed() < tessera_e2e::PATIENCE, "the cart never learnt that the dish is off");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The host is back: the replay is refused, and the refusal waits in the inbox.
    system.restart_host().await?;
    browser.wait_for(&outbox("Outbox: 0 waiting to sync, 1 not accepted")).await?;
    browser.click(&outbox("Outbox: 0 waiting to sync, 1 not accepted")).await?;
    let refused = browser
        .wait_for("//*[@role='dialog' and @aria-label='Changes made offline']//ul[@aria-label='Not accepted']/li")
        .await?;
    let text = refused.text().await?;
    assert!(text.contains("Pizza Diavola is not available right now."), "the server's reason: {text}");
    browser.screenshot("offline-inbox").await?;
    let (_, cart) = system.bffs["cart"].get("/cart", Some(&TestUser::new("alice", &["customer"]))).await?;
    assert_eq!(cart["lines"].as_array().map(Vec::len), Some(0), "nothing was applied: {cart}");

    // Seen and discarded: the inbox is empty.
    browser.click("//ul[@aria-label='Not accepted']//button[starts-with(@aria-label, 'Discard')]").await?;
    browser.wait_for(&outbox("Outbox: 0 waiting to sync")).await?;
    let state = browser.offline_state().await?;
    assert_eq!(state["inbox"], Value::from(0), "{state}");
    browser.close().await
}

async fn count(browser: &Browser, xpath: &str) -> anyhow::Result<usize> {
    Ok(browser.client.find_all(fantoccini::Locator::XPath(xpath)).await?.len())
}
