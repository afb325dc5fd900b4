//! The cart BFF from the outside: its catalog comes from restaurant events published straight
//! to the hub, its orders are checked through the orders BFF sharing that hub.

use std::time::{Duration, Instant};

use anyhow::ensure;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_bff_kit::testing::{TestBff, TestUser};
use tessera_contracts::food::{MENU_ITEM_REMOVED, MENU_ITEM_UPDATED, MenuItem, ORDER_PLACED, RESTAURANT_UPDATED, Restaurant};
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::StartFrom;

fn customer(id: &str, name: &str) -> TestUser {
    TestUser { name: name.to_string(), ..TestUser::new(id, &["customer"]) }
}

fn restaurant(id: &str, name: &str, version: i64) -> Envelope {
    let restaurant = Restaurant {
        id: id.into(),
        name: name.into(),
        cuisine: "Italian".into(),
        description: String::new(),
        emoji: "🍝".into(),
        owner: "rita".into(),
        version,
    };
    Envelope::new(EventType::parse(RESTAURANT_UPDATED).unwrap(), "restaurant", id, &version.to_string(), 1_000 + version, serde_json::to_value(restaurant).unwrap())
}

fn dish(kind: &str, id: &str, restaurant_id: &str, name: &str, price_cents: i64, available: bool, version: i64) -> Envelope {
    let item = MenuItem {
        id: id.into(),
        restaurant_id: restaurant_id.into(),
        category: "Mains".into(),
        name: name.into(),
        description: String::new(),
        price_cents,
        available,
        position: 0,
        version,
    };
    Envelope::new(EventType::parse(kind).unwrap(), "restaurant", id, &version.to_string(), 1_000 + version, serde_json::to_value(item).unwrap())
}

/// Publishes events as the restaurant BFF would and waits until the cart has read them.
async fn publish(bff: &TestBff, events: &[Envelope]) -> anyhow::Result<()> {
    bff.state.hub.publish(events).await?;
    let types = [RESTAURANT_UPDATED, MENU_ITEM_UPDATED, MENU_ITEM_REMOVED].map(String::from);
    let started = Instant::now();
    loop {
        let newest = bff.state.hub.last_position(&types).await?;
        let read: Option<i64> =
            sqlx::query_scalar("SELECT position FROM kit_checkpoints WHERE consumer = 'cart-catalog'").fetch_optional(&bff.state.store.pool).await?;
        if read.unwrap_or(0) as u64 >= newest {
            return Ok(());
        }
        ensure!(started.elapsed() < Duration::from_secs(15), "the cart catalog never caught up with the hub");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two restaurants: Trattoria Roma (margherita 12.00, tiramisu 6.50, gnocchi sold out) and
/// Sakura Sushi (maki 9.00).
async fn seed(bff: &TestBff) -> anyhow::Result<()> {
    publish(
        bff,
        &[
            restaurant("roma", "Trattoria Roma", 1),
            restaurant("sakura", "Sakura Sushi", 1),
            dish(MENU_ITEM_UPDATED, "margherita", "roma", "Margherita", 1200, true, 1),
            dish(MENU_ITEM_UPDATED, "tiramisu", "roma", "Tiramisu", 650, true, 1),
            dish(MENU_ITEM_UPDATED, "gnocchi", "roma", "Gnocchi", 1400, false, 1),
            dish(MENU_ITEM_UPDATED, "maki", "sakura", "Salmon maki", 900, true, 1),
        ],
    )
    .await
}

async fn put_item(bff: &TestBff, user: &TestUser, item: &str, quantity: i64, key: &str) -> anyhow::Result<(StatusCode, Value)> {
    bff.command(Method::PUT, &format!("/cart/items/{item}"), user, key, json!({ "quantity": quantity })).await
}

async fn checkout(bff: &TestBff, user: &TestUser, order_id: &str, key: &str) -> anyhow::Result<(StatusCode, Value)> {
    bff.command(Method::PUT, &format!("/orders/{order_id}"), user, key, json!({ "deliveryAddress": "  Via Roma 1, Milano  ", "note": "Ring twice" })).await
}

fn line_summary(cart: &Value) -> Vec<(String, i64, i64, bool, i64)> {
    cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["itemId"].as_str().unwrap().to_string(),
                l["priceCents"].as_i64().unwrap(),
                l["quantity"].as_i64().unwrap(),
                l["available"].as_bool().unwrap(),
                l["lineTotalCents"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// How many `order-placed` events the hub holds for `order_id`.
async fn placed_events(bff: &TestBff, order_id: &str) -> anyhow::Result<usize> {
    let mut subscription = bff.state.hub.subscribe("test-order-placed-reader", &[ORDER_PLACED.to_string()], StartFrom::Beginning).await?;
    let mut count = 0;
    while let Ok(next) = tokio::time::timeout(Duration::from_millis(500), subscription.next()).await {
        if next?.envelope()?.partition_key == order_id {
            count += 1;
        }
    }
    Ok(count)
}

#[tokio::test]
async fn a_customer_fills_changes_and_empties_the_cart_and_the_totals_follow() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    seed(&bff).await?;
    let alice = customer("alice", "Alice Customer");

    let response = bff.request(Method::GET, "/cart", Some(&alice)).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    assert!(response.headers().contains_key("etag") && response.headers().contains_key("x-as-of"));
    let empty: Value = response.json().await?;
    assert_eq!(empty["restaurantId"], Value::Null);
    assert_eq!((empty["itemCount"].as_i64(), empty["totalCents"].as_i64()), (Some(0), Some(0)));
    assert!(empty["lines"].as_array().unwrap().is_empty() && empty["asOf"].is_i64());

    let (status, cart) = put_item(&bff, &alice, "margherita", 2, "add-margherita").await?;
    assert_eq!(status, StatusCode::OK, "{cart}");
    assert_eq!((cart["restaurantId"].as_str(), cart["restaurantName"].as_str()), (Some("roma"), Some("Trattoria Roma")));
    assert_eq!(cart["lines"][0]["name"], "Margherita");
    let (_, cart) = put_item(&bff, &alice, "tiramisu", 1, "add-tiramisu").await?;
    assert_eq!(line_summary(&cart), vec![("margherita".into(), 1200, 2, true, 2400), ("tiramisu".into(), 650, 1, true, 650)]);
    assert_eq!((cart["itemCount"].as_i64(), cart["totalCents"].as_i64()), (Some(3), Some(3050)));

    let (_, cart) = put_item(&bff, &alice, "margherita", 1, "one-margherita").await?;
    assert_eq!((cart["itemCount"].as_i64(), cart["totalCents"].as_i64()), (Some(2), Some(1850)));
    // A repeated command answers as the first time and changes nothing.
    let (_, replayed) = put_item(&bff, &alice, "margherita", 2, "add-margherita").await?;
    assert_eq!(replayed["totalCents"], 2400);
    assert_eq!(bff.get("/cart", Some(&alice)).await?.1["totalCents"], 1850);

    let (status, cart) = bff.command(Method::DELETE, "/cart/items/tiramisu", &alice, "remove-tiramisu", Value::Null).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(line_summary(&cart), vec![("margherita".into(), 1200, 1, true, 1200)]);
    assert_eq!(cart["totalCents"], 1200);

    let (status, cart) = bff.command(Method::DELETE, "/cart", &alice, "empty", Value::Null).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((cart["restaurantId"].clone(), cart["totalCents"].as_i64()), (Value::Null, Some(0)));
    let (_, cart) = bff.get("/cart", Some(&alice)).await?;
    assert!(cart["lines"].as_array().unwrap().is_empty() && cart["restaurantName"].is_null());
    Ok(())
}

#[tokio::test]
async fn a_dish_from_another_restaurant_is_refused_with_a_sentence_naming_both() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    seed(&bff).await?;
    let alice = customer("alice", "Alice Customer");
    put_item(&bff, &alice, "margherita", 1, "add-margherita").await?;

    let (status, body) = put_item(&bff, &alice, "maki", 1, "add-maki").await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "Your cart has dishes from Trattoria Roma. Order or empty it before adding dishes from Sakura Sushi.");
    assert_eq!(bff.get("/cart", Some(&alice)).await?.1["restaurantId"], "roma");

    bff.command(Method::DELETE, "/cart", &alice, "empty", Value::Null).await?;
    let (status, cart) = put_item(&bff, &alice, "maki", 1, "add-maki-again").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cart["restaurantName"], "Sakura Sushi");
    Ok(())
}

#[tokio::test]
async fn unknown_and_unavailable_dishes_and_quantities_out_of_range_are_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    seed(&bff).await?;
    let alice = customer("alice", "Alice Customer");

    let (status, body) = put_item(&bff, &alice, "gnocchi", 1, "gnocchi").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("Gnocchi is not available right now.")));
    let (status, _) = put_item(&bff, &alice, "no-such-dish", 1, "unknown").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for quantity in [0, 21, -1] {
        let (status, body) = put_item(&bff, &alice, "margherita", quantity, &format!("quantity-{quantity}")).await?;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")), "{quantity}: {body}");
    }
    let (status, body) = put_item(&bff, &alice, "margherita", 20, "twenty").await?;
    assert_eq!((status, body["itemCount"].as_i64()), (StatusCode::OK, Some(20)));
    for bad_id in ["has%20space", &"x".repeat(65)] {
        let (status, body) = put_item(&bff, &alice, bad_id, 1, &format!("bad-{bad_id}")).await?;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("itemId")), "{bad_id}");
    }
    Ok(())
}

#[tokio::test]
async fn the_cart_follows_price_changes_renames_and_removals_on_the_menu() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    seed(&bff).await?;
    let alice = customer("alice", "Alice Customer");
    put_item(&bff, &alice, "margherita", 2, "add-margherita").await?;

    publish(&bff, &[dish(MENU_ITEM_UPDATED, "margherita", "roma", "Margherita DOC", 1300, true, 2)]).await?;
    let (_, cart) = bff.get("/cart", Some(&alice)).await?;
    assert_eq!(line_summary(&cart), vec![("margherita".into(), 1300, 2, true, 2600)]);
    assert_eq!((cart["lines"][0]["name"].as_str(), cart["totalCents"].as_i64()), (Some("Margherita DOC"), Some(2600)));

    // A late, older version changes nothing; a rename of the restaurant shows at once.
    publish(&bff, &[dish(MENU_ITEM_UPDATED, "margherita", "roma", "Margherita", 999, true, 1), restaurant("roma", "Trattoria Roma Nuova", 2)]).await?;
    let (_, cart) = bff.get("/cart", Some(&alice)).await?;
    assert_eq!((cart["restaurantName"].as_str(), cart["totalCents"].as_i64()), (Some("Trattoria Roma Nuova"), Some(2600)));

    publish(&bff, &[dish(MENU_ITEM_REMOVED, "margherita", "roma", "Margherita DOC", 1300, false, 3)]).await?;
    let (_, cart) = bff.get("/cart", Some(&alice)).await?;
    assert_eq!(line_summary(&cart), vec![("margherita".into(), 1300, 2, false, 2600)]);
    let (status, body) = checkout(&bff, &alice, "order-1", "checkout-1").await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "Margherita DOC is not available right now. Remove it from your cart to order.");
    // An update older than the removal cannot bring the dish back.
    publish(&bff, &[dish(MENU_ITEM_UPDATED, "margherita", "roma", "Margherita DOC", 1300, true, 2)]).await?;
    assert_eq!(bff.get("/cart", Some(&alice)).await?.1["lines"][0]["available"], false);
    Ok(())
}

#[tokio::test]
async fn checkout_places_exactly_one_order_however_often_it_is_sent() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cart = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    let orders = TestBff::spawn_in(orders_bff::spec(), dir.path()).await?;
    seed(&cart).await?;
    let alice = customer("alice", "Alice Customer");
    put_item(&cart, &alice, "margherita", 2, "add-margherita").await?;
    put_item(&cart, &alice, "tiramisu", 1, "add-tiramisu").await?;

    let (status, placed) = checkout(&cart, &alice, "order-1", "checkout-1").await?;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = &placed["order"];
    assert_eq!((order["id"].as_str(), order["status"].as_str()), (Some("order-1"), Some("placed")));
    assert_eq!((order["customerId"].as_str(), order["customerName"].as_str()), (Some("alice"), Some("Alice Customer")));
    assert_eq!((order["restaurantId"].as_str(), order["restaurantName"].as_str()), (Some("roma"), Some("Trattoria Roma")));
    assert_eq!((order["deliveryAddress"].as_str(), order["note"].as_str()), (Some("Via Roma 1, Milano"), Some("Ring twice")));
    assert_eq!(order["totalCents"], 3050);
    assert_eq!(order["lines"], json!([
        { "itemId": "margherita", "name": "Margherita", "priceCents": 1200, "quantity": 2 },
        { "itemId": "tiramisu", "name": "Tiramisu", "priceCents": 650, "quantity": 1 },
    ]));
    assert_eq!(order["placedAt"], order["statusAt"]);
    assert!(order["driverId"].is_null());
    assert!(cart.get("/cart", Some(&alice)).await?.1["lines"].as_array().unwrap().is_empty(), "the cart is emptied");

    // The same request again, then an offline replay of it under a new key.
    assert_eq!(checkout(&cart, &alice, "order-1", "checkout-1").await?, (StatusCode::CREATED, placed.clone()));
    assert_eq!(checkout(&cart, &alice, "order-1", "checkout-2").await?, (StatusCode::OK, placed.clone()));

    let listed = orders.eventually("/orders", Some(&alice), |body| !body["orders"].as_array().unwrap().is_empty()).await?;
    assert_eq!(listed["orders"], json!([order]));
    assert_eq!(placed_events(&cart, "order-1").await?, 1);
    assert_eq!(orders.get("/orders", Some(&alice)).await?.1["orders"].as_array().unwrap().len(), 1);

    // Other customers neither see the order nor take its id.
    let bob = customer("bob", "Bob Customer");
    assert_eq!(orders.get("/orders/order-1", Some(&bob)).await?.0, StatusCode::NOT_FOUND);
    assert!(orders.get("/orders", Some(&bob)).await?.1["orders"].as_array().unwrap().is_empty());
    put_item(&cart, &bob, "maki", 1, "add-maki").await?;
    let (status, body) = checkout(&cart, &bob, "order-1", "bob-checkout").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("This order number is already in use. Reload the page and check out again.")));
    assert_eq!(cart.get("/cart", Some(&bob)).await?.1["itemCount"], 1, "bob's cart is kept");

    let (status, body) = checkout(&cart, &alice, "order-2", "checkout-3").await?;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("Your cart is empty.")));
    Ok(())
}

#[tokio::test]
async fn checkout_needs_an_address_and_the_cart_needs_a_signed_in_customer() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bff = TestBff::spawn_in(cart_bff::spec(), dir.path()).await?;
    seed(&bff).await?;
    let alice = customer("alice", "Alice Customer");
    put_item(&bff, &alice, "margherita", 1, "add-margherita").await?;

    let (status, body) = bff.command(Method::PUT, "/orders/order-1", &alice, "short", json!({ "deliveryAddress": " abc " })).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("deliveryAddress")));
    let long_note = json!({ "deliveryAddress": "Via Roma 1", "note": "n".repeat(501) });
    let (status, body) = bff.command(Method::PUT, "/orders/order-1", &alice, "long-note", long_note).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (status, body) = bff.command(Method::PUT, "/orders/not%20an%20id", &alice, "bad-id", json!({ "deliveryAddress": "Via Roma 1" })).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("orderId")));
    let without_key = bff.request(Method::PUT, "/cart/items/margherita", Some(&alice)).json(&json!({ "quantity": 1 })).send().await?;
    assert_eq!(without_key.status(), StatusCode::BAD_REQUEST);

    assert_eq!(bff.get("/cart", None).await?.0, StatusCode::UNAUTHORIZED);
    let dan = TestUser::new("dan", &["driver"]);
    assert_eq!(bff.get("/cart", Some(&dan)).await?.0, StatusCode::FORBIDDEN);
    assert_eq!(put_item(&bff, &dan, "margherita", 1, "dan").await?.0, StatusCode::FORBIDDEN);
    assert_eq!(checkout(&bff, &dan, "order-9", "dan-checkout").await?.0, StatusCode::FORBIDDEN);
    Ok(())
}
