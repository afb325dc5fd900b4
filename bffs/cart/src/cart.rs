//! The cart: `GET /cart`, `PUT /cart/items/{itemId}`, `DELETE /cart/items/{itemId}` and
//! `DELETE /cart`. A cart stores dishes and quantities only; every answer prices them from the
//! catalog as it is now, so names, prices and availability are never stale.

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use tessera_bff_kit::commands::{self, Begun, Command};
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, Caller, now_millis};
use tessera_contracts::food::roles;

use tessera_bff_kit::input::{JsonBody, check_id};

const MAX_QUANTITY: i64 = 20;

pub(crate) fn router() -> Router<BffState> {
    Router::new().route("/cart", get(show_cart).delete(empty_cart)).route("/cart/items/{item_id}", put(set_cart_item).delete(remove_cart_item))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateCartItem {
    quantity: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CartView {
    /// `None` while the cart is empty.
    restaurant_id: Option<String>,
    restaurant_name: Option<String>,
    lines: Vec<CartLineView>,
    /// Dishes in the cart, counting each portion.
    item_count: i64,
    total_cents: i64,
    as_of: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CartLineView {
    item_id: String,
    name: String,
    price_cents: i64,
    quantity: i64,
    available: bool,
    line_total_cents: i64,
}

/// A cart line priced from the catalog as it is now.
#[derive(Debug)]
pub(crate) struct PricedLine {
    pub(crate) item_id: String,
    pub(crate) name: String,
    pub(crate) price_cents: i64,
    pub(crate) quantity: i64,
    pub(crate) available: bool,
    pub(crate) restaurant_id: String,
    pub(crate) restaurant_name: String,
    as_of: i64,
}

/// The caller's cart lines in the order they were added.
pub(crate) async fn priced_lines(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<PricedLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT l.item_id, i.name, i.price_cents, l.quantity, i.available, i.restaurant_id, r.name, i.as_of, r.as_of \
         FROM cart_lines l JOIN catalog_items i ON i.id = l.item_id LEFT JOIN catalog_restaurants r ON r.id = i.restaurant_id \
         WHERE l.user_id = $1 ORDER BY l.added_at, l.item_id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let restaurant_id: String = row.get(5);
            PricedLine {
                item_id: row.get(0),
                name: row.get(1),
                price_cents: row.get(2),
                quantity: row.get(3),
                available: row.get::<i64, _>(4) != 0,
                // Until its `restaurant-updated` arrives, a restaurant is known by its id only.
                restaurant_name: row.get::<Option<String>, _>(6).unwrap_or_else(|| restaurant_id.clone()),
                restaurant_id,
                as_of: row.get::<i64, _>(7).max(row.get::<Option<i64>, _>(8).unwrap_or(0)),
            }
        })
        .collect())
}

/// Touches the caller's cart row before anything else in a cart command: on PostgreSQL its
/// row lock makes one customer's concurrent commands take turns, as SQLite's single writer does.
pub(crate) async fn lock_cart(conn: &mut AnyConnection, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO carts (user_id, updated_at) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at")
        .bind(user_id)
        .bind(now_millis())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn load_cart(conn: &mut AnyConnection, user_id: &str) -> Result<CartView, sqlx::Error> {
    let updated_at: Option<i64> = sqlx::query_scalar("SELECT updated_at FROM carts WHERE user_id = $1").bind(user_id).fetch_optional(&mut *conn).await?;
    let lines = priced_lines(conn, user_id).await?;
    Ok(CartView {
        restaurant_id: lines.first().map(|l| l.restaurant_id.clone()),
        restaurant_name: lines.first().map(|l| l.restaurant_name.clone()),
        item_count: lines.iter().map(|l| l.quantity).sum(),
        total_cents: lines.iter().map(|l| l.price_cents * l.quantity).sum(),
        as_of: lines.iter().map(|l| l.as_of).fold(updated_at.unwrap_or(0), i64::max),
        lines: lines
            .into_iter()
            .map(|l| CartLineView {
                line_total_cents: l.price_cents * l.quantity,
                item_id: l.item_id,
                name: l.name,
                price_cents: l.price_cents,
                quantity: l.quantity,
                available: l.available,
            })
            .collect(),
    })
}

/// Starts a cart command with the caller's cart locked, or replays the key's first answer.
async fn begin_cart_command(state: &BffState, caller: &Caller, headers: &HeaderMap) -> Result<Begun, ApiError> {
    let begun = commands::begin(&state.store, commands::idempotency_key(headers, &caller.user_id)?).await?;
    if let Begun::Fresh(mut command) = begun {
        lock_cart(&mut command.tx, &caller.user_id).await?;
        return Ok(Begun::Fresh(command));
    }
    Ok(begun)
}

/// Answers a cart command with the cart as the command left it.
async fn finish_with_cart(state: &BffState, mut command: Command, user_id: &str) -> Result<Response, ApiError> {
    let cart = load_cart(&mut command.tx, user_id).await?;
    let body = serde_json::to_value(cart).context("serialising the cart")?;
    command.finish(&state.store, StatusCode::OK, body, None).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
async fn show_cart(State(state): State<BffState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    // The cart and its priced lines from one state of the store.
    let mut tx = state.store.snapshot().await?;
    let cart = load_cart(&mut tx, &caller.user_id).await?;
    tx.commit().await?;
    Ok(cached_json(&headers, &cart, Cache::Private, cart.as_of))
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, item_id = %item_id))]
async fn set_cart_item(
    State(state): State<BffState>,
    caller: Caller,
    Path(item_id): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<UpdateCartItem>,
) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    check_id("itemId", &item_id)?;
    if !(1..=MAX_QUANTITY).contains(&input.quantity) {
        return Err(ApiError::invalid("quantity", format!("must be between 1 and {MAX_QUANTITY}")));
    }
    let mut command = match begin_cart_command(&state, &caller, &headers).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    let item = sqlx::query(
        "SELECT i.name, i.available, i.restaurant_id, r.name FROM catalog_items i \
         LEFT JOIN catalog_restaurants r ON r.id = i.restaurant_id WHERE i.id = $1",
    )
    .bind(&item_id)
    .fetch_optional(&mut *command.tx)
    .await?
    .ok_or_else(|| ApiError::NotFound("This dish is not on any menu.".into()))?;
    let (name, available, restaurant_id): (String, i64, String) = (item.get(0), item.get(1), item.get(2));
    if available == 0 {
        return Err(ApiError::Conflict(format!("{name} is not available right now.")));
    }
    let lines = priced_lines(&mut command.tx, &caller.user_id).await?;
    if let Some(other) = lines.iter().find(|l| l.restaurant_id != restaurant_id) {
        let restaurant_name = item.get::<Option<String>, _>(3).unwrap_or(restaurant_id);
        return Err(ApiError::Conflict(format!(
            "Your cart has dishes from {}. Order or empty it before adding dishes from {restaurant_name}.",
            other.restaurant_name
        )));
    }
    sqlx::query(
        "INSERT INTO cart_lines (user_id, item_id, quantity, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, item_id) DO UPDATE SET quantity = excluded.quantity",
    )
    .bind(&caller.user_id)
    .bind(&item_id)
    .bind(input.quantity)
    .bind(now_millis())
    .execute(&mut *command.tx)
    .await?;
    finish_with_cart(&state, command, &caller.user_id).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, item_id = %item_id))]
async fn remove_cart_item(State(state): State<BffState>, caller: Caller, Path(item_id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    check_id("itemId", &item_id)?;
    let mut command = match begin_cart_command(&state, &caller, &headers).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    // Removing a dish that is not in the cart leaves the cart as the caller wants it: no error.
    sqlx::query("DELETE FROM cart_lines WHERE user_id = $1 AND item_id = $2").bind(&caller.user_id).bind(&item_id).execute(&mut *command.tx).await?;
    finish_with_cart(&state, command, &caller.user_id).await
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
async fn empty_cart(State(state): State<BffState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::CUSTOMER)?;
    let mut command = match begin_cart_command(&state, &caller, &headers).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    sqlx::query("DELETE FROM cart_lines WHERE user_id = $1").bind(&caller.user_id).execute(&mut *command.tx).await?;
    finish_with_cart(&state, command, &caller.user_id).await
}
