//! The live-update gateway over a real WebSocket: who receives what (asserted on the wire),
//! resuming by position, `reset` beyond the window, composition pushes on deploy, and the
//! same-origin rule. Events are published straight into the embedded hub the host tails.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Browser, Host, TOKEN, setup, sign_in};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::{EventHub, Retention};
use tessera_host::client::DeployClient;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const ORDER_TYPES: &str = "order-placed,order-accepted,menu-item-updated,restaurant-updated";

async fn open(host: &Host, cookie: Option<&str>, query: &str) -> Socket {
    let mut request = format!("ws://{}/live?{query}", host.url.trim_start_matches("http://")).into_client_request().unwrap();
    if let Some(cookie) = cookie {
        request.headers_mut().insert("cookie", cookie.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.expect("the socket opens").0
}

/// The next message other than a heartbeat, or `None` when nothing comes within `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next()).await.ok()??.ok()?;
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "heartbeat" {
                return Some(value);
            }
        }
    }
}

async fn expect(socket: &mut Socket) -> Value {
    next(socket, Duration::from_secs(5)).await.expect("a message within 5 s")
}

async fn hub(host: &Host) -> Arc<dyn EventHub> {
    let path = host.dir.path().join("data").join("events.db");
    tessera_event_hub::connect(&path.display().to_string(), Retention::default()).await.unwrap()
}

fn order(kind: &str, id: &str, owner: &str, restaurant: &str) -> Envelope {
    let entity = json!({ "id": id, "customerId": owner, "restaurantId": restaurant });
    Envelope::new(EventType::parse(kind).unwrap(), "test", id, kind, 1, entity).with_tag("owner", owner).with_tag("restaurant", restaurant)
}

fn restaurant(id: &str, owner: &str) -> Envelope {
    Envelope::new(EventType::parse("restaurant-updated").unwrap(), "test", id, owner, 1, json!({ "id": id, "owner": owner }))
}

async fn signed_in(host: &Host, user: &str) -> String {
    let mut browser = Browser::new();
    sign_in(&mut browser, host, user, "/").await;
    browser.cookie_header(&host.url("/"))
}

#[tokio::test]
async fn each_socket_gets_only_the_events_its_user_may_see() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let hub = hub(&host).await;
    hub.publish(&[restaurant("roma", "rita")]).await.unwrap();
    let (alice, bob, rita) = (signed_in(&host, "alice").await, signed_in(&host, "bob").await, signed_in(&host, "rita").await);
    let query = format!("events={ORDER_TYPES}");
    let mut sockets = vec![
        ("alice", open(&host, Some(&alice), &query).await),
        ("bob", open(&host, Some(&bob), &query).await),
        ("rita", open(&host, Some(&rita), &query).await),
        ("guest", open(&host, None, &query).await),
    ];
    for (_, socket) in &mut sockets {
        assert_eq!(expect(socket).await["type"], "hello");
    }

    hub.publish(&[order("order-placed", "o1", "alice", "roma")]).await.unwrap();
    let menu = Envelope::new(EventType::parse("menu-item-updated").unwrap(), "test", "m1", "1", 1, json!({ "id": "m1", "price": 990 }));
    hub.publish(&[menu]).await.unwrap();

    for (who, socket) in &mut sockets {
        let first = expect(socket).await;
        let expected = if matches!(*who, "alice" | "rita") { "order-placed" } else { "menu-item-updated" };
        assert_eq!(first["event"]["type"], expected, "{who} got {first}");
        if expected == "order-placed" {
            assert_eq!(first["event"]["order"]["id"], "o1");
            assert_eq!(expect(socket).await["event"]["type"], "menu-item-updated", "{who}");
        }
        assert!(next(socket, Duration::from_millis(300)).await.is_none(), "{who}: nothing else");
    }
}

#[tokio::test]
async fn a_socket_resumes_after_its_position_and_is_told_to_reset_beyond_the_window() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let host = Host::start_with(host.stop().await, None, |config| config.live_window = 3).await;
    let hub = hub(&host).await;
    for i in 1..=5 {
        hub.publish(&[Envelope::new(EventType::parse("menu-item-updated").unwrap(), "test", &format!("m{i}"), "1", 1, json!({ "id": i }))]).await.unwrap();
    }
    let mut live = caught_up(&host, 5).await;

    // Resume after 3: exactly 4 and 5, in order.
    let mut resumed = open(&host, None, "after=3&events=menu-item-updated").await;
    assert_eq!(expect(&mut resumed).await, json!({ "type": "hello", "position": 3 }));
    assert_eq!(expect(&mut resumed).await["position"], 4);
    assert_eq!(expect(&mut resumed).await["position"], 5);
    hub.publish(&[Envelope::new(EventType::parse("menu-item-updated").unwrap(), "test", "m6", "1", 1, json!({ "id": 6 }))]).await.unwrap();
    assert_eq!(expect(&mut resumed).await["position"], 6, "then live, without a gap");
    assert_eq!(expect(&mut live).await["position"], 6);
    assert!(next(&mut resumed, Duration::from_millis(300)).await.is_none(), "nothing twice");

    // After 1 is older than the window of 3 (4, 5, 6 kept).
    let mut stale = open(&host, None, "after=1&events=menu-item-updated").await;
    assert_eq!(expect(&mut stale).await, json!({ "type": "reset", "position": 6 }));

    // A restarted host loads its window from the hub: resuming still works.
    let host = Host::start_with(host.stop().await, None, |config| config.live_window = 3).await;
    caught_up(&host, 6).await;
    let mut after_restart = open(&host, None, "after=4&events=menu-item-updated").await;
    assert_eq!(expect(&mut after_restart).await["type"], "hello");
    assert_eq!(expect(&mut after_restart).await["position"], 5);
    assert_eq!(expect(&mut after_restart).await["position"], 6);
}

/// A fresh socket once the gateway has read the hub up to `position` (the host tails the
/// file the test writes to by polling, so it is a few milliseconds behind).
async fn caught_up(host: &Host, position: u64) -> Socket {
    let started = std::time::Instant::now();
    loop {
        let mut socket = open(host, None, "events=menu-item-updated").await;
        let hello = expect(&mut socket).await;
        assert_eq!(hello["type"], "hello");
        if hello["position"] == position {
            return socket;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the gateway never reached {position}: {hello}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn subscribing_at_runtime_adds_event_types_and_deploys_are_pushed() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let hub = hub(&host).await;
    let mut socket = open(&host, None, "events=menu-item-updated").await;
    assert_eq!(expect(&mut socket).await["type"], "hello");
    socket.send(Message::Text(r#"{"type":"subscribe","events":["restaurant-updated"]}"#.into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    hub.publish(&[restaurant("sol", "kenji")]).await.unwrap();
    assert_eq!(expect(&mut socket).await["event"]["type"], "restaurant-updated");

    let manifest = json!({
        "name": "shop", "version": "1.0.0", "entry": "index.js", "files": ["index.js"],
        "activation": { "kind": "routes", "routes": ["/shop"] },
    });
    let files = vec![
        ("mfe.json".to_string(), serde_json::to_vec(&manifest).unwrap()),
        ("index.js".to_string(), b"export function mount() {} export function unmount() {}".to_vec()),
    ];
    let outcome = DeployClient::new(host.url.clone(), TOKEN).deploy_files(files).await.unwrap();
    let pushed = expect(&mut socket).await;
    assert_eq!(pushed, json!({ "type": "composition-updated", "version": outcome.composition }));
}

#[tokio::test]
async fn sockets_from_other_sites_are_refused() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let mut request = format!("ws://{}/live?events=order-placed", host.url.trim_start_matches("http://")).into_client_request().unwrap();
    request.headers_mut().insert("origin", "http://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|(_, r)| r.status())),
    }
}

#[tokio::test]
async fn a_socket_closes_when_its_session_is_signed_out() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &host, "alice", "/").await;
    let cookie = browser.cookie_header(&host.url("/"));
    let mut socket = open(&host, Some(&cookie), "events=order-placed").await;
    assert_eq!(expect(&mut socket).await["type"], "hello");
    let logout = browser.http.post(host.url("/auth/logout"));
    browser.send(logout, &host.url("/")).await;
    // The gateway notices at its next heartbeat (15 s).
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("closed within a heartbeat");
    assert_eq!(closed, Some(4401));
}
