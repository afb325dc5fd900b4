//! The menus BFF from the outside: fed by a real restaurant BFF on the same embedded hub, or
//! by events published straight to the hub when a test needs a particular delivery order.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_bff_kit::testing::{PostgresServer, TestBff, TestUser, dev_idp};
use tessera_bff_kit::{Application, BffConfig, now_millis};
use tessera_contracts::food::{MENU_ITEM_REMOVED, MENU_ITEM_UPDATED, MenuItem, RESTAURANT_UPDATED, Restaurant};
use tessera_contracts::{Envelope, EventType};

fn rita() -> TestUser {
    TestUser::new("rita", &["restaurant"])
}

fn kenji() -> TestUser {
    TestUser::new("kenji", &["restaurant"])
}

/// The restaurant BFF (which seeds on start) and the menus BFF on one hub, with the seed
/// applied to the menus view.
async fn spawn_both(dir: &tempfile::TempDir) -> anyhow::Result<(TestBff, TestBff)> {
    let restaurant = TestBff::spawn_in(restaurant_bff::spec(), dir.path()).await?;
    let menus = TestBff::spawn_in(menus_bff::spec(), dir.path()).await?;
    menus.eventually("/restaurants", None, |body| body["restaurants"].as_array().is_some_and(|r| r.len() == 4)).await?;
    menus.eventually("/restaurants/taqueria-sol", None, |body| dishes(body).len() == 9).await?;
    Ok((restaurant, menus))
}

fn names(body: &Value) -> Vec<String> {
    body["restaurants"].as_array().into_iter().flatten().filter_map(|r| r["name"].as_str().map(String::from)).collect()
}

/// The dishes of a restaurant page, in page order.
fn dishes(page: &Value) -> Vec<Value> {
    page["categories"].as_array().into_iter().flatten().flat_map(|c| c["items"].as_array().cloned().unwrap_or_default()).collect()
}

fn dish<'a>(page: &'a Value, id: &str) -> Option<&'a Value> {
    page["categories"].as_array()?.iter().flat_map(|c| c["items"].as_array().into_iter().flatten()).find(|i| i["id"] == id)
}

#[tokio::test]
async fn the_restaurant_seed_reaches_the_menus_view() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (restaurant, menus) = spawn_both(&dir).await?;
    let (status, list) = menus.get("/restaurants", None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&list), ["Green Bowl", "Sakura Sushi", "Taqueria Sol", "Trattoria Roma"]);
    assert_eq!(list["cuisines"], json!(["Italian", "Japanese", "Mexican", "Vegan"]));
    let roma = &list["restaurants"][3];
    assert_eq!(roma, &json!({
        "id": "trattoria-roma", "name": "Trattoria Roma", "cuisine": "Italian", "emoji": "🍝",
        "description": roma["description"], "itemCount": 7, "fromPriceCents": 690,
    }));
    assert!(list["asOf"].as_i64().is_some_and(|t| t > 0));
    restaurant.stop().await?;
    menus.stop().await
}

#[tokio::test]
async fn search_matches_names_cuisines_and_dishes_case_insensitively() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (restaurant, menus) = spawn_both(&dir).await?;
    let search = |query: &'static str| {
        let menus = &menus;
        async move {
            let (status, body) = menus.get(&format!("/restaurants?{query}"), None).await?;
            ensure!(status == StatusCode::OK, "{query}: {status} {body}");
            anyhow::Ok(names(&body))
        }
    };
    assert_eq!(search("q=SAKURA").await?, ["Sakura Sushi"], "by name");
    assert_eq!(search("q=italian").await?, ["Trattoria Roma"], "by cuisine");
    assert_eq!(search("q=Carbonara").await?, ["Trattoria Roma"], "by dish");
    assert_eq!(search("q=tacos").await?, ["Taqueria Sol"]);
    assert_eq!(search("q=roll").await?, ["Sakura Sushi"]);
    assert_eq!(search("q=Bowl").await?, ["Green Bowl", "Taqueria Sol"], "a name and a dish, sorted by name");
    assert_eq!(search("q=%20%20smoothie%20").await?, ["Green Bowl"], "trimmed");
    assert_eq!(search("cuisine=vegan").await?, ["Green Bowl"]);
    assert_eq!(search("q=pizza&cuisine=Japanese").await?, Vec::<String>::new());
    assert_eq!(search("q=%25").await?, Vec::<String>::new(), "a % is a character, not a wildcard");
    assert_eq!(search("q=&cuisine=").await?.len(), 4);
    let (_, body) = menus.get("/restaurants?q=nothing-like-this", None).await?;
    assert_eq!(body["cuisines"].as_array().map(Vec::len), Some(4), "every cuisine stays offered");

    let (status, _) = menus.get(&format!("/restaurants?q={}", "a".repeat(100)), None).await?;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = menus.get(&format!("/restaurants?q={}", "a".repeat(101)), None).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
    restaurant.stop().await?;
    menus.stop().await
}

#[tokio::test]
async fn the_restaurant_page_lists_dishes_by_category_with_unavailable_ones_marked() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (restaurant, menus) = spawn_both(&dir).await?;
    let (status, page) = menus.get("/restaurants/trattoria-roma", None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["restaurant"]["name"], "Trattoria Roma");
    assert_eq!(page["restaurant"]["itemCount"], 7);
    let categories: Vec<&str> = page["categories"].as_array().context("categories")?.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(categories, ["Antipasti", "Pizze", "Pasta"]);
    let pizze: Vec<&str> = page["categories"][1]["items"].as_array().context("pizze")?.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(pizze, ["Pizza Margherita", "Pizza Diavola", "Pizza Quattro Formaggi"]);
    let margherita = dish(&page, "roma-margherita").context("margherita")?;
    assert_eq!(margherita, &json!({
        "id": "roma-margherita", "restaurantId": "trattoria-roma", "category": "Pizze", "name": "Pizza Margherita",
        "description": margherita["description"], "priceCents": 1150, "available": true, "position": 2, "version": 1,
    }));
    assert_eq!(dish(&page, "roma-lasagne").context("lasagne")?["available"], false);
    assert_eq!(dishes(&page).len(), 8);

    let (status, body) = menus.get("/restaurants/no-such-place", None).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().is_some_and(|e| e.starts_with("No restaurant")), "{body}");
    let (status, body) = menus.get("/restaurants/not%20an%20id", None).await?;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id")));
    restaurant.stop().await?;
    menus.stop().await
}

#[tokio::test]
async fn a_price_change_by_the_owner_shows_in_the_menus_view() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (restaurant, menus) = spawn_both(&dir).await?;
    let margherita = json!({"category": "Pizze", "name": "Pizza Margherita", "description": "Now with buffalo mozzarella.", "priceCents": 1250, "available": true});
    let (status, _) = restaurant.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", &rita(), "price", margherita.clone()).await?;
    assert_eq!(status, StatusCode::OK);
    let page = menus.eventually("/restaurants/trattoria-roma", None, |page| dish(page, "roma-margherita").is_some_and(|d| d["priceCents"] == 1250)).await?;
    assert_eq!(dish(&page, "roma-margherita").context("margherita")?["description"], "Now with buffalo mozzarella.");

    // Kenji cannot change Rita's menu, so nothing reaches the view.
    let mut theft = margherita.clone();
    theft["priceCents"] = json!(1);
    let (status, _) = restaurant.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-margherita", &kenji(), "theft", theft).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let espresso = json!({"category": "Caffè", "name": "Espresso", "description": "A short, strong shot.", "priceCents": 250, "available": true});
    restaurant.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-espresso", &rita(), "espresso", espresso).await?;
    let list = menus
        .eventually("/restaurants?q=espresso", None, |body| body["restaurants"][0]["fromPriceCents"] == 250)
        .await?;
    assert_eq!(list["restaurants"][0]["itemCount"], 8);
    let page = menus.eventually("/restaurants/trattoria-roma", None, |page| dish(page, "roma-espresso").is_some()).await?;
    assert_eq!(page["categories"][3]["name"], "Caffè", "a new dish and its category go last");
    restaurant.stop().await?;
    menus.stop().await
}

#[tokio::test]
async fn a_removed_dish_disappears_from_the_page_and_from_search() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (restaurant, menus) = spawn_both(&dir).await?;
    let (status, _) = restaurant.command(Method::DELETE, "/restaurants/trattoria-roma/items/roma-carbonara", &rita(), "rm", Value::Null).await?;
    assert_eq!(status, StatusCode::OK);
    let page = menus.eventually("/restaurants/trattoria-roma", None, |page| dish(page, "roma-carbonara").is_none()).await?;
    assert_eq!(page["restaurant"]["itemCount"], 6);
    let (_, found) = menus.get("/restaurants?q=carbonara", None).await?;
    assert_eq!(names(&found), Vec::<String>::new());
    restaurant.stop().await?;
    menus.stop().await
}

#[tokio::test]
async fn queries_carry_a_public_etag_and_answer_304_when_it_matches() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (restaurant, menus) = spawn_both(&dir).await?;
    for path in ["/restaurants?q=roma", "/restaurants/trattoria-roma"] {
        let response = menus.request(Method::GET, path, None).send().await?;
        let headers = response.headers().clone();
        let body: Value = response.json().await?;
        assert_eq!(headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("public, max-age=30, must-revalidate"), "{path}");
        assert_eq!(headers.get("x-as-of").and_then(|v| v.to_str().ok()), Some(body["asOf"].to_string().as_str()), "{path}");
        let etag = headers.get("etag").context("an ETag")?.to_str()?.to_string();
        let cached = menus.request(Method::GET, path, None).header("if-none-match", &etag).send().await?;
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{path}");
        let other = menus.request(Method::GET, path, None).header("if-none-match", "\"something-else\"").send().await?;
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }
    let before = menus.request(Method::GET, "/restaurants/trattoria-roma", None).send().await?;
    let etag = before.headers().get("etag").context("an ETag")?.to_str()?.to_string();
    let burrata = json!({"category": "Antipasti", "name": "Burrata Pugliese", "description": "Creamy.", "priceCents": 1190, "available": true});
    restaurant.command(Method::PUT, "/restaurants/trattoria-roma/items/roma-burrata", &rita(), "burrata", burrata).await?;
    menus.eventually("/restaurants/trattoria-roma", None, |page| dish(page, "roma-burrata").is_some_and(|d| d["priceCents"] == 1190)).await?;
    let after = menus.request(Method::GET, "/restaurants/trattoria-roma", None).header("if-none-match", &etag).send().await?;
    assert_eq!(after.status(), StatusCode::OK, "a change makes the old ETag stale");
    restaurant.stop().await?;
    menus.stop().await
}

// Events straight to the hub, in chosen orders.

fn diner(version: i64, name: &str) -> Restaurant {
    Restaurant {
        id: "test-diner".into(),
        name: name.into(),
        cuisine: "American".into(),
        description: "Burgers and shakes.".into(),
        emoji: "🍔".into(),
        owner: "rita".into(),
        version,
    }
}

fn burger(version: i64, price_cents: i64) -> MenuItem {
    MenuItem {
        id: "diner-burger".into(),
        restaurant_id: "test-diner".into(),
        category: "Burgers".into(),
        name: "Cheeseburger".into(),
        description: "Two smashed patties and American cheese.".into(),
        price_cents,
        available: true,
        position: 0,
        version,
    }
}

fn restaurant_event(restaurant: &Restaurant) -> anyhow::Result<Envelope> {
    let kind = EventType::parse(RESTAURANT_UPDATED).map_err(anyhow::Error::msg)?;
    Ok(Envelope::new(kind, "restaurant", &restaurant.id, &restaurant.version.to_string(), now_millis(), serde_json::to_value(restaurant)?))
}

fn item_event(kind: &str, item: &MenuItem) -> anyhow::Result<Envelope> {
    let kind = EventType::parse(kind).map_err(anyhow::Error::msg)?;
    Ok(Envelope::new(kind, "restaurant", &item.id, &item.version.to_string(), now_millis(), serde_json::to_value(item)?))
}

/// Publishes one marker restaurant and waits for it: the listener applies events in log
/// order, so everything published before has been handled too.
async fn settle(menus: &TestBff, marker: &str) -> anyhow::Result<()> {
    let mut restaurant = diner(1, "Marker");
    restaurant.id = marker.into();
    menus.state.hub.publish(&[restaurant_event(&restaurant)?]).await?;
    menus.eventually(&format!("/restaurants/{marker}"), None, |_| true).await?;
    Ok(())
}

async fn diner_page(menus: &TestBff) -> anyhow::Result<Value> {
    let (status, page) = menus.get("/restaurants/test-diner", None).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    Ok(page)
}

#[tokio::test]
async fn an_older_version_arriving_after_a_newer_one_does_not_win() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let menus = TestBff::spawn_in(menus_bff::spec(), dir.path()).await?;
    let hub = &menus.state.hub;
    hub.publish(&[restaurant_event(&diner(2, "Test Diner Deluxe"))?, item_event(MENU_ITEM_UPDATED, &burger(3, 990))?]).await?;
    hub.publish(&[restaurant_event(&diner(1, "Test Diner"))?, item_event(MENU_ITEM_UPDATED, &burger(2, 500))?]).await?;
    settle(&menus, "marker-1").await?;
    let page = diner_page(&menus).await?;
    assert_eq!(page["restaurant"]["name"], "Test Diner Deluxe");
    assert_eq!(dish(&page, "diner-burger").context("burger")?["priceCents"], 990);
    assert_eq!(dish(&page, "diner-burger").context("burger")?["version"], 3);
    menus.stop().await
}

#[tokio::test]
async fn the_same_event_delivered_twice_is_applied_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let menus = TestBff::spawn_in(menus_bff::spec(), dir.path()).await?;
    let hub = &menus.state.hub;
    let restaurant = restaurant_event(&diner(1, "Test Diner"))?;
    let first = item_event(MENU_ITEM_UPDATED, &burger(1, 800))?;
    hub.publish(&[restaurant.clone(), first.clone()]).await?;
    // The hub drops a second publish of one id, so the copy goes in under another log id:
    // the listener sees the same event twice, as after a relay crash.
    hub.publish(&[item_event(MENU_ITEM_REMOVED, &burger(2, 800))?]).await?;
    hub.publish_raw(MENU_ITEM_UPDATED, "a-second-copy", &first.to_bytes()).await?;
    settle(&menus, "marker-2").await?;
    let page = diner_page(&menus).await?;
    assert!(dish(&page, "diner-burger").is_none(), "the copy did not bring the dish back: {page}");
    let processed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kit_processed WHERE consumer = 'menus-catalog' AND event_id = $1")
        .bind(&first.id)
        .fetch_one(&menus.state.store.pool)
        .await?;
    assert_eq!(processed, 1);
    menus.stop().await
}

#[tokio::test]
async fn a_stale_update_after_a_removal_does_not_resurrect_the_dish() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let menus = TestBff::spawn_in(menus_bff::spec(), dir.path()).await?;
    let hub = &menus.state.hub;
    hub.publish(&[restaurant_event(&diner(1, "Test Diner"))?, item_event(MENU_ITEM_UPDATED, &burger(1, 800))?]).await?;
    hub.publish(&[item_event(MENU_ITEM_REMOVED, &burger(3, 800))?]).await?;
    hub.publish(&[item_event(MENU_ITEM_UPDATED, &burger(2, 850))?]).await?;
    settle(&menus, "marker-3").await?;
    let page = diner_page(&menus).await?;
    assert!(dish(&page, "diner-burger").is_none(), "{page}");
    assert_eq!(page["restaurant"]["itemCount"], 0);
    assert_eq!(page["restaurant"]["fromPriceCents"], Value::Null);
    let (_, found) = menus.get("/restaurants?q=cheeseburger", None).await?;
    assert_eq!(names(&found), Vec::<String>::new());

    hub.publish(&[item_event(MENU_ITEM_UPDATED, &burger(4, 900))?]).await?;
    let page = menus.eventually("/restaurants/test-diner", None, |page| dish(page, "diner-burger").is_some()).await?;
    assert_eq!(dish(&page, "diner-burger").context("burger")?["priceCents"], 900, "a newer version brings it back");
    menus.stop().await
}

#[tokio::test]
async fn the_menus_view_works_on_postgresql() -> anyhow::Result<()> {
    let postgres = PostgresServer::start()?;
    let dir = tempfile::tempdir()?;
    let idp = dev_idp(dir.path()).await?;
    let mut config = BffConfig::for_data_dir(dir.path().to_path_buf(), idp.issuer());
    config.database_url = Some(postgres.database().await?);
    let app = Application::build(config, menus_bff::spec()).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    let hub = app.state().hub.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let mut fries = burger(1, 350);
    fries.id = "diner-fries".into();
    fries.name = "Fries_100%".into();
    fries.available = false;
    hub.publish(&[
        restaurant_event(&diner(1, "Test Diner"))?,
        item_event(MENU_ITEM_UPDATED, &burger(2, 990))?,
        item_event(MENU_ITEM_UPDATED, &burger(1, 500))?,
        item_event(MENU_ITEM_UPDATED, &fries)?,
    ])
    .await?;
    let started = Instant::now();
    let page = loop {
        let response = http.get(format!("{url}/restaurants/test-diner")).send().await?;
        if response.status() == StatusCode::OK {
            let page: Value = response.json().await?;
            if dishes(&page).len() == 2 {
                break page;
            }
        }
        ensure!(started.elapsed() < Duration::from_secs(15), "the diner never reached the view");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((page["restaurant"]["itemCount"].as_i64(), page["restaurant"]["fromPriceCents"].as_i64()), (Some(1), Some(990)));
    for (query, expected) in [("q=CHEESE", 1), ("q=american&cuisine=American", 1), ("q=fries_100%25", 1), ("q=fries%25x", 0), ("cuisine=Italian", 0)] {
        let body: Value = http.get(format!("{url}/restaurants?{query}")).send().await?.json().await?;
        assert_eq!(names(&body).len(), expected, "{query}: {body}");
    }
    let _ = stop.send(());
    task.await?
}
