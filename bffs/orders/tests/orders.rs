//! The orders BFF from the outside: order events are published straight to the hub, as the
//! cart, restaurant and driver BFFs would, in any order and more than once.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tessera_bff_kit::testing::{TestBff, TestUser};
use tessera_contracts::food::{Order, OrderLine, OrderStatus};
use tessera_contracts::{Envelope, EventType};

fn customer(id: &str) -> TestUser {
    TestUser::new(id, &["customer"])
}

fn order(id: &str, customer: &str, placed_at: i64) -> Order {
    Order {
        id: id.into(),
        customer_id: customer.into(),
        customer_name: format!("{customer} Customer"),
        restaurant_id: "roma".into(),
        restaurant_name: "Trattoria Roma".into(),
        lines: vec![OrderLine { item_id: "margherita".into(), name: "Margherita".into(), price_cents: 1200, quantity: 2 }],
        total_cents: 2400,
        delivery_address: "Via Roma 1, Milano".into(),
        note: String::new(),
        status: OrderStatus::Placed,
        placed_at,
        status_at: placed_at,
        driver_id: None,
        reason: None,
    }
}

/// `order` moved on to `status` at `at`.
fn at(order: &Order, status: OrderStatus, at: i64) -> Order {
    Order { status, status_at: at, ..order.clone() }
}

/// The event announcing `order`'s status; `fact` tells apart re-publications of one status.
fn event(order: &Order, fact: &str) -> Envelope {
    let event = Envelope::new(
        EventType::parse(order.status.event_type()).unwrap(),
        "test",
        &order.id,
        &format!("{}-{fact}", order.status.as_str()),
        order.status_at,
        serde_json::to_value(order).unwrap(),
    );
    order.tags().into_iter().fold(event, |event, (key, value)| event.with_tag(key, value))
}

fn timeline(detail: &Value) -> Vec<(String, String, i64)> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| (step["status"].as_str().unwrap().to_string(), step["label"].as_str().unwrap().to_string(), step["at"].as_i64().unwrap()))
        .collect()
}

fn ids(list: &Value) -> Vec<&str> {
    list["orders"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn out_of_order_and_duplicated_events_end_in_the_right_status_with_each_step_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(orders_bff::spec(), dir.path()).await?;
    let alice = customer("alice");
    let placed = order("o-1", "alice", 1_000);
    let accepted = at(&placed, OrderStatus::Accepted, 2_000);
    let ready = at(&placed, OrderStatus::Ready, 3_000);
    let picked_up = Order { driver_id: Some("dan".into()), ..at(&placed, OrderStatus::PickedUp, 4_000) };
    bff.state
        .hub
        .publish(&[
            event(&ready, "1"),
            event(&placed, "1"),
            event(&accepted, "1"),
            // The same status published again later (another event id) keeps its first time.
            event(&at(&placed, OrderStatus::Ready, 3_500), "2"),
            event(&picked_up, "1"),
            event(&placed, "2"),
            event(&accepted, "1"),
        ])
        .await?;
    // A later order of the same customer shows once everything before it was applied.
    bff.state.hub.publish(&[event(&order("o-2", "alice", 5_000), "1")]).await?;
    bff.eventually("/orders", Some(&alice), |list| list["orders"].as_array().unwrap().len() == 2).await?;

    let (status, detail) = bff.get("/orders/o-1", Some(&alice)).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["order"], serde_json::to_value(&picked_up)?);
    assert_eq!(
        timeline(&detail),
        vec![
            ("placed".into(), "Placed".into(), 1_000),
            ("accepted".into(), "Accepted".into(), 2_000),
            ("ready".into(), "Ready for pickup".into(), 3_000),
            ("picked-up".into(), "On the way".into(), 4_000),
        ]
    );
    assert!(detail["asOf"].as_i64().unwrap() >= 4_000);
    Ok(())
}

#[tokio::test]
async fn a_rejected_order_stays_rejected_when_an_acceptance_arrives_late() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(orders_bff::spec(), dir.path()).await?;
    let alice = customer("alice");
    let placed = order("o-1", "alice", 1_000);
    let rejected = Order { reason: Some("We are closing early tonight.".into()), ..at(&placed, OrderStatus::Rejected, 3_000) };
    bff.state.hub.publish(&[event(&placed, "1"), event(&rejected, "1"), event(&at(&placed, OrderStatus::Accepted, 2_000), "1")]).await?;
    let detail = bff.eventually("/orders/o-1", Some(&alice), |detail| detail["timeline"].as_array().is_some_and(|t| t.len() == 3)).await?;
    assert_eq!((detail["order"]["status"].as_str(), detail["order"]["reason"].as_str()), (Some("rejected"), Some("We are closing early tonight.")));
    let steps: Vec<String> = timeline(&detail).into_iter().map(|(status, _, _)| status).collect();
    assert_eq!(steps, ["placed", "accepted", "rejected"]);
    Ok(())
}

#[tokio::test]
async fn customers_see_only_their_own_orders_newest_first() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(orders_bff::spec(), dir.path()).await?;
    let (alice, bob) = (customer("alice"), customer("bob"));
    bff.state
        .hub
        .publish(&[event(&order("a-1", "alice", 1_000), "1"), event(&order("b-1", "bob", 1_500), "1"), event(&order("a-2", "alice", 2_000), "1")])
        .await?;
    let list = bff.eventually("/orders", Some(&alice), |list| list["orders"].as_array().unwrap().len() == 2).await?;
    assert_eq!(ids(&list), ["a-2", "a-1"]);
    assert!(list["asOf"].is_i64());
    assert_eq!(ids(&bff.eventually("/orders", Some(&bob), |list| !list["orders"].as_array().unwrap().is_empty()).await?), ["b-1"]);

    let (status, body) = bff.get("/orders/a-1", Some(&bob)).await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("You have no order a-1.")));
    assert_eq!(bff.get("/orders/nothing-here", Some(&alice)).await?.0, StatusCode::NOT_FOUND);
    let (status, body) = bff.get("/orders/not%20an%20id", Some(&alice)).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id")));

    // Queries are private to the browser and revalidate with their ETag.
    let response = bff.request(Method::GET, "/orders/a-1", Some(&alice)).send().await?;
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    assert!(response.headers().contains_key("x-as-of"));
    let etag = response.headers()["etag"].clone();
    let cached = bff.request(Method::GET, "/orders/a-1", Some(&alice)).header("if-none-match", etag).send().await?;
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    Ok(())
}

#[tokio::test]
async fn the_orders_need_a_signed_in_customer() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(orders_bff::spec(), dir.path()).await?;
    assert_eq!(bff.get("/orders", None).await?.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bff.get("/orders/o-1", None).await?.0, StatusCode::UNAUTHORIZED);
    let rita = TestUser::new("rita", &["restaurant"]);
    assert_eq!(bff.get("/orders", Some(&rita)).await?.0, StatusCode::FORBIDDEN);
    assert_eq!(bff.get("/orders/o-1", Some(&rita)).await?.0, StatusCode::FORBIDDEN);
    Ok(())
}
