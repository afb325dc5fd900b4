//! The Food Delivery reference system in real Chromium, as its three kinds of users see it: a
//! customer finds a restaurant, fills a cart and orders; the restaurant accepts and prepares;
//! a driver claims, picks up and delivers; the customer sees every step. The BFFs talk only
//! through events on the hub.

use serde_json::Value;
use tessera_bff_kit::testing::TestUser;
use tessera_e2e::{Browser, System, add_to_cart, button, dist_or_skip, heading, nav_link};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_orders_and_the_restaurant_and_the_driver_fulfil_it() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(1280, 900).await?;

    // The customer browses: restaurants come from the restaurant BFF's seed, through the hub.
    browser.sign_in(&system, "Alice Customer", "/", &heading("Restaurants")).await?;
    browser.wait_for("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    assert!(!browser.exists(&nav_link("Kitchen")).await?, "a customer has no kitchen");
    let search = browser.wait_for("//input[@aria-label='Search restaurants']").await?;
    search.send_keys("sushi").await?;
    browser.wait_for("//a[.//*[normalize-space()='Sakura Sushi']]").await?;
    browser.wait_gone("//a[.//*[normalize-space()='Trattoria Roma']]").await?;
    browser.screenshot("food-restaurants-1280").await?;

    // A cart holds one restaurant's dishes.
    browser.goto(&system.url("/restaurants/trattoria-roma")).await?;
    browser.wait_for(&heading("Trattoria Roma")).await?;
    browser.click(&format!("{}//button[@aria-label='One more']", add_to_cart("Pizza Margherita"))).await?;
    browser.click(&format!("{}//button[normalize-space()='Add']", add_to_cart("Pizza Margherita"))).await?;
    browser.wait_for(&format!("{}//button[normalize-space()='Add more']", add_to_cart("Pizza Margherita"))).await?;
    browser.click(&format!("{}//button[normalize-space()='Add']", add_to_cart("Spaghetti Carbonara"))).await?;
    browser.wait_for(&format!("{}//button[normalize-space()='Add more']", add_to_cart("Spaghetti Carbonara"))).await?;
    browser.screenshot("food-menu-1280").await?;
    browser.goto(&system.url("/restaurants/sakura-sushi")).await?;
    browser.wait_for(&heading("Sakura Sushi")).await?;
    browser.click("(//*[@role='group' and starts-with(@aria-label, 'Add ')]//button[normalize-space()='Add'])[1]").await?;
    browser.wait_for("//*[@role='alert' and contains(., 'Trattoria Roma')]").await?;

    // Checkout: 2 × €11.50 + €13.90 = €36.90.
    browser.click(&nav_link("Cart")).await?;
    browser.wait_for(&heading("Your cart")).await?;
    browser.wait_for("//*[contains(normalize-space(), '€36.90')]").await?;
    browser.wait_for("//*[(self::input or self::textarea) and @id=//label[normalize-space()='Delivery address']/@for]").await?.send_keys("12 Harbour Street, Flat 3").await?;
    browser.screenshot("food-cart-1280").await?;
    browser.click(&button("Place order")).await?;
    browser.wait_for(&heading("Order from Trattoria Roma")).await?;
    let path = browser.eval("return window.location.pathname").await?;
    let order_id = path.as_str().and_then(|p| p.strip_prefix("/orders/")).expect("the order page").to_string();

    // Exactly one order reached the orders BFF, through the hub.
    let alice = TestUser::new("alice", &["customer"]);
    let orders = system.bffs["orders"].eventually("/orders", Some(&alice), |v| v["orders"].as_array().is_some_and(|o| !o.is_empty())).await?;
    let orders = orders["orders"].as_array().cloned().unwrap_or_default();
    assert_eq!(orders.len(), 1, "one order: {orders:?}");
    assert_eq!(orders[0]["id"], Value::String(order_id.clone()));
    assert_eq!(orders[0]["totalCents"], 3690);

    // The restaurant accepts and prepares it.
    browser.sign_in(&system, "Rita Rossi", "/restaurant", &heading("Kitchen")).await?;
    assert!(!browser.exists(&nav_link("Cart")).await?, "a restaurant has no cart");
    // Rita runs two restaurants; the kitchen points at the one with the new order.
    browser.click(&button("Show Trattoria Roma")).await?;
    browser.wait_for("//article//h3[contains(., 'Alice Customer')]").await?;
    browser.screenshot("food-kitchen-1280").await?;
    browser.click(&button("Accept")).await?;
    browser.click(&button("Mark ready")).await?;

    // A driver claims, picks up and delivers it.
    browser.sign_in(&system, "Dan Driver", "/driver", &heading("Deliveries")).await?;
    browser.click(&button("Claim")).await?;
    browser.click(&button("Picked up")).await?;
    browser.screenshot("food-driver-1280").await?;
    browser.click(&button("Delivered")).await?;

    // The customer sees every step on the order's page.
    browser.sign_in(&system, "Alice Customer", &format!("/orders/{order_id}"), &heading("Order from Trattoria Roma")).await?;
    for step in ["Placed", "Accepted", "Ready for pickup", "On the way", "Delivered"] {
        browser.wait_for(&format!("//ol[contains(@class,'timeline')]//*[contains(normalize-space(), '{step}')]")).await?;
    }
    browser.wait_for("//ol[contains(@class,'timeline')]//*[@aria-current='step' and contains(normalize-space(), 'Delivered')]").await?;
    browser.screenshot("food-order-1280").await?;
    let order = system.bffs["orders"].eventually(&format!("/orders/{order_id}"), Some(&alice), |v| v["order"]["status"] == "delivered").await?;
    assert_eq!(order["timeline"].as_array().map(Vec::len), Some(5), "each step once: {order}");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_browse_but_are_asked_to_sign_in_to_order_and_phones_get_the_same_screens() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(390, 844).await?;
    browser.goto(&system.url("/restaurants/green-bowl")).await?;
    browser.wait_for(&heading("Green Bowl")).await?;
    browser.wait_for("//*[normalize-space()='Sold out']").await?;
    // The cart's parcel is there for a guest too, and asks them to sign in before ordering.
    browser.click(&format!("{}//button[normalize-space()='Add']", add_to_cart("Buddha Bowl"))).await?;
    browser.wait_for(&format!("{}/..//a[normalize-space()='Sign in to order']", add_to_cart("Buddha Bowl"))).await?;
    browser.screenshot("food-menu-390").await?;
    browser.goto(&system.url("/cart")).await?;
    browser.wait_for(&heading("Your cart")).await?;
    browser.click("//main//a[contains(@href, '/auth/login')]").await?;
    browser.click("//button[@aria-label='Sign in as Bob Customer']").await?;
    browser.wait_for("//*[normalize-space()='Your cart is empty']").await?;
    assert_eq!(browser.eval("return window.location.pathname").await?, "/cart", "back where the guest was");
    browser.screenshot("food-cart-empty-390").await?;
    browser.close().await
}
