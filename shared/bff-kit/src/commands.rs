//! Commands: idempotency keys, client-generated ids and optimistic concurrency.
//!
//! Every state-changing request carries an `Idempotency-Key` header. [`begin`] either
//! replays the first response given for that key or opens a transaction; [`Command::finish`]
//! stores the response in that same transaction, so the state change, its outgoing events and
//! the remembered response commit together. Two concurrent requests with one key: the second
//! commit fails on the key's uniqueness, rolls back, and answers with the first response.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sqlx::Row;

use crate::error::ApiError;
use crate::now_millis;
use crate::store::{Store, Tx};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The idempotency key of a request, scoped to the caller so keys of different users never meet.
pub fn idempotency_key(headers: &HeaderMap, caller: &str) -> Result<String, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| ApiError::BadRequest("state-changing requests need an Idempotency-Key header (1 to 200 characters)".into()))?;
    Ok(format!("{caller}:{key}"))
}

/// A command in progress, or the response it already had.
#[derive(Debug)]
pub enum Begun {
    Fresh(Command),
    Replay(Response),
}

#[derive(Debug)]
pub struct Command {
    key: String,
    pub tx: Tx,
}

async fn stored(store: &Store, key: &str) -> Result<Option<Response>, sqlx::Error> {
    let row = sqlx::query("SELECT status, body FROM kit_idempotency WHERE key = $1").bind(key).fetch_optional(&store.pool).await?;
    Ok(row.map(|row| {
        let status = StatusCode::from_u16(row.get::<i32, _>(0) as u16).unwrap_or(StatusCode::OK);
        let body: Value = serde_json::from_str(&row.get::<String, _>(1)).unwrap_or(Value::Null);
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().insert("idempotent-replay", HeaderValue::from_static("true"));
        response
    }))
}

/// Starts a command for `key`, or replays its first response.
pub async fn begin(store: &Store, key: String) -> Result<Begun, ApiError> {
    if let Some(response) = stored(store, &key).await? {
        return Ok(Begun::Replay(response));
    }
    Ok(Begun::Fresh(Command { key, tx: store.begin().await? }))
}

impl Command {
    /// Remembers the response with the command's changes and commits them together.
    pub async fn finish(mut self, store: &Store, status: StatusCode, body: Value, etag: Option<String>) -> Result<Response, ApiError> {
        let text = serde_json::to_string(&body).map_err(|e| ApiError::Internal(e.into()))?;
        let inserted = sqlx::query("INSERT INTO kit_idempotency (key, status, body, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING")
            .bind(&self.key)
            .bind(i32::from(status.as_u16()))
            .bind(&text)
            .bind(now_millis())
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            // A concurrent request with the same key won: undo ours, answer with theirs.
            self.tx.rollback().await?;
            return stored(store, &self.key).await?.ok_or_else(|| ApiError::Conflict("the request is being processed; retry".into()));
        }
        self.tx.commit().await?;
        let mut response = (status, Json(body)).into_response();
        if let Some(value) = etag.and_then(|etag| HeaderValue::from_str(&etag).ok()) {
            response.headers_mut().insert(header::ETAG, value);
        }
        Ok(response)
    }
}

/// The ETag of a versioned entity.
pub fn version_etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Optimistic concurrency: when the request says `If-Match`, it must name the current version.
pub fn check_if_match(headers: &HeaderMap, current_version: i64) -> Result<(), ApiError> {
    let Some(expected) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let current = version_etag(current_version);
    if expected.trim() == "*" || expected.split(',').any(|t| t.trim() == current) {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(format!("the resource changed: it is now at {current}, the request expected {expected}")))
    }
}
