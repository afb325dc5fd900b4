//! Attacks on the bearer token, against a running orders BFF (it holds per-user data): each
//! forged, stale or misdirected token is refused with 401 for the expected reason (counted in
//! `/metrics`), a valid token of another user sees none of Alice's data, and a missing role
//! is 403. A valid token works, so none of this can pass by refusing everything.
//!
//! One test on purpose: the refusal counters are process-wide, and the deltas checked here
//! must not see another test's refusals.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_bff_kit::testing::{AccessClaims, DevIdp, TestBff, TestUser, dev_idp};
use tessera_contracts::food::{Order, OrderLine, OrderStatus};
use tessera_contracts::{Envelope, EventType};

const ALICES_ORDER: &str = "/orders/o-alice";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

fn placed(id: &str, customer: &str) -> anyhow::Result<Envelope> {
    let order = Order {
        id: id.into(),
        customer_id: customer.into(),
        customer_name: format!("{customer} Customer"),
        restaurant_id: "roma".into(),
        restaurant_name: "Trattoria Roma".into(),
        lines: vec![OrderLine { item_id: "margherita".into(), name: "Margherita".into(), price_cents: 1200, quantity: 1 }],
        total_cents: 1200,
        delivery_address: "Via Roma 1, Milano".into(),
        note: String::new(),
        status: OrderStatus::Placed,
        placed_at: 1_000,
        status_at: 1_000,
        driver_id: None,
        reason: None,
    };
    let kind = EventType::parse(order.status.event_type()).map_err(anyhow::Error::msg)?;
    let event = Envelope::new(kind, "test", &order.id, "placed", order.status_at, serde_json::to_value(&order)?);
    Ok(order.tags().into_iter().fold(event, |event, (key, value)| event.with_tag(key, value)))
}

/// `bff_auth_refused_total{reason="…"}` as `/metrics` shows it (0 before the first refusal).
async fn refused(bff: &TestBff, reason: &str) -> anyhow::Result<u64> {
    let metrics = bff.http.get(format!("{}/metrics", bff.url)).send().await?.text().await?;
    let series = format!("bff_auth_refused_total{{reason=\"{reason}\"}} ");
    Ok(metrics.lines().find_map(|line| line.strip_prefix(&series)).map(|n| n.trim().parse()).transpose()?.unwrap_or(0))
}

async fn get_with(bff: &TestBff, authorization: &str) -> anyhow::Result<(StatusCode, Option<String>, Value)> {
    let response = bff.http.get(format!("{}{ALICES_ORDER}", bff.url)).header("authorization", authorization).send().await?;
    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_string);
    Ok((response.status(), challenge, response.json().await?))
}

/// Signs with any key and header: how an attacker builds a token.
fn forge(header: &Header, claims: &impl serde::Serialize, key: &EncodingKey) -> anyhow::Result<String> {
    Ok(jsonwebtoken::encode(header, claims, key)?)
}

fn rs256(kid: &str) -> Header {
    Header { kid: Some(kid.to_string()), ..Header::new(Algorithm::RS256) }
}

/// The private key a dev provider keeps in its data directory (`<data>/dev-idp/signing-key.pem`).
fn private_key(dir: &std::path::Path) -> anyhow::Result<EncodingKey> {
    Ok(EncodingKey::from_rsa_pem(&std::fs::read(dir.join("dev-idp").join("signing-key.pem")).context("reading a dev provider's key")?)?)
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Alice's claims, changed by `change`, signed by the provider.
fn alice_with(idp: &DevIdp, change: impl FnOnce(&mut AccessClaims)) -> String {
    let mut claims = idp.claims_for("alice", "Alice Customer", &["customer".to_string()]);
    change(&mut claims);
    idp.mint(&claims)
}

#[tokio::test]
async fn every_forged_stale_or_misdirected_token_is_refused_and_a_valid_one_works() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp: Arc<DevIdp> = dev_idp(dir.path()).await?;
    let orders = TestBff::spawn_with(orders_bff::spec(), dir.path(), idp.clone()).await?;
    let driver = TestBff::spawn_with(driver_bff::spec(), dir.path(), idp.clone()).await?;
    let alice = TestUser { name: "Alice Customer".into(), ..TestUser::new("alice", &["customer"]) };
    let bob = TestUser::new("bob", &["customer"]);

    // Alice has an order, and her valid token reads it.
    orders.state.hub.publish(&[placed("o-alice", "alice")?, placed("o-bob", "bob")?]).await?;
    orders.eventually("/orders", Some(&bob), |list| list["orders"].as_array().is_some_and(|o| o.len() == 1)).await?;
    let (status, detail) = orders.get(ALICES_ORDER, Some(&alice)).await?;
    assert_eq!((status, detail["order"]["customerId"].as_str()), (StatusCode::OK, Some("alice")), "a valid token works: {detail}");

    let kid = idp.key_id().to_string();
    let genuine = idp.token_for("alice", "Alice Customer", &["customer".to_string()]);
    let [header, payload, signature]: [&str; 3] = genuine.split('.').collect::<Vec<_>>().try_into().map_err(|_| anyhow::anyhow!("a JWS"))?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;

    let mut restaurant_alice = claims.clone();
    restaurant_alice["roles"] = json!(["customer", "restaurant"]);
    let other_dir = tempfile::tempdir()?;
    dev_idp(other_dir.path()).await?; // a second provider, only for its freshly generated key
    let hs256 = Header { kid: Some(kid.clone()), ..Header::new(Algorithm::HS256) };

    let attacks: Vec<(&str, String, &str)> = vec![
        ("expired beyond the leeway", alice_with(&idp, |c| (c.iat, c.exp) = (now() - 3_600, now() - 600)), "expired"),
        ("not valid yet", alice_with(&idp, |c| c.nbf = now() + 3_600), "not-yet-valid"),
        ("from another issuer", alice_with(&idp, |c| c.iss = "https://evil.example".into()), "issuer"),
        ("for another audience", alice_with(&idp, |c| c.aud = "another-api".into()), "audience"),
        ("payload altered after signing", format!("{header}.{}.{signature}", b64(restaurant_alice.to_string())), "signature"),
        ("signed by another key under the real kid", forge(&rs256(&kid), &claims, &private_key(other_dir.path())?)?, "signature"),
        ("alg none", format!("{}.{payload}.", b64(json!({ "alg": "none", "typ": "JWT", "kid": kid }).to_string())), "algorithm"),
        ("HS256 keyed with the public key PEM", forge(&hs256, &claims, &EncodingKey::from_secret(idp.public_key_pem().as_bytes()))?, "algorithm"),
        ("an unknown kid", forge(&rs256("nope"), &claims, &private_key(dir.path())?)?, "unknown-key"),
        ("not a JWT", "abc".into(), "malformed"),
    ];
    for (attack, token, reason) in &attacks {
        let before = refused(&orders, reason).await?;
        let (status, challenge, body) = get_with(&orders, &format!("Bearer {token}")).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{attack}: {body}");
        assert_eq!(challenge.as_deref(), Some(r#"Bearer error="invalid_token""#), "{attack}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{attack}: {body}");
        assert_eq!(refused(&orders, reason).await?, before + 1, "{attack}: refused as `{reason}`");
    }

    // Another scheme is not a bearer token.
    let before = refused(&orders, "missing").await?;
    assert_eq!(get_with(&orders, "Basic YWxpY2U6c2VjcmV0").await?.0, StatusCode::UNAUTHORIZED);
    assert_eq!(refused(&orders, "missing").await?, before + 1);

    // No token at all: not a refused token, just nobody signed in.
    let (status, _) = orders.get(ALICES_ORDER, None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Bob's valid token: Alice's order does not exist for him, and his list is his own.
    let (status, _) = orders.get(ALICES_ORDER, Some(&bob)).await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "someone else's order answers like a missing one");
    let (_, list) = orders.get("/orders", Some(&bob)).await?;
    ensure!(list["orders"].as_array().is_some_and(|o| o.iter().all(|o| o["customerId"] == "bob")), "only Bob's orders: {list}");

    // Valid tokens without the route's role.
    assert_eq!(orders.get(ALICES_ORDER, Some(&TestUser::new("rita", &["restaurant"]))).await?.0, StatusCode::FORBIDDEN);
    assert_eq!(driver.get("/deliveries", Some(&alice)).await?.0, StatusCode::FORBIDDEN, "a customer on a driver-only route");

    // After all that, the valid token still works.
    let response = orders.request(Method::GET, ALICES_ORDER, None).bearer_auth(&genuine).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    Ok(())
}
