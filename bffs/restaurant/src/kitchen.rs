//! The kitchen: the orders of the caller's restaurants and the three steps a restaurant
//! takes with them (accept or reject, then ready). Each step publishes the whole updated
//! order, so the orders and driver BFFs never need to ask for it.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;
use tessera_bff_kit::commands::{self, Begun};
use tessera_bff_kit::listener::apply_if_newer;
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, Caller, now_millis, outbox};
use tessera_contracts::food::{Order, OrderStatus, roles};

use crate::handlers::CONSUMER;
use tessera_bff_kit::input::{self, check_id, text};

pub(crate) fn router() -> Router<BffState> {
    Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/{id}/accept", post(accept_order))
        .route("/orders/{id}/reject", post(reject_order))
        .route("/orders/{id}/ready", post(mark_order_ready))
}

/// The kitchen orders of the caller's restaurants (`$1` = the caller).
const MINE: &str = "restaurant_id IN (SELECT id FROM restaurants WHERE owner = $1)";

#[derive(Debug, Deserialize)]
struct OrdersQuery {
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RejectOrder {
    reason: Option<String>,
}

/// A step the kitchen takes with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Accept,
    Reject,
    Ready,
}

impl Step {
    /// The only status the step starts from.
    fn starts_from(self) -> OrderStatus {
        match self {
            Self::Accept | Self::Reject => OrderStatus::Placed,
            Self::Ready => OrderStatus::Accepted,
        }
    }

    fn leads_to(self) -> OrderStatus {
        match self {
            Self::Accept => OrderStatus::Accepted,
            Self::Reject => OrderStatus::Rejected,
            Self::Ready => OrderStatus::Ready,
        }
    }

    /// Why the step does not fit `current`, in words the kitchen can act on.
    fn refusal(self, current: OrderStatus) -> String {
        let now = words(current);
        match (self, current) {
            _ if current == self.leads_to() => format!("This order is already {now}."),
            (_, OrderStatus::Rejected) => "This order was rejected; there is nothing more to do with it.".into(),
            (Self::Ready, OrderStatus::Placed) => "Accept this order before marking it ready.".into(),
            (Self::Reject, _) => format!("This order is already {now}, so it can no longer be rejected."),
            (Self::Accept | Self::Ready, _) => format!("This order is already {now}."),
        }
    }
}

fn words(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PickedUp => "picked up",
        other => other.as_str(),
    }
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
async fn list_orders(State(state): State<BffState>, caller: Caller, Query(query): Query<OrdersQuery>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    // Open orders are the kitchen's work queue, oldest first; the history reads newest first.
    let filter = match query.scope.as_deref() {
        None | Some("open") => "AND status IN ('placed', 'accepted', 'ready') ORDER BY placed_at, id",
        Some("all") => "ORDER BY placed_at DESC, id",
        Some(_) => return Err(ApiError::invalid("scope", "must be `open` or `all`")),
    };
    // The orders and their as-of time from one state of the view.
    let mut tx = state.store.snapshot().await?;
    let rows = sqlx::query(&format!("SELECT order_json FROM kitchen_orders WHERE {MINE} {filter}"))
        .bind(&caller.user_id)
        .fetch_all(&mut *tx)
        .await?;
    let orders = rows
        .iter()
        .map(|row| serde_json::from_str::<Value>(&row.get::<String, _>(0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("reading a stored order")))?;
    // Over all of the caller's orders, so an order leaving the open list moves it too.
    let as_of: Option<i64> = sqlx::query(&format!("SELECT MAX(updated_at) FROM kitchen_orders WHERE {MINE}"))
        .bind(&caller.user_id)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
    tx.commit().await?;
    let as_of = as_of.unwrap_or(0);
    Ok(cached_json(&headers, &json!({ "orders": orders, "asOf": as_of }), Cache::Private, as_of))
}

async fn accept_order(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    take_step(&state, &caller, &headers, &id, Step::Accept, None).await
}

async fn reject_order(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    let input: RejectOrder = input::parse_body(&body)?;
    // The reason is for the customer; a kitchen in a rush may leave it out.
    let reason = text("reason", Some(input.reason.unwrap_or_default()), 0, 200)?;
    take_step(&state, &caller, &headers, &id, Step::Reject, Some(reason).filter(|r| !r.is_empty())).await
}

async fn mark_order_ready(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    take_step(&state, &caller, &headers, &id, Step::Ready, None).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, order = %id, step = ?step))]
async fn take_step(state: &BffState, caller: &Caller, headers: &HeaderMap, id: &str, step: Step, reason: Option<String>) -> Result<Response, ApiError> {
    check_id("orderId", id)?;
    let mut command = match commands::begin(&state.store, commands::idempotency_key(headers, &caller.user_id)?).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    let row = sqlx::query("SELECT o.order_json, r.owner FROM kitchen_orders o LEFT JOIN restaurants r ON r.id = o.restaurant_id WHERE o.id = $1")
        .bind(id)
        .fetch_optional(&mut *command.tx)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No order `{id}` in your kitchen.")))?;
    let owner: Option<String> = row.get(1);
    if owner.as_deref() != Some(caller.user_id.as_str()) {
        return Err(ApiError::Forbidden("This order is for a restaurant you do not run.".into()));
    }
    let mut order: Order =
        serde_json::from_str(&row.get::<String, _>(0)).map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("reading a stored order")))?;
    let current = order.status;
    if current != step.starts_from() {
        return Err(ApiError::Conflict(step.refusal(current)));
    }
    let now = now_millis();
    order.status = step.leads_to();
    order.status_at = now;
    if reason.is_some() {
        order.reason = reason;
    }
    let order_json = serde_json::to_string(&order).map_err(|e| ApiError::Internal(e.into()))?;
    let changed = sqlx::query("UPDATE kitchen_orders SET status = $1, status_rank = $2, order_json = $3, updated_at = $4 WHERE id = $5 AND status = $6")
        .bind(order.status.as_str())
        .bind(order.status.rank())
        .bind(&order_json)
        .bind(now)
        .bind(id)
        .bind(current.as_str())
        .execute(&mut *command.tx)
        .await?
        .rows_affected();
    // The listener's version moves with the row: a late or redelivered `order-placed` then
    // counts as older and cannot reopen the order.
    if changed == 0 || !apply_if_newer(&mut command.tx, CONSUMER, id, order.status.rank()).await? {
        return Err(ApiError::Conflict("This order changed at the same time; reload the orders and try again.".into()));
    }
    let event = order.event(state.name, now);
    outbox::enqueue(&mut command.tx, &[event]).await?;
    let response = command.finish(&state.store, StatusCode::OK, json!({ "order": order }), None).await?;
    state.events_committed();
    Ok(response)
}
