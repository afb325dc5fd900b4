//! Commands and queries.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use tessera_bff_kit::commands::{self, Begun, check_if_match, version_etag};
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, MaybeCaller, now_millis, outbox};
use tessera_contracts::{Envelope, EventType};

use crate::TALLY_INCREMENTED;

pub(crate) fn router() -> Router<BffState> {
    Router::new()
        .route("/tallies/{id}", get(get_tally).put(create_tally))
        .route("/tallies/{id}/increments", post(increment_tally))
        .route("/views/tallies", get(list_view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTally {
    label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIncrement {
    by: i64,
}

#[derive(Debug, Serialize)]
struct TallyDto {
    id: String,
    label: String,
    total: i64,
    version: i64,
}

/// Tallies are open to everybody; a signed-in caller is recorded as the author of a change.
fn author(caller: MaybeCaller) -> String {
    caller.0.map(|c| c.user_id).unwrap_or_else(|| "anonymous".to_string())
}

fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(ApiError::invalid("id", "1 to 64 letters, digits, `-` or `_`")) }
}

async fn load(state: &BffState, id: &str) -> Result<Option<TallyDto>, ApiError> {
    let row = sqlx::query("SELECT id, label, total, version FROM tallies WHERE id = $1").bind(id).fetch_optional(&state.store.pool).await?;
    Ok(row.map(|r| TallyDto { id: r.get(0), label: r.get(1), total: r.get(2), version: r.get(3) }))
}

async fn get_tally(State(state): State<BffState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let tally = load(&state, &id).await?.ok_or_else(|| ApiError::NotFound(format!("no tally `{id}`")))?;
    let etag = version_etag(tally.version);
    let mut response = axum::response::IntoResponse::into_response(Json(tally));
    response.headers_mut().insert(axum::http::header::ETAG, etag.parse().expect("ascii"));
    Ok(response)
}

async fn create_tally(
    State(state): State<BffState>,
    Path(id): Path<String>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Json(input): Json<NewTally>,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let label = input.label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(ApiError::invalid("label", "1 to 80 characters"));
    }
    let user = author(caller);
    let mut command = match commands::begin(&state.store, commands::idempotency_key(&headers, &user)?).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    let inserted = sqlx::query(
        "INSERT INTO tallies (id, label, total, version, updated_by, updated_at) VALUES ($1, $2, 0, 0, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(label)
    .bind(&user)
    .bind(now_millis())
    .execute(&mut *command.tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(ApiError::Conflict(format!("tally `{id}` already exists")));
    }
    let body = json!({ "id": id, "label": label, "total": 0, "version": 0 });
    command.finish(&state.store, StatusCode::CREATED, body, Some(version_etag(0))).await
}

async fn increment_tally(
    State(state): State<BffState>,
    Path(id): Path<String>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Json(input): Json<NewIncrement>,
) -> Result<Response, ApiError> {
    if !(1..=1000).contains(&input.by) {
        return Err(ApiError::invalid("by", "must be between 1 and 1000"));
    }
    let user = author(caller);
    let mut command = match commands::begin(&state.store, commands::idempotency_key(&headers, &user)?).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    let row = sqlx::query("SELECT label, total, version FROM tallies WHERE id = $1").bind(&id).fetch_optional(&mut *command.tx).await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("no tally `{id}`")))?;
    let (label, total, version): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
    check_if_match(&headers, version)?;
    let (total, next) = (total + input.by, version + 1);
    // Optimistic concurrency: the update only lands on the version read above.
    let updated = sqlx::query("UPDATE tallies SET total = $1, version = $2, updated_by = $3, updated_at = $4 WHERE id = $5 AND version = $6")
        .bind(total)
        .bind(next)
        .bind(&user)
        .bind(now_millis())
        .bind(&id)
        .bind(version)
        .execute(&mut *command.tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(ApiError::Conflict(format!("tally `{id}` changed meanwhile; read it again")));
    }
    let tally = json!({ "id": id, "label": label, "total": total, "version": next, "by": input.by });
    let event = Envelope::new(EventType::parse(TALLY_INCREMENTED).expect("valid"), state.name, &id, &next.to_string(), now_millis(), tally.clone())
        .with_tag("owner", &user);
    outbox::enqueue(&mut command.tx, &[event]).await?;
    let response = command.finish(&state.store, StatusCode::OK, tally, Some(version_etag(next))).await?;
    state.events_committed();
    Ok(response)
}

async fn list_view(State(state): State<BffState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let rows = sqlx::query("SELECT id, label, total, version, delta_sum, as_of FROM tally_view ORDER BY id").fetch_all(&state.store.pool).await?;
    let mut as_of = 0;
    let tallies: Vec<_> = rows
        .iter()
        .map(|r| {
            as_of = as_of.max(r.get::<i64, _>(5));
            json!({ "id": r.get::<String, _>(0), "label": r.get::<String, _>(1), "total": r.get::<i64, _>(2), "version": r.get::<i64, _>(3), "deltaSum": r.get::<i64, _>(4), "asOf": r.get::<i64, _>(5) })
        })
        .collect();
    Ok(cached_json(&headers, &json!({ "tallies": tallies, "asOf": as_of }), Cache::Private, as_of))
}
