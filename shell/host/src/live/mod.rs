//! The live-update gateway: `GET /live` as a WebSocket carrying the hub events the signed-in
//! user may see, resumable by position. The protocol is docs/live-updates.md; the hub tail
//! and the window of recent events are in [`gateway`], who sees what in [`policy`].

pub mod gateway;
pub mod policy;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tessera_event_hub::Position;
use tokio::sync::broadcast::error::RecvError;

pub use gateway::Gateway;
use gateway::{Broadcast, LiveEvent, Start};

use crate::AppState;
use crate::auth::{Session, User};

const HEARTBEAT: Duration = Duration::from_secs(15);
/// A socket that has sent nothing (not even a pong) for this long is gone.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A send that takes longer than this means the client is not reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_TYPES: usize = 200;

/// Close codes (4000–4999 are the application's).
const CLOSE_TOO_SLOW: u16 = 4008;
const CLOSE_SESSION_ENDED: u16 = 4401;
const CLOSE_GOING_AWAY: u16 = 1001;

pub fn router() -> Router<AppState> {
    Router::new().route("/live", get(upgrade))
}

#[derive(Debug, Deserialize)]
struct LiveQuery {
    after: Option<Position>,
    #[serde(default)]
    events: String,
}

/// Browsers send cookies with cross-site WebSocket handshakes: only this site's pages may
/// open a socket in the user's name.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // not a browser
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority == host)
}

fn event_types(list: &str) -> HashSet<String> {
    list.split(',').map(str::trim).filter(|t| !t.is_empty() && t.len() <= 60).take(MAX_TYPES).map(str::to_string).collect()
}

async fn upgrade(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<LiveQuery>, ws: WebSocketUpgrade) -> Response {
    if !same_origin(&headers) {
        tracing::warn!(origin = ?headers.get(header::ORIGIN), "refused a live socket from another site");
        return (StatusCode::FORBIDDEN, "live updates are for this site's pages only").into_response();
    }
    let session = state.auth.session(&headers).await;
    let types = event_types(&query.events);
    let gateway = state.live.clone();
    let auth = state.auth.clone();
    // Pages send almost nothing upstream; tungstenite's default read buffer (128 KiB, taken
    // up front per socket) was nearly all of a socket's memory. It grows for a larger message.
    ws.max_message_size(64 * 1024).read_buffer_size(4 * 1024).on_upgrade(move |socket| async move {
        let connection = Connection { gateway, auth, session, types };
        metrics_gauge(1);
        connection.serve(socket, query.after).await;
        metrics_gauge(-1);
    })
}

fn metrics_gauge(delta: i64) {
    use std::sync::atomic::{AtomicI64, Ordering};
    static OPEN: AtomicI64 = AtomicI64::new(0);
    let open = OPEN.fetch_add(delta, Ordering::Relaxed) + delta;
    tracing::debug!(open, "live sockets");
}

struct Connection {
    gateway: Arc<Gateway>,
    auth: Arc<crate::auth::Auth>,
    session: Option<Session>,
    types: HashSet<String>,
}

/// Why a socket ended.
enum End {
    Client,
    Close(u16, &'static str),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum ClientMessage {
    Subscribe { events: Vec<String> },
}

impl Connection {
    fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|s| &s.user)
    }

    fn wants(&self, event: &LiveEvent) -> bool {
        self.types.contains(&event.kind) && policy::visible(&event.kind, &event.tags, self.user(), &self.gateway.owners())
    }

    async fn serve(mut self, socket: WebSocket, after: Option<Position>) {
        let (mut sink, mut stream) = socket.split();
        let end = self.pump(&mut sink, &mut stream, after).await;
        if let End::Close(code, reason) = end {
            let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
            let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(Some(frame)))).await;
        }
    }

    async fn pump(
        &mut self,
        sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
        after: Option<Position>,
    ) -> End {
        let (start, mut receiver) = self.gateway.join(after);
        let mut sent_through = match start {
            Start::Resume { position, missed } => {
                if send(sink, format!(r#"{{"type":"hello","position":{position}}}"#)).await.is_err() {
                    return End::Client;
                }
                for event in missed {
                    if self.wants(&event) && send(sink, event.message.to_string()).await.is_err() {
                        return End::Client;
                    }
                }
                position
            }
            Start::Reset { position } => {
                if send(sink, format!(r#"{{"type":"reset","position":{position}}}"#)).await.is_err() {
                    return End::Client;
                }
                position
            }
        };
        let mut shutdown = self.gateway.shutdown_signal();
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        let mut heard = Instant::now();
        loop {
            tokio::select! {
                next = receiver.recv() => match next {
                    Ok(Broadcast::Event(event)) => {
                        if event.position <= sent_through {
                            continue;
                        }
                        if self.wants(&event) && send(sink, event.message.to_string()).await.is_err() {
                            return End::Close(CLOSE_TOO_SLOW, "not reading");
                        }
                        sent_through = event.position;
                    }
                    Ok(Broadcast::Composition(version)) => {
                        let message = serde_json::json!({ "type": "composition-updated", "version": version }).to_string();
                        if send(sink, message).await.is_err() {
                            return End::Client;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "a live socket fell behind; it resumes after reconnecting");
                        return End::Close(CLOSE_TOO_SLOW, "too slow; resume from your position");
                    }
                    Err(RecvError::Closed) => return End::Close(CLOSE_GOING_AWAY, "shutting down"),
                },
                message = stream.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        heard = Instant::now();
                        match serde_json::from_str::<ClientMessage>(&text) {
                            Ok(ClientMessage::Subscribe { events }) => {
                                for kind in events.into_iter().filter(|t| t.len() <= 60) {
                                    if self.types.len() < MAX_TYPES {
                                        self.types.insert(kind);
                                    }
                                }
                            }
                            Err(error) => tracing::debug!(%error, "ignored a message on a live socket"),
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return End::Client,
                    Some(Ok(_)) => heard = Instant::now(),
                },
                _ = heartbeat.tick() => {
                    if heard.elapsed() > IDLE_TIMEOUT {
                        return End::Close(CLOSE_GOING_AWAY, "idle");
                    }
                    if !self.session_alive().await {
                        return End::Close(CLOSE_SESSION_ENDED, "the session ended");
                    }
                    // Read the head first: every event up to it is already in the channel, so
                    // with nothing pending for this socket, all of them were sent or filtered.
                    let head = self.gateway.head();
                    if receiver.is_empty() {
                        sent_through = sent_through.max(head);
                    }
                    let position = sent_through;
                    let beat = format!(r#"{{"type":"heartbeat","position":{position}}}"#);
                    if send(sink, beat).await.is_err() || sink.send(Message::Ping(Default::default())).await.is_err() {
                        return End::Client;
                    }
                }
                _ = shutdown.changed() => return End::Close(CLOSE_GOING_AWAY, "shutting down"),
            }
        }
    }

    async fn session_alive(&self) -> bool {
        let Some(session) = &self.session else { return true };
        if session.expires_at <= crate::auth::sessions::now() {
            return false;
        }
        self.auth.sessions.exists(&session.key).await.unwrap_or(true)
    }
}

async fn send(sink: &mut futures_util::stream::SplitSink<WebSocket, Message>, text: String) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_pages_open_sockets() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&headers), "no Origin: not a browser");
        headers.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
    }

    #[test]
    fn event_type_lists_are_bounded() {
        assert_eq!(event_types("order-placed, order-ready,,"), HashSet::from(["order-placed".to_string(), "order-ready".to_string()]));
        assert_eq!(event_types(&"a-b,".repeat(1000)).len(), 1);
    }
}
