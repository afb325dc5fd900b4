//! The restaurant BFF from the outside: its seed, the owners' menu commands and the kitchen,
//! each test on its own data directory (view store and embedded hub).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_bff_kit::testing::{PostgresServer, TestBff, TestUser, dev_idp};
use tessera_bff_kit::{Application, BffConfig, now_millis};
use tessera_contracts::food::{Order, OrderLine, OrderStatus};
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::StartFrom;

fn rita() -> TestUser {
    TestUser::new("rita", &["restaurant"])
}

fn kenji() -> TestUser {
    TestUser::new("kenji", &["restaurant"])
}

fn alice() -> TestUser {
    TestUser::new("alice", &["customer"])
}

async fn spawn(dir: &tempfile::TempDir) -> anyhow::Result<TestBff> {
    TestBff::spawn_in(restaurant_bff::spec(), dir.path()).await
}

/// Every event of `kind` the hub holds now.
async fn published(bff: &TestBff, kind: &str) -> anyhow::Result<Vec<Envelope>> {
    static READERS: AtomicU64 = AtomicU64::new(0);
    let reader = format!("test-reader-{}", READERS.fetch_add(1, Ordering::Relaxed));
    let mut subscription = bff.state.hub.subscribe(&reader, &[kind.to_string()], StartFrom::Beginning).await?;
    let mut events = Vec::new();
    while let Ok(next) = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await {
        events.push(next?.envelope()?);
    }
    Ok(events)
}

/// Waits until the hub holds `count` events of `kind` matching `filter` (the relay is
/// asynchronous), then returns them.
async fn wait_published(bff: &TestBff, kind: &str, count: usize, filter: impl Fn(&Envelope) -> bool) -> anyhow::Result<Vec<Envelope>> {
    let started = Instant::now();
    loop {
        let events: Vec<Envelope> = published(bff, kind).await?.into_iter().filter(|e| filter(e)).collect();
        if events.len() >= count || started.elapsed() > Duration::from_secs(15) {
            ensure!(events.len() == count, "expected {count} `{kind}` events, the hub has {}", events.len());
            return Ok(events);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn margherita(price_cents: i64) -> Value {
    json!({
        "category": "Pizze",
        "name": "Pizza Margherita",
        "description": "San Marzano tomato, fior di latte and basil.",
        "priceCents": price_cents,
        "available": true,
    })
}

fn item_of<'a>(mine: &'a Value, restaurant: &str, item: &str) -> Option<&'a Value> {
    mine["restaurants"].as_array()?.iter().find(|r| r["id"] == restaurant)?["items"].as_array()?.iter().find(|i| i["id"] == item)
}

fn item_count(mine: &Value) -> usize {
    mine["restaurants"].as_array().into_iter().flatten().map(|r| r["items"].as_array().map_or(0, Vec::len)).sum()
}

#[tokio::test]
async fn the_catalog_is_seeded_and_published_once_across_restarts() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let (status, mine) = bff.get("/restaurants/mine", Some(&rita())).await?;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = mine["restaurants"].as_array().context("restaurants")?.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["Green Bowl", "Trattoria Roma"]);
    let (_, kenjis) = bff.get("/restaurants/mine", Some(&kenji())).await?;
    let names: Vec<&str> = kenjis["restaurants"].as_array().context("restaurants")?.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["Sakura Sushi", "Taqueria Sol"]);
    let items = item_count(&mine) + item_count(&kenjis);
    assert_eq!(items, 32);
    wait_published(&bff, "restaurant-updated", 4, |_| true).await?;
    wait_published(&bff, "menu-item-updated", items, |_| true).await?;
    bff.stop().await?;

    let bff = spawn(&dir).await?;
    let (_, again) = bff.get("/restaurants/mine", Some(&rita())).await?;
    assert_eq!(again["restaurants"].as_array().map(Vec::len), Some(2));
    assert_eq!(item_count(&again), item_count(&mine));
    assert_eq!(bff.state.relay.pending().await?, 0, "the restart wrote nothing new to the outbox");
    assert_eq!(published(&bff, "restaurant-updated").await?.len(), 4);
    assert_eq!(published(&bff, "menu-item-updated").await?.len(), items);
    bff.stop().await
}

#[tokio::test]
async fn owners_see_their_restaurants_with_full_menus_including_unavailable_dishes() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let response = bff.request(Method::GET, "/restaurants/mine", Some(&rita())).send().await?;
    assert_eq!(response.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("private, no-cache"));
    let mine: Value = response.json().await?;
    let roma = mine["restaurants"].as_array().context("restaurants")?.iter().find(|r| r["id"] == "trattoria-roma").context("roma")?;
    assert_eq!(roma["owner"], "rita");
    assert_eq!(roma["cuisine"], "Italian");
    assert_eq!(roma["emoji"], "🍝");
    let margherita = item_of(&mine, "trattoria-roma", "roma-margherita").context("margherita")?;
    assert_eq!(margherita["name"], "Pizza Margherita");
    assert_eq!(margherita["priceCents"], 1150);
    assert_eq!(margherita["available"], true);
    assert_eq!(margherita["version"], 1);
    assert_eq!(item_of(&mine, "trattoria-roma", "roma-carbonara").context("carbonara")?["priceCents"], 1390);
    assert_eq!(item_of(&mine, "trattoria-roma", "roma-lasagne").context("lasagne")?["available"], false);
    assert!(mine["asOf"].as_i64().is_some_and(|t| t > 0));
    bff.stop().await
}

#[tokio::test]
async fn the_restaurant_routes_need_a_signed_in_restaurant_user() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    for path in ["/restaurants/mine", "/orders?scope=open"] {
        assert_eq!(bff.get(path, None).await?.0, StatusCode::UNAUTHORIZED, "{path} without a caller");
        assert_eq!(bff.get(path, Some(&alice())).await?.0, StatusCode::FORBIDDEN, "{path} as a customer");
    }
    let response = bff.request(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", None).json(&margherita(1200)).send().await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = bff.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", &alice(), "a1", margherita(1200)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    bff.stop().await
}

#[tokio::test]
async fn an_owner_changes_and_adds_dishes_and_each_change_is_published() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let response = bff
        .request(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", Some(&rita()))
        .header("idempotency-key", "price-1")
        .json(&margherita(1250))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("etag").and_then(|v| v.to_str().ok()), Some("\"v2\""));
    let item: Value = response.json().await?;
    assert_eq!((item["priceCents"].as_i64(), item["version"].as_i64(), item["position"].as_i64()), (Some(1250), Some(2), Some(2)));
    assert_eq!(item["restaurantId"], "trattoria-roma");
    let events = wait_published(&bff, "menu-item-updated", 1, |e| e.entity().is_some_and(|i| i["id"] == "roma-margherita" && i["version"] == 2)).await?;
    assert_eq!(events[0].entity().context("menuItem")?["priceCents"], 1250);
    assert_eq!(events[0].source(), Some("restaurant"));
    let (_, mine) = bff.get("/restaurants/mine", Some(&rita())).await?;
    assert_eq!(item_of(&mine, "trattoria-roma", "roma-margherita").context("margherita")?["priceCents"], 1250);

    let tiramisu = json!({"category": "Dolci", "name": "Tiramisù", "description": "Savoiardi, espresso and mascarpone.", "priceCents": 650, "available": true});
    let (status, created) = bff.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-tiramisu", &rita(), "new-1", tiramisu).await?;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((created["version"].as_i64(), created["position"].as_i64()), (Some(1), Some(8)), "a new dish goes last: {created}");
    wait_published(&bff, "menu-item-updated", 1, |e| e.entity().is_some_and(|i| i["id"] == "roma-tiramisu")).await?;
    bff.stop().await
}

#[tokio::test]
async fn another_owner_cannot_touch_a_menu_and_unknown_restaurants_are_not_found() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let (status, body) = bff.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", &kenji(), "k1", margherita(100)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = bff.command(Method::DELETE, "/restaurants/trattoria-roma/items/roma-margherita", &kenji(), "k2", Value::Null).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bff.command(Method::PUT, "/restaurants/no-such-place/items/x-1", &kenji(), "k3", margherita(100)).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, mine) = bff.get("/restaurants/mine", Some(&rita())).await?;
    assert_eq!(item_of(&mine, "trattoria-roma", "roma-margherita").context("margherita")?["priceCents"], 1150, "unchanged");
    bff.stop().await
}

#[tokio::test]
async fn invalid_dishes_are_refused_naming_the_field() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let with = |field: &str, value: Value| {
        let mut body = margherita(1150);
        body[field] = value;
        body
    };
    let mut without_available = margherita(1150);
    without_available.as_object_mut().context("an object")?.remove("available");
    let cases = [
        ("roma-margherita", with("name", json!("  ")), "name"),
        ("roma-margherita", with("name", json!("x".repeat(81))), "name"),
        ("roma-margherita", with("category", json!("c".repeat(41))), "category"),
        ("roma-margherita", with("description", json!("d".repeat(301))), "description"),
        ("roma-margherita", with("priceCents", json!(0)), "priceCents"),
        ("roma-margherita", with("priceCents", json!(100_001)), "priceCents"),
        ("roma-margherita", with("priceCents", json!("cheap")), "priceCents"),
        ("roma-margherita", without_available, "available"),
        ("bad%20id", margherita(1150), "itemId"),
        (&"i".repeat(65), margherita(1150), "itemId"),
    ];
    for (n, (item, body, field)) in cases.into_iter().enumerate() {
        let (status, answer) = bff.command(Method::PUT, &format!("/restaurants/trattoria-roma/items/{item}"), &rita(), &format!("bad-{n}"), body).await?;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "case {n}: {answer}");
        assert_eq!(answer["field"], field, "case {n}: {answer}");
        assert!(answer["reason"].is_string() && answer["error"].is_string(), "case {n}: {answer}");
    }
    let (status, _) = bff.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", &rita(), "ok", with("description", json!("d".repeat(300)))).await?;
    assert_eq!(status, StatusCode::OK, "300 characters of description are fine");
    let no_key = bff.request(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", Some(&rita())).json(&margherita(1150)).send().await?;
    assert_eq!(no_key.status(), StatusCode::BAD_REQUEST, "commands need an Idempotency-Key");
    bff.stop().await
}

#[tokio::test]
async fn a_stale_if_match_is_refused_and_the_current_one_accepted() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let put = |key: &'static str, etag: &'static str, price: i64| {
        bff.request(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", Some(&rita()))
            .header("idempotency-key", key)
            .header("if-match", etag)
            .json(&margherita(price))
            .send()
    };
    let stale = put("m-1", "\"v7\"", 1200).await?;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let current = put("m-2", "\"v1\"", 1200).await?;
    assert_eq!(current.status(), StatusCode::OK);
    let now_stale = put("m-3", "\"v1\"", 1300).await?;
    assert_eq!(now_stale.status(), StatusCode::PRECONDITION_FAILED, "v1 is stale once v2 exists");
    let (_, mine) = bff.get("/restaurants/mine", Some(&rita())).await?;
    let item = item_of(&mine, "trattoria-roma", "roma-margherita").context("margherita")?;
    assert_eq!((item["priceCents"].as_i64(), item["version"].as_i64()), (Some(1200), Some(2)));
    bff.stop().await
}

#[tokio::test]
async fn a_repeated_command_answers_the_same_and_publishes_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let path = "/restaurants/trattoria-roma/items/roma-margherita";
    let (first_status, first) = bff.command(Method::PUT, path, &rita(), "same-key", margherita(1300)).await?;
    let repeat = bff.request(Method::PUT, path, Some(&rita())).header("idempotency-key", "same-key").json(&margherita(1400)).send().await?;
    assert_eq!(repeat.status(), first_status);
    assert_eq!(repeat.headers().get("idempotent-replay").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(repeat.json::<Value>().await?, first, "the first answer, not the second body");
    let (_, mine) = bff.get("/restaurants/mine", Some(&rita())).await?;
    let item = item_of(&mine, "trattoria-roma", "roma-margherita").context("margherita")?;
    assert_eq!((item["priceCents"].as_i64(), item["version"].as_i64()), (Some(1300), Some(2)));
    let changes = wait_published(&bff, "menu-item-updated", 1, |e| e.entity().is_some_and(|i| i["id"] == "roma-margherita" && i["version"] != 1)).await?;
    assert_eq!(changes[0].entity().context("menuItem")?["priceCents"], 1300);
    bff.stop().await
}

#[tokio::test]
async fn a_dish_id_of_another_restaurant_is_a_conflict() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let (status, body) = bff.command(Method::PUT, "/restaurants/green-bowl/items/roma-margherita", &rita(), "steal", margherita(900)).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("another restaurant")), "{body}");
    bff.stop().await
}

#[tokio::test]
async fn a_removed_dish_is_published_as_removed_and_can_come_back() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let path = "/restaurants/trattoria-roma/items/roma-burrata";
    let (status, removed) = bff.command(Method::DELETE, path, &rita(), "rm-1", Value::Null).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((removed["available"].as_bool(), removed["version"].as_i64()), (Some(false), Some(2)));
    let (_, mine) = bff.get("/restaurants/mine", Some(&rita())).await?;
    assert!(item_of(&mine, "trattoria-roma", "roma-burrata").is_none());
    wait_published(&bff, "menu-item-removed", 1, |e| e.entity().is_some_and(|i| i["id"] == "roma-burrata" && i["version"] == 2)).await?;
    let (status, _) = bff.command(Method::DELETE, path, &rita(), "rm-2", Value::Null).await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "it is gone already");
    let burrata = json!({"category": "Antipasti", "name": "Burrata Pugliese", "description": "Back by popular demand.", "priceCents": 1190, "available": true});
    let (status, back) = bff.command(Method::PUT, path, &rita(), "rm-3", burrata).await?;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(back["version"], 3, "its versions keep growing, so consumers accept the return");
    bff.stop().await
}

// The kitchen.

fn order(id: &str, restaurant_id: &str) -> Order {
    let now = now_millis();
    Order {
        id: id.into(),
        customer_id: "alice".into(),
        customer_name: "Alice Customer".into(),
        restaurant_id: restaurant_id.into(),
        restaurant_name: "Trattoria Roma".into(),
        lines: vec![OrderLine { item_id: "roma-margherita".into(), name: "Pizza Margherita".into(), price_cents: 1150, quantity: 2 }],
        total_cents: 2300,
        delivery_address: "Via Appia Nuova 12, Roma".into(),
        note: "Ring twice".into(),
        status: OrderStatus::Placed,
        placed_at: now,
        status_at: now,
        driver_id: None,
        reason: None,
    }
}

/// The event another BFF would publish for `order` (`fact` makes its id).
fn order_event(order: &Order, source: &str, fact: &str) -> anyhow::Result<Envelope> {
    let kind = EventType::parse(order.status.event_type()).map_err(anyhow::Error::msg)?;
    let event = Envelope::new(kind, source, &order.id, fact, now_millis(), serde_json::to_value(order)?);
    Ok(order.tags().into_iter().fold(event, |e, (k, v)| e.with_tag(k, v)))
}

async fn place(bff: &TestBff, order: &Order) -> anyhow::Result<()> {
    bff.state.hub.publish(&[order_event(order, "cart", "placed")?]).await?;
    let id = order.id.clone();
    bff.eventually("/orders?scope=all", Some(&rita()), move |body| body["orders"].as_array().is_some_and(|o| o.iter().any(|o| o["id"] == id.as_str())))
        .await?;
    Ok(())
}

fn ids(body: &Value) -> Vec<String> {
    body["orders"].as_array().into_iter().flatten().filter_map(|o| o["id"].as_str().map(String::from)).collect()
}

#[tokio::test]
async fn a_placed_order_reaches_its_restaurants_kitchen_only() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    place(&bff, &order("order-1", "trattoria-roma")).await?;
    let (status, open) = bff.get("/orders?scope=open", Some(&rita())).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&open), ["order-1"]);
    assert_eq!(open["orders"][0]["status"], "placed");
    assert_eq!(open["orders"][0]["lines"][0]["itemId"], "roma-margherita");
    assert_eq!(ids(&bff.get("/orders?scope=open", Some(&kenji())).await?.1), Vec::<String>::new());
    assert_eq!(ids(&bff.get("/orders", Some(&rita())).await?.1), ["order-1"], "open is the default scope");
    let (status, _) = bff.command(Method::POST, "/orders/order-1/accept", &kenji(), "k-accept", json!({})).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "kenji does not run Trattoria Roma");
    let (status, _) = bff.command(Method::POST, "/orders/order-1/accept", &alice(), "a-accept", json!({})).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bff.command(Method::POST, "/orders/order-404/accept", &rita(), "r-404", json!({})).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = bff.get("/orders?scope=later", Some(&rita())).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scope")));
    bff.stop().await
}

#[tokio::test]
async fn accepting_then_marking_ready_publishes_the_updated_order_each_time() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let placed = order("order-2", "trattoria-roma");
    place(&bff, &placed).await?;
    let (status, accepted) = bff.command(Method::POST, "/orders/order-2/accept", &rita(), "accept-2", json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["order"]["status"], "accepted");
    let (status, ready) = bff.command(Method::POST, "/orders/order-2/ready", &rita(), "ready-2", Value::Null).await?;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["order"]["status"], "ready");
    assert!(ready["order"]["statusAt"].as_i64() >= accepted["order"]["statusAt"].as_i64());
    assert_eq!(ready["order"]["totalCents"], 2300, "the whole order travels");

    for (kind, status) in [("order-accepted", "accepted"), ("order-ready", "ready")] {
        let events = wait_published(&bff, kind, 1, |_| true).await?;
        let event = &events[0];
        assert_eq!(event.partition_key, "order-2");
        assert_eq!((event.tags.get("owner").map(String::as_str), event.tags.get("restaurant").map(String::as_str)), (Some("alice"), Some("trattoria-roma")));
        let published: Order = serde_json::from_value(event.entity().context("order")?.clone())?;
        assert_eq!(published.status.as_str(), status);
        assert_eq!(published.lines, placed.lines);
    }
    let (_, open) = bff.get("/orders?scope=open", Some(&rita())).await?;
    assert_eq!(open["orders"][0]["status"], "ready");
    let (status, again) = bff.command(Method::POST, "/orders/order-2/ready", &rita(), "ready-2-again", json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"], "This order is already ready.");
    bff.stop().await
}

#[tokio::test]
async fn rejecting_an_accepted_order_is_a_conflict_but_a_placed_one_can_be_rejected() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    place(&bff, &order("order-3", "trattoria-roma")).await?;
    place(&bff, &order("order-4", "trattoria-roma")).await?;
    let (status, _) = bff.command(Method::POST, "/orders/order-3/ready", &rita(), "early-ready", json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "ready needs accepted first");
    bff.command(Method::POST, "/orders/order-3/accept", &rita(), "accept-3", json!({})).await?;
    let (status, body) = bff.command(Method::POST, "/orders/order-3/reject", &rita(), "reject-3", json!({"reason": "Out of mozzarella"})).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("already accepted")), "{body}");

    let (status, rejected) = bff.command(Method::POST, "/orders/order-4/reject", &rita(), "reject-4", json!({"reason": "Out of mozzarella"})).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((rejected["order"]["status"].as_str(), rejected["order"]["reason"].as_str()), (Some("rejected"), Some("Out of mozzarella")));
    let events = wait_published(&bff, "order-rejected", 1, |_| true).await?;
    assert_eq!(events[0].entity().context("order")?["reason"], "Out of mozzarella");
    assert_eq!(ids(&bff.get("/orders?scope=open", Some(&rita())).await?.1), ["order-3"]);
    let mut all = ids(&bff.get("/orders?scope=all", Some(&rita())).await?.1);
    all.sort();
    assert_eq!(all, ["order-3", "order-4"]);
    bff.stop().await
}

#[tokio::test]
async fn a_late_order_placed_event_never_reopens_an_order_and_drivers_move_it_on() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = spawn(&dir).await?;
    let mut late = order("order-5", "trattoria-roma");
    place(&bff, &late).await?;
    bff.command(Method::POST, "/orders/order-5/accept", &rita(), "accept-5", json!({})).await?;
    // Another delivery of the placement (a new event id, so only its rank can stop it), then a
    // marker order: once the marker shows, the late event has been handled.
    late.note = "stale copy".into();
    bff.state.hub.publish(&[order_event(&late, "cart", "placed-again")?]).await?;
    place(&bff, &order("order-marker", "trattoria-roma")).await?;
    let (_, all) = bff.get("/orders?scope=all", Some(&rita())).await?;
    let order5 = all["orders"].as_array().into_iter().flatten().find(|o| o["id"] == "order-5").context("order-5")?;
    assert_eq!((order5["status"].as_str(), order5["note"].as_str()), (Some("accepted"), Some("Ring twice")));

    bff.command(Method::POST, "/orders/order-5/ready", &rita(), "ready-5", json!({})).await?;
    let mut picked_up = order("order-5", "trattoria-roma");
    picked_up.status = OrderStatus::PickedUp;
    picked_up.driver_id = Some("dan".into());
    bff.state.hub.publish(&[order_event(&picked_up, "driver", "picked-up")?]).await?;
    let open = bff.eventually("/orders?scope=open", Some(&rita()), |body| !body["orders"].to_string().contains("order-5")).await?;
    assert_eq!(ids(&open), ["order-marker"]);
    let (_, all) = bff.get("/orders?scope=all", Some(&rita())).await?;
    let order5 = all["orders"].as_array().into_iter().flatten().find(|o| o["id"] == "order-5").context("order-5")?;
    assert_eq!((order5["status"].as_str(), order5["driverId"].as_str()), (Some("picked-up"), Some("dan")));
    bff.stop().await
}

#[tokio::test]
async fn the_restaurant_bff_runs_on_postgresql() -> anyhow::Result<()> {
    let postgres = PostgresServer::start()?;
    let dir = tempfile::tempdir()?;
    let idp = dev_idp(dir.path()).await?;
    let mut config = BffConfig::for_data_dir(dir.path().to_path_buf(), idp.issuer());
    config.database_url = Some(postgres.database().await?);
    let app = Application::build(config, restaurant_bff::spec()).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let token = idp.token_for("rita", "rita", &["restaurant".to_string()]);
    let as_rita = |method: Method, path: &str| http.request(method, format!("{url}{path}")).bearer_auth(&token);

    let mine: Value = as_rita(Method::GET, "/restaurants/mine").send().await?.json().await?;
    assert_eq!(item_count(&mine), 15);
    let changed = as_rita(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita").header("idempotency-key", "pg-1").json(&margherita(1250)).send().await?;
    assert_eq!(changed.status(), StatusCode::OK);
    let removed = as_rita(Method::DELETE, "/restaurants/trattoria-roma/items/roma-burrata").header("idempotency-key", "pg-2").send().await?;
    assert_eq!(removed.status(), StatusCode::OK);

    state.hub.publish(&[order_event(&order("order-pg", "trattoria-roma"), "cart", "placed")?]).await?;
    let started = Instant::now();
    loop {
        let open: Value = as_rita(Method::GET, "/orders?scope=open").send().await?.json().await?;
        if ids(&open) == ["order-pg"] {
            break;
        }
        ensure!(started.elapsed() < Duration::from_secs(15), "the order never reached the kitchen: {open}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let accepted = as_rita(Method::POST, "/orders/order-pg/accept").header("idempotency-key", "pg-3").send().await?;
    assert_eq!(accepted.status(), StatusCode::OK);
    let all: Value = as_rita(Method::GET, "/orders?scope=all").send().await?.json().await?;
    assert_eq!(all["orders"][0]["status"], "accepted");
    let _ = stop.send(());
    task.await?
}
