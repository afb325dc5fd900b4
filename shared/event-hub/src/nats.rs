//! The NATS JetStream engine: one stream (`TESSERA`, subjects `tessera.events.<type>`),
//! durable pull consumers with explicit acknowledgements, deduplication by `Nats-Msg-Id`.
//! Positions are stream sequence numbers.

use std::collections::VecDeque;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_trait::async_trait;
use futures_util::StreamExt;
use tessera_contracts::Envelope;

use crate::{Delivered, EventHub, HubError, Position, Retention, StartFrom, Subscription};

const STREAM: &str = "TESSERA";
const SUBJECT_PREFIX: &str = "tessera.events.";

#[derive(Debug, Clone)]
pub struct NatsHub {
    client: async_nats::Client,
    js: jetstream::Context,
}

fn unavailable(error: impl std::fmt::Display) -> HubError {
    HubError::Unavailable(error.to_string())
}

/// Consumer names may not contain `.`, `*`, `>` or whitespace.
fn consumer_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

impl NatsHub {
    pub async fn connect(url: &str, retention: Retention) -> Result<Self, HubError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .retry_on_initial_connect()
            .connect(url)
            .await
            .map_err(unavailable)?;
        let js = jetstream::new(client.clone());
        js.get_or_create_stream(stream::Config {
            name: STREAM.to_string(),
            subjects: vec![format!("{SUBJECT_PREFIX}>")],
            storage: stream::StorageType::File,
            max_age: retention.max_age,
            max_messages: i64::try_from(retention.max_events).unwrap_or(i64::MAX),
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .map_err(unavailable)?;
        Ok(Self { client, js })
    }

    async fn send(&self, kind: &str, id: &str, body: Vec<u8>) -> Result<jetstream::context::PublishAckFuture, HubError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        self.js.publish_with_headers(format!("{SUBJECT_PREFIX}{kind}"), headers, body.into()).await.map_err(unavailable)
    }

    async fn state(&self) -> Result<stream::State, HubError> {
        let mut stream = self.js.get_stream(STREAM).await.map_err(unavailable)?;
        Ok(stream.info().await.map_err(unavailable)?.state.clone())
    }
}

#[async_trait]
impl EventHub for NatsHub {
    async fn publish(&self, events: &[Envelope]) -> Result<(), HubError> {
        // Pipelined: send all, then wait for every acknowledgement.
        let mut acks = Vec::with_capacity(events.len());
        for event in events {
            acks.push(self.send(event.kind.as_str(), &event.id, event.to_bytes()).await?);
        }
        for ack in acks {
            ack.await.map_err(unavailable)?;
        }
        Ok(())
    }

    async fn publish_raw(&self, kind: &str, id: &str, body: &[u8]) -> Result<(), HubError> {
        self.send(kind, id, body.to_vec()).await?.await.map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, types: &[String], from: StartFrom) -> Result<Box<dyn Subscription>, HubError> {
        let name = consumer_name(consumer);
        let state = self.state().await?;
        let from = match from {
            // Messages the last subscriber fetched but never acknowledged would wait out their
            // ack deadline; restarting the consumer just after its ack floor delivers them now.
            StartFrom::Acknowledged => {
                let stream = self.js.get_stream(STREAM).await.map_err(unavailable)?;
                match stream.consumer_info(&name).await {
                    Ok(info) => StartFrom::After(info.ack_floor.stream_sequence),
                    Err(_) => StartFrom::Beginning,
                }
            }
            other => other,
        };
        let deliver_policy = match from {
            StartFrom::Beginning | StartFrom::Acknowledged => consumer::DeliverPolicy::All,
            StartFrom::After(0) => consumer::DeliverPolicy::All,
            StartFrom::After(position) => {
                if position + 1 < state.first_sequence && state.first_sequence > 1 {
                    return Err(HubError::Expired { requested: position, first: state.first_sequence });
                }
                consumer::DeliverPolicy::ByStartSequence { start_sequence: position + 1 }
            }
        };
        // A durable consumer keeps its start position; starting elsewhere means starting afresh.
        let _ = self.js.delete_consumer_from_stream(&name, STREAM).await;
        let filter_subject = match types {
            [single] => format!("{SUBJECT_PREFIX}{single}"),
            _ => format!("{SUBJECT_PREFIX}>"),
        };
        let stream = self.js.get_stream(STREAM).await.map_err(unavailable)?;
        let pull = stream
            .get_or_create_consumer(
                &name,
                consumer::pull::Config {
                    durable_name: Some(name.clone()),
                    deliver_policy,
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(60),
                    filter_subject,
                    ..Default::default()
                },
            )
            .await
            .map_err(unavailable)?;
        let messages = pull.messages().await.map_err(unavailable)?;
        Ok(Box::new(NatsSubscription { types: types.to_vec(), messages, unacked: VecDeque::new() }))
    }

    async fn head(&self) -> Result<Position, HubError> {
        Ok(self.state().await?.last_sequence)
    }

    async fn last_position(&self, types: &[String]) -> Result<Position, HubError> {
        if types.is_empty() {
            return self.head().await;
        }
        let stream = self.js.get_stream(STREAM).await.map_err(unavailable)?;
        let mut last = 0;
        for kind in types {
            // "No message" is an error here; it means position 0 for that type.
            if let Ok(message) = stream.get_last_raw_message_by_subject(&format!("{SUBJECT_PREFIX}{kind}")).await {
                last = last.max(message.sequence);
            }
        }
        Ok(last)
    }

    async fn enforce_retention(&self) -> Result<(), HubError> {
        // JetStream applies max_age and max_messages itself.
        Ok(())
    }

    async fn health(&self) -> Result<(), HubError> {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return Err(HubError::Unavailable("not connected to NATS".into()));
        }
        self.state().await.map(drop)
    }
}

struct NatsSubscription {
    types: Vec<String>,
    messages: consumer::pull::Stream,
    unacked: VecDeque<(Position, jetstream::Message)>,
}

#[async_trait]
impl Subscription for NatsSubscription {
    async fn next(&mut self) -> Result<Delivered, HubError> {
        loop {
            let message = match self.messages.next().await {
                Some(Ok(message)) => message,
                Some(Err(error)) => return Err(unavailable(error)),
                None => return Err(HubError::Unavailable("the NATS subscription ended".into())),
            };
            let position = message.info().map_err(unavailable)?.stream_sequence;
            let kind = message.subject.as_str().strip_prefix(SUBJECT_PREFIX).unwrap_or_default().to_string();
            if !self.types.is_empty() && !self.types.contains(&kind) {
                message.ack().await.map_err(unavailable)?;
                continue;
            }
            let body = message.payload.to_vec();
            self.unacked.push_back((position, message));
            return Ok(Delivered { position, kind, body });
        }
    }

    async fn ack(&mut self, position: Position) -> Result<(), HubError> {
        while self.unacked.front().is_some_and(|(p, _)| *p <= position) {
            if let Some((_, message)) = self.unacked.pop_front() {
                message.ack().await.map_err(unavailable)?;
            }
        }
        Ok(())
    }
}
