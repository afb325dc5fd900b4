//! The queries: `GET /orders` and `GET /orders/{id}`, the caller's own orders only.

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Router;
use axum::routing::get;
use serde::Serialize;
use sqlx::Row;
use tessera_bff_kit::input::check_id;
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, Caller};
use tessera_contracts::food::{Order, OrderStatus, roles};

pub(crate) fn router() -> Router<BffState> {
    Router::new().route("/orders", get(list_orders)).route("/orders/{id}", get(show_order))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderListView {
    orders: Vec<Order>,
    as_of: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderDetailView {
    order: Order,
    timeline: Vec<TimelineStepView>,
    as_of: i64,
}

#[derive(Debug, Serialize)]
struct TimelineStepView {
    status: OrderStatus,
    label: &'static str,
    at: i64,
}

fn read_order(body: &str) -> Result<Order, ApiError> {
    Ok(serde_json::from_str(body).context("reading a stored order")?)
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
async fn list_orders(State(state): State<BffState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    let rows = sqlx::query("SELECT body, as_of FROM orders WHERE customer_id = $1 ORDER BY placed_at DESC, id DESC")
        .bind(&caller.user_id)
        .fetch_all(&state.store.pool)
        .await?;
    let as_of = rows.iter().map(|row| row.get::<i64, _>(1)).max().unwrap_or(0);
    let orders = rows.iter().map(|row| read_order(&row.get::<String, _>(0))).collect::<Result<_, _>>()?;
    Ok(cached_json(&headers, &OrderListView { orders, as_of }, Cache::Private, as_of))
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, order_id = %id))]
async fn show_order(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    check_id("id", &id)?;
    // The order and its timeline from one state of the view.
    let mut tx = state.store.snapshot().await?;
    // Someone else's order answers exactly like a missing one: its existence is not the caller's business.
    let row = sqlx::query("SELECT body, as_of FROM orders WHERE id = $1 AND customer_id = $2")
        .bind(&id)
        .bind(&caller.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("You have no order {id}.")))?;
    let (order, as_of) = (read_order(&row.get::<String, _>(0))?, row.get::<i64, _>(1));
    let steps = sqlx::query("SELECT status, at FROM order_timeline WHERE order_id = $1 ORDER BY rank, at").bind(&id).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let timeline = steps
        .iter()
        .map(|step| {
            let status = OrderStatus::parse(&step.get::<String, _>(0)).context("an unknown status in the timeline")?;
            Ok(TimelineStepView { status, label: status.label(), at: step.get(1) })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(cached_json(&headers, &OrderDetailView { order, timeline, as_of }, Cache::Private, as_of))
}

