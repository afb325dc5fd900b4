//! Queries and commands: `GET /deliveries`, `POST /deliveries/{id}/claim`,
//! `POST /deliveries/{id}/picked-up` and `POST /deliveries/{id}/delivered`.

use anyhow::Context;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use tessera_bff_kit::input::check_id;
use tessera_bff_kit::commands::{self, Begun, Command};
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, Caller, now_millis, outbox};
use tessera_contracts::food::{Order, OrderStatus, roles};

const TAKEN: &str = "Another driver took this delivery.";

pub(crate) fn router() -> Router<BffState> {
    Router::new()
        .route("/deliveries", get(list_deliveries))
        .route("/deliveries/{id}/claim", post(claim_delivery))
        .route("/deliveries/{id}/picked-up", post(pick_up_delivery))
        .route("/deliveries/{id}/delivered", post(complete_delivery))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveriesView {
    available: Vec<Order>,
    mine: Vec<Order>,
    as_of: i64,
}

#[derive(Debug, Serialize)]
struct DeliveryView {
    order: Order,
}

/// A delivery as a command reads it.
#[derive(Debug)]
struct Delivery {
    status: OrderStatus,
    driver_id: Option<String>,
    order: Order,
}

/// The steps of a claimed delivery, in their only possible order.
#[derive(Debug, Clone, Copy)]
enum Step {
    PickUp,
    Deliver,
}

impl Step {
    fn from(self) -> OrderStatus {
        match self {
            Self::PickUp => OrderStatus::Ready,
            Self::Deliver => OrderStatus::PickedUp,
        }
    }

    fn to(self) -> OrderStatus {
        match self {
            Self::PickUp => OrderStatus::PickedUp,
            Self::Deliver => OrderStatus::Delivered,
        }
    }

    /// Why the step cannot be taken from `current`, in words a driver can act on.
    fn out_of_order(self, current: OrderStatus) -> &'static str {
        match (self, current) {
            (_, OrderStatus::Delivered) => "This delivery is already delivered.",
            (Self::PickUp, OrderStatus::PickedUp) => "You already picked up this delivery.",
            (Self::Deliver, OrderStatus::Ready) => "Pick up this delivery before marking it delivered.",
            _ => "This delivery cannot take that step now. Reload your deliveries.",
        }
    }
}

fn read_order(body: &str) -> Result<Order, ApiError> {
    Ok(serde_json::from_str(body).context("reading a stored delivery")?)
}


async fn load_delivery(conn: &mut AnyConnection, id: &str) -> Result<Delivery, ApiError> {
    let row = sqlx::query("SELECT status, driver_id, body FROM deliveries WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no delivery {id}.")))?;
    let status = OrderStatus::parse(&row.get::<String, _>(0)).context("an unknown delivery status")?;
    Ok(Delivery { status, driver_id: row.get(1), order: read_order(&row.get::<String, _>(2))? })
}

async fn begin_driver_command(state: &BffState, caller: &Caller, id: &str, headers: &HeaderMap) -> Result<Begun, ApiError> {
    caller.require(roles::DRIVER)?;
    check_id("id", id)?;
    commands::begin(&state.store, commands::idempotency_key(headers, &caller.user_id)?).await
}

async fn finish_with_order(state: &BffState, command: Command, order: Order) -> Result<Response, ApiError> {
    let body = serde_json::to_value(DeliveryView { order }).context("serialising the delivery")?;
    command.finish(&state.store, StatusCode::OK, body, None).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
async fn list_deliveries(State(state): State<BffState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::DRIVER)?;
    // Both lists from one state of the view: a claim moves an order from one to the other.
    let mut tx = state.store.snapshot().await?;
    let available = sqlx::query("SELECT body, updated_at FROM deliveries WHERE driver_id IS NULL ORDER BY ready_at, id").fetch_all(&mut *tx).await?;
    let mine = sqlx::query(
        "SELECT body, updated_at FROM deliveries WHERE driver_id = $1 \
         ORDER BY CASE WHEN status = $2 THEN 1 ELSE 0 END, ready_at, id",
    )
    .bind(&caller.user_id)
    .bind(OrderStatus::Delivered.as_str())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let as_of = available.iter().chain(&mine).map(|row| row.get::<i64, _>(1)).max().unwrap_or(0);
    let orders = |rows: &[sqlx::any::AnyRow]| rows.iter().map(|row| read_order(&row.get::<String, _>(0))).collect::<Result<Vec<_>, _>>();
    let view = DeliveriesView { available: orders(&available)?, mine: orders(&mine)?, as_of };
    Ok(cached_json(&headers, &view, Cache::Private, as_of))
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, delivery = %id))]
async fn claim_delivery(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut command = match begin_driver_command(&state, &caller, &id, &headers).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    let Delivery { driver_id, mut order, .. } = load_delivery(&mut command.tx, &id).await?;
    match driver_id {
        Some(driver) if driver == caller.user_id => return finish_with_order(&state, command, order).await,
        Some(_) => return Err(ApiError::Conflict(TAKEN.into())),
        None => {}
    }
    order.driver_id = Some(caller.user_id.clone());
    // The claim itself decides the race: only one UPDATE finds the delivery still unclaimed.
    let claimed = sqlx::query("UPDATE deliveries SET driver_id = $1, body = $2, updated_at = $3 WHERE id = $4 AND driver_id IS NULL")
        .bind(&caller.user_id)
        .bind(serde_json::to_string(&order).context("serialising the delivery")?)
        .bind(now_millis())
        .bind(&id)
        .execute(&mut *command.tx)
        .await?
        .rows_affected();
    if claimed == 0 {
        return Err(ApiError::Conflict(TAKEN.into()));
    }
    finish_with_order(&state, command, order).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, delivery = %id))]
async fn pick_up_delivery(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    take_step(&state, &caller, &id, &headers, Step::PickUp).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, delivery = %id))]
async fn complete_delivery(State(state): State<BffState>, caller: Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    take_step(&state, &caller, &id, &headers, Step::Deliver).await
}

/// Moves the caller's delivery one step on and publishes the order as it is now.
async fn take_step(state: &BffState, caller: &Caller, id: &str, headers: &HeaderMap, step: Step) -> Result<Response, ApiError> {
    let mut command = match begin_driver_command(state, caller, id, headers).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    let Delivery { status, driver_id, mut order } = load_delivery(&mut command.tx, id).await?;
    match driver_id {
        None => return Err(ApiError::Conflict("Claim this delivery first.".into())),
        Some(driver) if driver != caller.user_id => return Err(ApiError::Forbidden("This delivery belongs to another driver.".into())),
        Some(_) => {}
    }
    if status != step.from() {
        return Err(ApiError::Conflict(step.out_of_order(status).into()));
    }
    let now = now_millis();
    order.status = step.to();
    order.status_at = now;
    let updated = sqlx::query("UPDATE deliveries SET status = $1, body = $2, updated_at = $3 WHERE id = $4 AND driver_id = $5 AND status = $6")
        .bind(step.to().as_str())
        .bind(serde_json::to_string(&order).context("serialising the delivery")?)
        .bind(now)
        .bind(id)
        .bind(&caller.user_id)
        .bind(step.from().as_str())
        .execute(&mut *command.tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(ApiError::Conflict("This delivery changed meanwhile. Reload your deliveries.".into()));
    }
    let event = order.event(state.name, now);
    outbox::enqueue(&mut command.tx, &[event]).await?;
    let response = finish_with_order(state, command, order).await?;
    state.events_committed();
    Ok(response)
}
