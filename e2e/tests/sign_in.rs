//! Sign-in through OpenID Connect in real Chromium: the host sends people to the (dev)
//! provider's login page and back; nav and routes follow the role; protected routes send a
//! signed-out visitor to sign in and back; sign-out ends the session. Plus the attack matrix
//! through the host: whatever a browser sends as `Authorization`, the BFF never sees it.

use serde_json::Value;
use tessera_e2e::{Browser, System, button, dist_or_skip, heading, nav_link};

async fn session(browser: &Browser) -> anyhow::Result<Value> {
    browser.eval("return fetch('/auth/session').then(r => r.json())").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_user_signs_in_at_the_provider_and_sees_the_screens_of_their_role() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(1280, 800).await?;
    // (name, where they start, nav entries they see, nav entries they do not)
    let users = [
        ("Alice Customer", "/orders", heading("Your orders"), ["Orders"], ["Kitchen", "Deliveries"]),
        ("Rita Rossi", "/restaurant", heading("Kitchen"), ["Kitchen"], ["Orders", "Deliveries"]),
        ("Dan Driver", "/driver", heading("Deliveries"), ["Deliveries"], ["Orders", "Kitchen"]),
    ];
    for (name, start, expect, shown, hidden) in users {
        browser.goto(&system.url(&format!("/auth/login?returnTo={start}"))).await?;
        // The provider's own login page, on another origin.
        browser.wait_for(&heading("Sign in")).await?;
        let at = browser.eval("return location.origin").await?;
        assert_eq!(at, system.idp.issuer(), "the login page is the provider's");
        browser.click(&format!("//button[@aria-label='Sign in as {name}']")).await?;
        browser.wait_for(&expect).await?;
        assert_eq!(browser.eval("return location.pathname").await?, start, "back where the sign-in started");
        for label in shown {
            browser.wait_for(&nav_link(label)).await?;
        }
        for label in hidden {
            assert!(!browser.exists(&nav_link(label)).await?, "{name} must not see {label}");
        }
        let who = session(&browser).await?;
        assert_eq!(who["name"], name);
        assert!(!who.to_string().contains("eyJ"), "no token reaches the page: {who}");
        assert_eq!(browser.eval("return document.cookie").await?, "", "the session cookie is HttpOnly");
        browser.screenshot(&format!("signed-in-{}", name.split(' ').next().unwrap_or(name).to_lowercase())).await?;

        browser.click(&button("Sign out")).await?;
        browser.wait_for("//header//a[normalize-space()='Sign in']").await?;
        assert_eq!(session(&browser).await?["signedIn"], false, "{name} signed out");
    }
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_route_leads_a_signed_out_visitor_to_sign_in_and_back() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(1280, 800).await?;

    browser.goto(&system.url("/orders")).await?;
    browser.click("//button[@aria-label='Sign in as Alice Customer']").await?;
    browser.wait_for(&heading("Your orders")).await?;
    assert_eq!(browser.eval("return location.pathname").await?, "/orders");

    // Signed in, but the page belongs to another role.
    browser.goto(&system.url("/restaurant")).await?;
    browser.wait_for(&heading("This page is not for your account")).await?;
    browser.screenshot("protected-route-wrong-role").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_sent_by_a_browser_never_reach_a_bff_through_the_host() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let http = reqwest::Client::new();
    let alice = system.idp.token_for("alice", "Alice Customer", &["customer".to_string()]);
    // Even a perfectly valid token is not accepted from a browser: only the session counts.
    let mut expired = system.idp.claims_for("alice", "Alice Customer", &["customer".to_string()]);
    expired.exp -= 3600;
    expired.iat -= 7200;
    expired.nbf -= 7200;
    for token in [alice.clone(), system.idp.mint(&expired), "not-a-token".to_string()] {
        let answer = http.get(system.url("/api/orders/orders")).bearer_auth(&token).send().await?;
        assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED, "through the host, {token:.20}…");
    }
    // Directly, the same valid token works: the BFF itself verifies, the host only carries.
    let direct = http.get(format!("{}/orders", system.bffs["orders"].url)).bearer_auth(&alice).send().await?;
    assert_eq!(direct.status(), reqwest::StatusCode::OK);
    // State-changing calls through the host without the anti-CSRF header.
    let answer = http.put(system.url("/api/cart/cart/items/roma-margherita")).json(&serde_json::json!({ "quantity": 1 })).send().await?;
    assert_eq!(answer.status(), reqwest::StatusCode::FORBIDDEN);
    // An open redirect through returnTo.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let answer = no_redirects.get(system.url("/auth/login?returnTo=//evil.example/")).send().await?;
    assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
    Ok(())
}
