//! The driver BFF from the outside, alone and end to end with the cart and orders BFFs on one
//! hub; the restaurant's events are published straight to the hub.

use std::time::{Duration, Instant};

use anyhow::bail;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_bff_kit::now_millis;
use tessera_bff_kit::testing::{TestBff, TestUser};
use tessera_contracts::food::{MENU_ITEM_UPDATED, MenuItem, ORDER_PICKED_UP, Order, OrderLine, OrderStatus, RESTAURANT_UPDATED, Restaurant};
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::StartFrom;

const TAKEN: &str = "Another driver took this delivery.";

fn driver(id: &str) -> TestUser {
    TestUser::new(id, &["driver"])
}

fn ready_order(id: &str, ready_at: i64) -> Order {
    Order {
        id: id.into(),
        customer_id: "alice".into(),
        customer_name: "Alice Customer".into(),
        restaurant_id: "roma".into(),
        restaurant_name: "Trattoria Roma".into(),
        lines: vec![OrderLine { item_id: "margherita".into(), name: "Margherita".into(), price_cents: 1200, quantity: 1 }],
        total_cents: 1200,
        delivery_address: "Via Roma 1, Milano".into(),
        note: String::new(),
        status: OrderStatus::Ready,
        placed_at: ready_at - 500,
        status_at: ready_at,
        driver_id: None,
        reason: None,
    }
}

/// The event the restaurant BFF publishes for `order`'s status.
fn restaurant_event(order: &Order, fact: &str) -> Envelope {
    let event = Envelope::new(
        EventType::parse(order.status.event_type()).unwrap(),
        "restaurant",
        &order.id,
        fact,
        order.status_at,
        serde_json::to_value(order).unwrap(),
    );
    order.tags().into_iter().fold(event, |event, (key, value)| event.with_tag(key, value))
}

async fn post(bff: &TestBff, user: &TestUser, path: &str, key: &str) -> anyhow::Result<(StatusCode, Value)> {
    bff.command(Method::POST, path, user, key, json!({})).await
}

fn ids(orders: &Value) -> Vec<&str> {
    orders.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect()
}

/// Retries a cart command (failed commands are not remembered, so the key can be reused)
/// until the cart's catalog knows the dish.
async fn add_when_on_the_menu(cart: &TestBff, user: &TestUser, item: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let (status, body) = cart.command(Method::PUT, &format!("/cart/items/{item}"), user, &format!("add-{item}"), json!({ "quantity": 2 })).await?;
        match status {
            StatusCode::OK => return Ok(()),
            StatusCode::NOT_FOUND if started.elapsed() < Duration::from_secs(15) => tokio::time::sleep(Duration::from_millis(25)).await,
            _ => bail!("adding {item}: {status} {body}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_from_the_cart_through_the_kitchen_to_the_door_and_the_customer_sees_every_step() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cart = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    let orders = TestBff::spawn_in(orders_bff::spec(), dir.path()).await?;
    let deliveries = TestBff::spawn_in(driver_bff::spec(), dir.path()).await?;
    let alice = TestUser { name: "Alice Customer".into(), ..TestUser::new("alice", &["customer"]) };
    let (dan, eve) = (driver("dan"), driver("eve"));

    // The restaurant's menu, then the customer's checkout.
    let roma = Restaurant {
        id: "roma".into(),
        name: "Trattoria Roma".into(),
        cuisine: "Italian".into(),
        description: String::new(),
        emoji: "🍝".into(),
        owner: "rita".into(),
        version: 1,
    };
    let margherita = MenuItem {
        id: "margherita".into(),
        restaurant_id: "roma".into(),
        category: "Pizza".into(),
        name: "Margherita".into(),
        description: String::new(),
        price_cents: 1200,
        available: true,
        position: 0,
        version: 1,
    };
    cart.state
        .hub
        .publish(&[
            Envelope::new(EventType::parse(RESTAURANT_UPDATED).unwrap(), "restaurant", "roma", "1", 1, serde_json::to_value(roma)?),
            Envelope::new(EventType::parse(MENU_ITEM_UPDATED).unwrap(), "restaurant", "margherita", "1", 1, serde_json::to_value(margherita)?),
        ])
        .await?;
    add_when_on_the_menu(&cart, &alice, "margherita").await?;
    let (status, placed) = cart.command(Method::PUT, "/orders/e2e-1", &alice, "checkout", json!({ "deliveryAddress": "Via Roma 1, Milano" })).await?;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let placed: Order = serde_json::from_value(placed["order"].clone())?;
    orders.eventually("/orders/e2e-1", Some(&alice), |detail| detail["order"]["status"] == "placed").await?;

    // The kitchen accepts and finishes it.
    let accepted = Order { status: OrderStatus::Accepted, status_at: now_millis(), ..placed.clone() };
    let ready = Order { status: OrderStatus::Ready, status_at: now_millis(), ..placed.clone() };
    cart.state.hub.publish(&[restaurant_event(&accepted, "accepted"), restaurant_event(&ready, "ready")]).await?;
    let offer = deliveries.eventually("/deliveries", Some(&dan), |view| !view["available"].as_array().unwrap().is_empty()).await?;
    assert_eq!(offer["available"], json!([ready]));

    // Two drivers claim it at the same moment: exactly one wins.
    let (by_dan, by_eve) = tokio::join!(post(&deliveries, &dan, "/deliveries/e2e-1/claim", "claim"), post(&deliveries, &eve, "/deliveries/e2e-1/claim", "claim"));
    let (by_dan, by_eve) = (by_dan?, by_eve?);
    let (winner, loser, won, lost) = if by_dan.0 == StatusCode::OK { (&dan, &eve, by_dan, by_eve) } else { (&eve, &dan, by_eve, by_dan) };
    assert_eq!(won.0, StatusCode::OK, "{}", won.1);
    assert_eq!(won.1["order"]["driverId"].as_str(), Some(winner.id.as_str()));
    assert_eq!((lost.0, lost.1["error"].as_str()), (StatusCode::CONFLICT, Some(TAKEN)));
    let (_, for_winner) = deliveries.get("/deliveries", Some(winner)).await?;
    assert_eq!((ids(&for_winner["available"]), ids(&for_winner["mine"])), (vec![], vec!["e2e-1"]));
    let (_, for_loser) = deliveries.get("/deliveries", Some(loser)).await?;
    assert_eq!((ids(&for_loser["available"]), ids(&for_loser["mine"])), (vec![], vec![]));

    // On the way, then at the door.
    let (status, moving) = post(&deliveries, winner, "/deliveries/e2e-1/picked-up", "picked-up").await?;
    assert_eq!((status, moving["order"]["status"].as_str()), (StatusCode::OK, Some("picked-up")));
    let (status, done) = post(&deliveries, winner, "/deliveries/e2e-1/delivered", "delivered").await?;
    assert_eq!((status, done["order"]["status"].as_str()), (StatusCode::OK, Some("delivered")));

    let detail = orders.eventually("/orders/e2e-1", Some(&alice), |detail| detail["order"]["status"] == "delivered").await?;
    assert_eq!(detail["order"], done["order"]);
    assert_eq!(detail["order"]["driverId"].as_str(), Some(winner.id.as_str()));
    let steps: Vec<&str> = detail["timeline"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(steps, ["placed", "accepted", "ready", "picked-up", "delivered"]);
    let times: Vec<i64> = detail["timeline"].as_array().unwrap().iter().map(|s| s["at"].as_i64().unwrap()).collect();
    assert!(times.is_sorted(), "{times:?}");

    // The driver's events carry the driver's tag, for the live updates that filter by it.
    let mut subscription = deliveries.state.hub.subscribe("test-picked-up-reader", &[ORDER_PICKED_UP.to_string()], StartFrom::Beginning).await?;
    let picked_up = tokio::time::timeout(Duration::from_secs(5), subscription.next()).await??.envelope()?;
    assert_eq!(picked_up.tags.get("driver").map(String::as_str), Some(winner.id.as_str()));
    assert_eq!(picked_up.tags.get("owner").map(String::as_str), Some("alice"));
    Ok(())
}

#[tokio::test]
async fn a_driver_cannot_move_someone_elses_delivery_and_steps_keep_their_order() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(driver_bff::spec(), dir.path()).await?;
    let (dan, eve) = (driver("dan"), driver("eve"));
    bff.state.hub.publish(&[restaurant_event(&ready_order("d-2", 2_000), "ready"), restaurant_event(&ready_order("d-1", 1_000), "ready")]).await?;
    let view = bff.eventually("/deliveries", Some(&dan), |view| view["available"].as_array().unwrap().len() == 2).await?;
    assert_eq!(ids(&view["available"]), ["d-1", "d-2"], "the oldest first");

    let (status, body) = post(&bff, &dan, "/deliveries/d-1/delivered", "too-early").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("Claim this delivery first.")));
    let (status, body) = post(&bff, &dan, "/deliveries/d-1/claim", "claim-d-1").await?;
    assert_eq!((status, body["order"]["driverId"].as_str(), body["order"]["status"].as_str()), (StatusCode::OK, Some("dan"), Some("ready")));

    let (status, body) = post(&bff, &eve, "/deliveries/d-1/claim", "eve-claim").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some(TAKEN)));
    assert_eq!(post(&bff, &eve, "/deliveries/d-1/picked-up", "eve-picked-up").await?.0, StatusCode::FORBIDDEN);
    assert_eq!(post(&bff, &eve, "/deliveries/d-1/delivered", "eve-delivered").await?.0, StatusCode::FORBIDDEN);

    let (status, body) = post(&bff, &dan, "/deliveries/d-1/delivered", "skip-pick-up").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("Pick up this delivery before marking it delivered.")));
    assert_eq!(post(&bff, &dan, "/deliveries/d-1/picked-up", "picked-up").await?.0, StatusCode::OK);
    let (status, body) = post(&bff, &dan, "/deliveries/d-1/picked-up", "picked-up-again").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("You already picked up this delivery.")));
    assert_eq!(post(&bff, &dan, "/deliveries/d-1/delivered", "delivered").await?.0, StatusCode::OK);
    let (status, body) = post(&bff, &dan, "/deliveries/d-1/delivered", "delivered-again").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("This delivery is already delivered.")));
    // Claiming one's own delivery again just answers with it.
    let (status, body) = post(&bff, &dan, "/deliveries/d-1/claim", "claim-d-1-again").await?;
    assert_eq!((status, body["order"]["status"].as_str()), (StatusCode::OK, Some("delivered")));

    // A repeated `order-ready` does not offer a delivered order again.
    assert_eq!(post(&bff, &dan, "/deliveries/d-2/claim", "claim-d-2").await?.0, StatusCode::OK);
    bff.state.hub.publish(&[restaurant_event(&ready_order("d-1", 1_000), "ready-again"), restaurant_event(&ready_order("d-3", 3_000), "ready")]).await?;
    let view = bff.eventually("/deliveries", Some(&dan), |view| !view["available"].as_array().unwrap().is_empty()).await?;
    assert_eq!(ids(&view["available"]), ["d-3"]);
    assert_eq!(ids(&view["mine"]), ["d-2", "d-1"], "active before delivered");
    assert!(ids(&bff.get("/deliveries", Some(&eve)).await?.1["mine"]).is_empty());

    let (status, body) = post(&bff, &dan, "/deliveries/nope/claim", "nope").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("There is no delivery nope.")));
    let (status, body) = post(&bff, &dan, "/deliveries/not%20an%20id/claim", "bad-id").await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id")));
    Ok(())
}

#[tokio::test]
async fn the_deliveries_need_a_signed_in_driver() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(driver_bff::spec(), dir.path()).await?;
    assert_eq!(bff.get("/deliveries", None).await?.0, StatusCode::UNAUTHORIZED);
    let no_one = bff.request(Method::POST, "/deliveries/d-1/claim", None).header("idempotency-key", "k").send().await?;
    assert_eq!(no_one.status(), StatusCode::UNAUTHORIZED);
    let alice = TestUser::new("alice", &["customer"]);
    assert_eq!(bff.get("/deliveries", Some(&alice)).await?.0, StatusCode::FORBIDDEN);
    assert_eq!(post(&bff, &alice, "/deliveries/d-1/claim", "alice-claim").await?.0, StatusCode::FORBIDDEN);
    assert_eq!(post(&bff, &alice, "/deliveries/d-1/picked-up", "alice-picked-up").await?.0, StatusCode::FORBIDDEN);
    let response = bff.request(Method::GET, "/deliveries", Some(&driver("dan"))).send().await?;
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    Ok(())
}
