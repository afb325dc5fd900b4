//! Restaurants and their menus, as their owners see and change them. Every change commits
//! with its `menu-item-*` event in the outbox: the menus and cart BFFs build their views
//! from those events alone.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use tessera_bff_kit::commands::{self, Begun, check_if_match, version_etag};
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, Caller, Tx, now_millis, outbox};
use tessera_contracts::food::{MENU_ITEM_REMOVED, MENU_ITEM_UPDATED, MenuItem, Restaurant, roles};
use tessera_contracts::{Envelope, EventType};

use tessera_bff_kit::input::{self, check_id, required, text};

pub(crate) fn router() -> Router<BffState> {
    Router::new()
        .route("/restaurants/mine", get(list_my_restaurants))
        .route("/restaurants/{rid}/items/{item_id}", put(update_item).delete(remove_item))
}

/// The body of `PUT /restaurants/{rid}/items/{itemId}`. Every field is optional here so that a
/// missing one is a 422 naming it rather than a deserialization error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateItem {
    category: Option<String>,
    name: Option<String>,
    description: Option<String>,
    price_cents: Option<i64>,
    available: Option<bool>,
    position: Option<i64>,
}

/// A dish as the owner described it, checked.
#[derive(Debug)]
struct ValidItem {
    category: String,
    name: String,
    description: String,
    price_cents: i64,
    available: bool,
    position: Option<i64>,
}

impl UpdateItem {
    fn validate(self) -> Result<ValidItem, ApiError> {
        let category = text("category", self.category, 1, 40)?;
        let name = text("name", self.name, 1, 80)?;
        let description = text("description", self.description, 0, 300)?;
        let price_cents = required("priceCents", self.price_cents)?;
        if !(1..=100_000).contains(&price_cents) {
            return Err(ApiError::invalid("priceCents", "must be between 1 and 100000 cents"));
        }
        let available = required("available", self.available)?;
        if self.position.is_some_and(|p| !(0..=10_000).contains(&p)) {
            return Err(ApiError::invalid("position", "must be between 0 and 10000"));
        }
        Ok(ValidItem { category, name, description, price_cents, available, position: self.position })
    }
}

/// One of the caller's restaurants with its current menu.
#[derive(Debug, Serialize)]
struct MyRestaurantView {
    #[serde(flatten)]
    restaurant: Restaurant,
    items: Vec<MenuItem>,
}

/// The columns [`item_from_row`] reads, in its order.
const ITEM_COLUMNS: &str = "id, restaurant_id, category, name, description, price_cents, available, position, version";

fn item_from_row(row: &AnyRow) -> MenuItem {
    MenuItem {
        id: row.get(0),
        restaurant_id: row.get(1),
        category: row.get(2),
        name: row.get(3),
        description: row.get(4),
        price_cents: row.get(5),
        available: row.get::<i64, _>(6) == 1,
        position: row.get(7),
        version: row.get(8),
    }
}

/// Stores a new dish; 0 when the id is taken meanwhile.
pub(crate) async fn insert_item(tx: &mut Tx, item: &MenuItem, now: i64) -> Result<u64, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO menu_items (id, restaurant_id, category, name, description, price_cents, available, position, version, removed, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&item.id)
    .bind(&item.restaurant_id)
    .bind(&item.category)
    .bind(&item.name)
    .bind(&item.description)
    .bind(item.price_cents)
    .bind(i64::from(item.available))
    .bind(item.position)
    .bind(item.version)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected())
}

/// A `menu-item-*` event carrying the dish's new state; its id follows from the item and
/// version, so a retried command publishes the same event.
pub(crate) fn item_event(source: &str, kind: &str, item: &MenuItem, now: i64) -> anyhow::Result<Envelope> {
    let kind = EventType::parse(kind).map_err(anyhow::Error::msg)?;
    Ok(Envelope::new(kind, source, &item.id, &item.version.to_string(), now, serde_json::to_value(item)?).with_tag("restaurant", &item.restaurant_id))
}

/// 404 for an unknown restaurant, 403 for someone else's.
async fn check_owner(tx: &mut Tx, rid: &str, caller: &Caller) -> Result<(), ApiError> {
    let owner: Option<String> = sqlx::query("SELECT owner FROM restaurants WHERE id = $1").bind(rid).fetch_optional(&mut **tx).await?.map(|r| r.get(0));
    match owner {
        None => Err(ApiError::NotFound(format!("No restaurant `{rid}`."))),
        Some(owner) if owner != caller.user_id => Err(ApiError::Forbidden(format!("`{rid}` is not one of your restaurants."))),
        Some(_) => Ok(()),
    }
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
async fn list_my_restaurants(State(state): State<BffState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    let rows = sqlx::query("SELECT id, name, cuisine, description, emoji, owner, version, updated_at FROM restaurants WHERE owner = $1 ORDER BY name, id")
        .bind(&caller.user_id)
        .fetch_all(&state.store.pool)
        .await?;
    let mut as_of = 0;
    let mut restaurants: Vec<MyRestaurantView> = rows
        .iter()
        .map(|row| {
            as_of = as_of.max(row.get::<i64, _>(7));
            let restaurant = Restaurant {
                id: row.get(0),
                name: row.get(1),
                cuisine: row.get(2),
                description: row.get(3),
                emoji: row.get(4),
                owner: row.get(5),
                version: row.get(6),
            };
            MyRestaurantView { restaurant, items: Vec::new() }
        })
        .collect();
    // Removed dishes are read too: their removal time is part of how fresh this answer is.
    let items = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS}, removed, updated_at FROM menu_items \
         WHERE restaurant_id IN (SELECT id FROM restaurants WHERE owner = $1) ORDER BY position, name, id"
    ))
    .bind(&caller.user_id)
    .fetch_all(&state.store.pool)
    .await?;
    for row in &items {
        as_of = as_of.max(row.get::<i64, _>(10));
        if row.get::<i64, _>(9) == 1 {
            continue;
        }
        let item = item_from_row(row);
        if let Some(view) = restaurants.iter_mut().find(|r| r.restaurant.id == item.restaurant_id) {
            view.items.push(item);
        }
    }
    Ok(cached_json(&headers, &json!({ "restaurants": restaurants, "asOf": as_of }), Cache::Private, as_of))
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, restaurant = %rid, item = %item_id))]
async fn update_item(
    State(state): State<BffState>,
    caller: Caller,
    Path((rid, item_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    check_id("restaurantId", &rid)?;
    check_id("itemId", &item_id)?;
    let input = input::parse_body::<UpdateItem>(&body)?.validate()?;
    let mut command = match commands::begin(&state.store, commands::idempotency_key(&headers, &caller.user_id)?).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    check_owner(&mut command.tx, &rid, &caller).await?;
    let existing = sqlx::query("SELECT restaurant_id, position, version, removed FROM menu_items WHERE id = $1")
        .bind(&item_id)
        .fetch_optional(&mut *command.tx)
        .await?
        .map(|row| (row.get::<String, _>(0), row.get::<i64, _>(1), row.get::<i64, _>(2), row.get::<i64, _>(3) == 1));
    // A new dish is at version 0, so `If-Match: "v0"` means "only if it does not exist yet".
    let (current, kept_position, is_live) = match &existing {
        Some((owner_restaurant, _, _, _)) if *owner_restaurant != rid => {
            return Err(ApiError::Conflict(format!("The dish id `{item_id}` already belongs to another restaurant; choose another id.")));
        }
        Some((_, position, version, removed)) => (*version, (!removed).then_some(*position), !removed),
        None => (0, None, false),
    };
    check_if_match(&headers, current)?;
    let position = match input.position.or(kept_position) {
        Some(position) => position,
        None => next_position(&mut command.tx, &rid).await?,
    };
    let now = now_millis();
    let item = MenuItem {
        id: item_id.clone(),
        restaurant_id: rid.clone(),
        category: input.category,
        name: input.name,
        description: input.description,
        price_cents: input.price_cents,
        available: input.available,
        position,
        version: current + 1,
    };
    let changed = if existing.is_some() {
        // Optimistic concurrency: only lands on the version read above.
        sqlx::query(
            "UPDATE menu_items SET category = $1, name = $2, description = $3, price_cents = $4, available = $5, position = $6, \
             version = $7, removed = 0, updated_at = $8 WHERE id = $9 AND version = $10",
        )
        .bind(&item.category)
        .bind(&item.name)
        .bind(&item.description)
        .bind(item.price_cents)
        .bind(i64::from(item.available))
        .bind(item.position)
        .bind(item.version)
        .bind(now)
        .bind(&item.id)
        .bind(current)
        .execute(&mut *command.tx)
        .await?
        .rows_affected()
    } else {
        insert_item(&mut command.tx, &item, now).await?
    };
    if changed == 0 {
        return Err(ApiError::Conflict("This dish was changed at the same time; reload the menu and try again.".into()));
    }
    outbox::enqueue(&mut command.tx, &[item_event(state.name, MENU_ITEM_UPDATED, &item, now)?]).await?;
    let status = if is_live { StatusCode::OK } else { StatusCode::CREATED };
    let body = serde_json::to_value(&item).map_err(|e| ApiError::Internal(e.into()))?;
    let response = command.finish(&state.store, status, body, Some(version_etag(item.version))).await?;
    state.events_committed();
    Ok(response)
}

/// New dishes go to the end of the menu.
async fn next_position(tx: &mut Tx, rid: &str) -> Result<i64, sqlx::Error> {
    let last: Option<i64> = sqlx::query("SELECT MAX(position) FROM menu_items WHERE restaurant_id = $1").bind(rid).fetch_one(&mut **tx).await?.get(0);
    Ok(last.map_or(0, |p| p + 1))
}

#[tracing::instrument(skip_all, fields(user = %caller.user_id, restaurant = %rid, item = %item_id))]
async fn remove_item(
    State(state): State<BffState>,
    caller: Caller,
    Path((rid, item_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(roles::RESTAURANT)?;
    check_id("restaurantId", &rid)?;
    check_id("itemId", &item_id)?;
    let mut command = match commands::begin(&state.store, commands::idempotency_key(&headers, &caller.user_id)?).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(command) => command,
    };
    check_owner(&mut command.tx, &rid, &caller).await?;
    let row = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM menu_items WHERE id = $1 AND restaurant_id = $2 AND removed = 0"))
        .bind(&item_id)
        .bind(&rid)
        .fetch_optional(&mut *command.tx)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No dish `{item_id}` on this menu.")))?;
    let mut item = item_from_row(&row);
    check_if_match(&headers, item.version)?;
    let current = item.version;
    // The removal is a version of its own and carries the dish as unavailable, so consumers
    // that apply "newest version wins" drop it and never bring it back from an older event.
    item.version += 1;
    item.available = false;
    let now = now_millis();
    let changed = sqlx::query("UPDATE menu_items SET available = 0, removed = 1, version = $1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(item.version)
        .bind(now)
        .bind(&item.id)
        .bind(current)
        .execute(&mut *command.tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(ApiError::Conflict("This dish was changed at the same time; reload the menu and try again.".into()));
    }
    outbox::enqueue(&mut command.tx, &[item_event(state.name, MENU_ITEM_REMOVED, &item, now)?]).await?;
    let body = serde_json::to_value(&item).map_err(|e| ApiError::Internal(e.into()))?;
    let response = command.finish(&state.store, StatusCode::OK, body, Some(version_etag(item.version))).await?;
    state.events_committed();
    Ok(response)
}
