//! One conformance suite, run against both engines: the embedded SQLite log and NATS
//! JetStream (a real nats-server started by the test).

use std::time::Duration;

use serde_json::json;
use tessera_contracts::{Envelope, EventType};
use tessera_event_hub::testing::{Engine, TestHub};
use tessera_event_hub::{Delivered, HubError, Retention, StartFrom, Subscription};

const PATIENCE: Duration = Duration::from_secs(10);

fn event(kind: &str, n: u64) -> Envelope {
    Envelope::new(EventType::parse(kind).unwrap(), "test", &format!("thing-{n}"), &n.to_string(), n as i64, json!({ "n": n }))
}

async fn next(sub: &mut Box<dyn Subscription>) -> Delivered {
    tokio::time::timeout(PATIENCE, sub.next()).await.expect("an event within the patience window").expect("a healthy hub")
}

fn n_of(delivered: &Delivered) -> u64 {
    delivered.envelope().unwrap().entity().unwrap()["n"].as_u64().unwrap()
}

async fn events_are_delivered_in_order_with_increasing_positions(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    let batch: Vec<_> = (1..=20).map(|n| event("thing-created", n)).collect();
    t.hub.publish(&batch).await.unwrap();
    let mut sub = t.hub.subscribe("reader", &[], StartFrom::Beginning).await.unwrap();
    let mut last = 0;
    for n in 1..=20 {
        let d = next(&mut sub).await;
        assert!(d.position > last, "positions increase");
        last = d.position;
        assert_eq!(n_of(&d), n);
        assert_eq!(d.kind, "thing-created");
    }
    assert_eq!(t.hub.head().await.unwrap(), last);
}

async fn a_subscription_resumes_after_a_given_position(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    t.hub.publish(&(1..=10).map(|n| event("thing-created", n)).collect::<Vec<_>>()).await.unwrap();
    let mut sub = t.hub.subscribe("reader", &[], StartFrom::Beginning).await.unwrap();
    let mut fourth = 0;
    for _ in 0..4 {
        fourth = next(&mut sub).await.position;
    }
    drop(sub);
    let mut sub = t.hub.subscribe("reader", &[], StartFrom::After(fourth)).await.unwrap();
    assert_eq!(n_of(&next(&mut sub).await), 5);
}

async fn acknowledged_positions_survive_a_new_subscription(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    t.hub.publish(&(1..=6).map(|n| event("thing-created", n)).collect::<Vec<_>>()).await.unwrap();
    let mut sub = t.hub.subscribe("durable", &[], StartFrom::Beginning).await.unwrap();
    for _ in 0..3 {
        let d = next(&mut sub).await;
        sub.ack(d.position).await.unwrap();
    }
    drop(sub);
    // Let JetStream process the acknowledgements before the consumer is looked up again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other = t.reconnect(Retention::default()).await.unwrap();
    let mut sub = other.subscribe("durable", &[], StartFrom::Acknowledged).await.unwrap();
    assert_eq!(n_of(&next(&mut sub).await), 4);
}

async fn a_waiting_subscriber_wakes_for_a_new_event(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    let mut sub = t.hub.subscribe("live", &[], StartFrom::Beginning).await.unwrap();
    let hub = t.hub.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        hub.publish(&[event("thing-created", 1)]).await.unwrap();
    });
    assert_eq!(n_of(&next(&mut sub).await), 1);
}

async fn another_connection_sees_events_published_by_the_first(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    let other = t.reconnect(Retention::default()).await.unwrap();
    let mut sub = other.subscribe("elsewhere", &[], StartFrom::Beginning).await.unwrap();
    t.hub.publish(&[event("thing-created", 7)]).await.unwrap();
    assert_eq!(n_of(&next(&mut sub).await), 7);
}

async fn subscriptions_can_select_event_types(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    t.hub.publish(&[event("thing-created", 1), event("other-happened", 2), event("thing-created", 3)]).await.unwrap();
    let mut sub = t.hub.subscribe("picky", &["thing-created".to_string()], StartFrom::Beginning).await.unwrap();
    assert_eq!(n_of(&next(&mut sub).await), 1);
    assert_eq!(n_of(&next(&mut sub).await), 3);
    let mut both = t.hub.subscribe("both", &["thing-created".to_string(), "other-happened".to_string()], StartFrom::Beginning).await.unwrap();
    let kinds: Vec<String> = [next(&mut both).await, next(&mut both).await, next(&mut both).await].into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, ["thing-created", "other-happened", "thing-created"]);
}

async fn publishing_the_same_event_twice_stores_it_once(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    t.hub.publish(&[event("thing-created", 1)]).await.unwrap();
    t.hub.publish(&[event("thing-created", 1), event("thing-created", 2)]).await.unwrap();
    let mut sub = t.hub.subscribe("reader", &[], StartFrom::Beginning).await.unwrap();
    assert_eq!(n_of(&next(&mut sub).await), 1);
    assert_eq!(n_of(&next(&mut sub).await), 2);
    assert!(tokio::time::timeout(Duration::from_millis(300), sub.next()).await.is_err(), "no third event");
}

async fn unparseable_events_are_delivered_as_bytes(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    t.hub.publish_raw("thing-created", "poison-1", b"{not json").await.unwrap();
    let mut sub = t.hub.subscribe("reader", &[], StartFrom::Beginning).await.unwrap();
    let d = next(&mut sub).await;
    assert_eq!(d.body, b"{not json");
    assert!(d.envelope().is_err());
}

async fn positions_older_than_retention_are_refused(engine: Engine) {
    let retention = Retention { max_age: Duration::from_secs(3600), max_events: 5 };
    let t = TestHub::start(engine, retention).await.unwrap();
    t.hub.publish(&(1..=10).map(|n| event("thing-created", n)).collect::<Vec<_>>()).await.unwrap();
    t.hub.enforce_retention().await.unwrap();
    match t.hub.subscribe("late", &[], StartFrom::After(1)).await {
        Err(HubError::Expired { requested: 1, first }) => assert!(first > 2),
        other => panic!("expected Expired, got {:?}", other.map(|_| ())),
    }
    let mut sub = t.hub.subscribe("late", &[], StartFrom::Beginning).await.unwrap();
    assert_eq!(n_of(&next(&mut sub).await), 6, "the oldest kept event");
}

async fn the_last_position_of_some_types_is_known(engine: Engine) {
    let t = TestHub::start(engine, Retention::default()).await.unwrap();
    assert_eq!(t.hub.last_position(&["thing-created".to_string()]).await.unwrap(), 0);
    t.hub.publish(&[event("thing-created", 1), event("thing-created", 2), event("other-happened", 3)]).await.unwrap();
    let mut sub = t.hub.subscribe("reader", &[], StartFrom::Beginning).await.unwrap();
    let positions = [next(&mut sub).await.position, next(&mut sub).await.position, next(&mut sub).await.position];
    assert_eq!(t.hub.last_position(&["thing-created".to_string()]).await.unwrap(), positions[1]);
    assert_eq!(t.hub.last_position(&["thing-created".to_string(), "other-happened".to_string()]).await.unwrap(), positions[2]);
    assert_eq!(t.hub.last_position(&[]).await.unwrap(), positions[2]);
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $name() { super::$name(tessera_event_hub::testing::Engine::Embedded).await })*
        }
        mod nats {
            $(#[tokio::test] async fn $name() { super::$name(tessera_event_hub::testing::Engine::Nats).await })*
        }
    };
}

conformance!(
    events_are_delivered_in_order_with_increasing_positions,
    a_subscription_resumes_after_a_given_position,
    acknowledged_positions_survive_a_new_subscription,
    a_waiting_subscriber_wakes_for_a_new_event,
    another_connection_sees_events_published_by_the_first,
    subscriptions_can_select_event_types,
    publishing_the_same_event_twice_stores_it_once,
    unparseable_events_are_delivered_as_bytes,
    positions_older_than_retention_are_refused,
    the_last_position_of_some_types_is_known,
);
