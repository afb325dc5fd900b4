//! Checkout: `PUT /orders/{orderId}` turns the caller's cart into an order, publishes
//! `order-placed` and empties the cart, all in one transaction. The order id comes from the
//! client, so a checkout replayed from an offline outbox (even under a new idempotency key)
//! finds its order instead of ordering twice.

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::put;
use axum::Router;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use tessera_bff_kit::commands::{self, Begun, Command};
use tessera_bff_kit::{ApiError, BffState, Caller, now_millis, outbox};
use tessera_contracts::food::{Order, OrderLine, OrderStatus, roles};

use crate::cart::{lock_cart, priced_lines};
use tessera_bff_kit::input::{JsonBody, check_id};

const ADDRESS_CHARS: std::ops::RangeInclusive<usize> = 5..=200;
const MAX_NOTE_CHARS: usize = 500;
const ID_TAKEN: &str = "This order number is already in use. Reload the page and check out again.";

pub(crate) fn router() -> Router<BffState> {
    Router::new().route("/orders/{order_id}", put(place_order))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewOrder {
    delivery_address: String,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Serialize)]
struct PlacedOrderView {
    order: Order,
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, order_id = %order_id))]
async fn place_order(
    State(state): State<BffState>,
    caller: Caller,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<NewOrder>,
) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    check_id("orderId", &order_id)?;
    let delivery_address = input.delivery_address.trim();
    if !ADDRESS_CHARS.contains(&delivery_address.chars().count()) {
        return Err(ApiError::invalid("deliveryAddress", format!("must be {} to {} characters", ADDRESS_CHARS.start(), ADDRESS_CHARS.end())));
    }
    let note = input.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid("note", format!("must be at most {MAX_NOTE_CHARS} characters")));
    }
    let mut command = match commands::begin(&state.store, commands::idempotency_key(&headers, &caller.user_id)?).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    lock_cart(&mut command.tx, &caller.user_id).await?;
    if let Some(order) = placed_order(&mut command.tx, &order_id, &caller.user_id).await? {
        return finish_with_order(&state, command, StatusCode::OK, order).await;
    }

    let lines = priced_lines(&mut command.tx, &caller.user_id).await?;
    let Some(first) = lines.first() else {
        return Err(ApiError::Conflict("Your cart is empty.".into()));
    };
    let unavailable: Vec<&str> = lines.iter().filter(|l| !l.available).map(|l| l.name.as_str()).collect();
    if let Some(message) = unavailable_message(&unavailable) {
        return Err(ApiError::Conflict(message));
    }
    let now = now_millis();
    let order = Order {
        id: order_id.clone(),
        customer_id: caller.user_id.clone(),
        customer_name: caller.name.clone(),
        restaurant_id: first.restaurant_id.clone(),
        restaurant_name: first.restaurant_name.clone(),
        lines: lines.iter().map(|l| OrderLine { item_id: l.item_id.clone(), name: l.name.clone(), price_cents: l.price_cents, quantity: l.quantity }).collect(),
        total_cents: lines.iter().map(|l| l.price_cents * l.quantity).sum(),
        delivery_address: delivery_address.to_string(),
        note: note.to_string(),
        status: OrderStatus::Placed,
        placed_at: now,
        status_at: now,
        driver_id: None,
        reason: None,
    };
    let inserted = sqlx::query("INSERT INTO placed_orders (id, user_id, body, placed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
        .bind(&order.id)
        .bind(&caller.user_id)
        .bind(serde_json::to_string(&order).context("serialising the order")?)
        .bind(now)
        .execute(&mut *command.tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        // Another customer's checkout took the id between our read and this write.
        return Err(ApiError::Conflict(ID_TAKEN.into()));
    }
    let placed = order.event(state.name, now);
    outbox::enqueue(&mut command.tx, &[placed]).await?;
    sqlx::query("DELETE FROM cart_lines WHERE user_id = $1").bind(&caller.user_id).execute(&mut *command.tx).await?;
    let response = finish_with_order(&state, command, StatusCode::CREATED, order).await?;
    state.events_committed();
    Ok(response)
}

/// The order already placed under `order_id` by this customer; another customer's is a conflict.
async fn placed_order(conn: &mut AnyConnection, order_id: &str, user_id: &str) -> Result<Option<Order>, ApiError> {
    let Some(row) = sqlx::query("SELECT user_id, body FROM placed_orders WHERE id = $1").bind(order_id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    if row.get::<String, _>(0) != user_id {
        return Err(ApiError::Conflict(ID_TAKEN.into()));
    }
    Ok(Some(serde_json::from_str(&row.get::<String, _>(1)).context("reading a placed order")?))
}

async fn finish_with_order(state: &BffState, command: Command, status: StatusCode, order: Order) -> Result<Response, ApiError> {
    let body = serde_json::to_value(PlacedOrderView { order }).context("serialising the order")?;
    command.finish(&state.store, status, body, None).await
}

/// "Tiramisu is …" / "Tiramisu, Panna cotta and Gelato are …", or `None` when all are available.
fn unavailable_message(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is not available right now. Remove it from your cart to order.")),
        [rest @ .., last] => Some(format!("{} and {last} are not available right now. Remove them from your cart to order.", rest.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::unavailable_message;

    #[test]
    fn unavailable_dishes_are_named_in_a_sentence() {
        assert_eq!(unavailable_message(&[]), None);
        assert_eq!(unavailable_message(&["Tiramisu"]).unwrap(), "Tiramisu is not available right now. Remove it from your cart to order.");
        assert_eq!(
            unavailable_message(&["Tiramisu", "Panna cotta", "Gelato"]).unwrap(),
            "Tiramisu, Panna cotta and Gelato are not available right now. Remove them from your cart to order."
        );
    }
}
