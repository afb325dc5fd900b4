//! The public queries: search and the restaurant page. Both read only this BFF's view.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use tessera_bff_kit::queries::{Cache, cached_json};
use tessera_bff_kit::{ApiError, BffState, Tx};
use tessera_contracts::food::MenuItem;

/// Menus change rarely and are the same for everybody: shared caches may keep them briefly.
const CACHE: Cache = Cache::Public { max_age_seconds: 30 };

pub(crate) fn router() -> Router<BffState> {
    Router::new().route("/restaurants", get(list_restaurants)).route("/restaurants/{id}", get(get_restaurant))
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    cuisine: Option<String>,
}

/// A restaurant's card: what the search list and the restaurant page show about it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RestaurantView {
    id: String,
    name: String,
    cuisine: String,
    description: String,
    emoji: String,
    /// Dishes that can be ordered now.
    item_count: i64,
    /// The cheapest dish that can be ordered now; `null` when there is none.
    from_price_cents: Option<i64>,
}

#[derive(Debug, Serialize)]
struct CategoryView {
    name: String,
    items: Vec<MenuItem>,
}

/// Restaurant cards with their counts; [`restaurant_from_row`] reads the columns.
const RESTAURANT_CARDS: &str = "SELECT r.id, r.name, r.cuisine, r.description, r.emoji, \
     (SELECT COUNT(*) FROM menu_items i WHERE i.restaurant_id = r.id AND i.removed = 0 AND i.available = 1), \
     (SELECT MIN(i.price_cents) FROM menu_items i WHERE i.restaurant_id = r.id AND i.removed = 0 AND i.available = 1) \
     FROM restaurants r";

fn restaurant_from_row(row: &AnyRow) -> RestaurantView {
    RestaurantView {
        id: row.get(0),
        name: row.get(1),
        cuisine: row.get(2),
        description: row.get(3),
        emoji: row.get(4),
        item_count: row.get(5),
        from_price_cents: row.get(6),
    }
}

/// A search term as a `LIKE` pattern matching it anywhere, its wildcards taken literally.
fn contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A bounded, trimmed query parameter (`""` when absent).
fn parameter(field: &str, value: Option<String>, max: usize) -> Result<String, ApiError> {
    let value = value.unwrap_or_default();
    let value = value.trim();
    if value.chars().count() > max {
        return Err(ApiError::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_string())
}

/// When the view last changed (epoch ms): everything, or one restaurant's part of it.
async fn as_of(tx: &mut Tx, restaurant: Option<&str>) -> Result<i64, sqlx::Error> {
    let id = restaurant.unwrap_or_default();
    let restaurants: Option<i64> =
        sqlx::query("SELECT MAX(updated_at) FROM restaurants WHERE $1 = '' OR id = $1").bind(id).fetch_one(&mut **tx).await?.get(0);
    let items: Option<i64> =
        sqlx::query("SELECT MAX(updated_at) FROM menu_items WHERE $1 = '' OR restaurant_id = $1").bind(id).fetch_one(&mut **tx).await?.get(0);
    Ok(restaurants.unwrap_or(0).max(items.unwrap_or(0)))
}

#[tracing::instrument(skip_all)]
async fn list_restaurants(State(state): State<BffState>, Query(query): Query<SearchQuery>, headers: HeaderMap) -> Result<Response, ApiError> {
    let q = parameter("q", query.q, 100)?.to_lowercase();
    let cuisine = parameter("cuisine", query.cuisine, 100)?;
    let mut tx = state.store.snapshot().await?;
    // LOWER(...) LIKE: case-insensitive on both SQLite and PostgreSQL (ILIKE is PostgreSQL's).
    let rows = sqlx::query(&format!(
        "{RESTAURANT_CARDS} WHERE ($1 = '' \
            OR LOWER(r.name) LIKE $2 ESCAPE '\\' \
            OR LOWER(r.cuisine) LIKE $2 ESCAPE '\\' \
            OR EXISTS (SELECT 1 FROM menu_items i WHERE i.restaurant_id = r.id AND i.removed = 0 AND LOWER(i.name) LIKE $2 ESCAPE '\\')) \
         AND ($3 = '' OR LOWER(r.cuisine) = LOWER($3)) \
         ORDER BY r.name, r.id"
    ))
    .bind(&q)
    .bind(contains_pattern(&q))
    .bind(&cuisine)
    .fetch_all(&mut *tx)
    .await?;
    let restaurants: Vec<RestaurantView> = rows.iter().map(restaurant_from_row).collect();
    // Every cuisine, not only the matching ones: the app offers them as filters.
    let cuisines: Vec<String> =
        sqlx::query("SELECT DISTINCT cuisine FROM restaurants ORDER BY cuisine").fetch_all(&mut *tx).await?.iter().map(|r| r.get(0)).collect();
    let as_of = as_of(&mut tx, None).await?;
    tx.commit().await?;
    Ok(cached_json(&headers, &json!({ "restaurants": restaurants, "cuisines": cuisines, "asOf": as_of }), CACHE, as_of))
}

#[tracing::instrument(skip_all, fields(restaurant = %id))]
async fn get_restaurant(State(state): State<BffState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let valid = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ApiError::invalid("id", "must be 1 to 64 letters, digits, `-` or `_`"));
    }
    // The card (its dish count) and the dishes from one state of the view.
    let mut tx = state.store.snapshot().await?;
    let restaurant = sqlx::query(&format!("{RESTAURANT_CARDS} WHERE r.id = $1"))
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| restaurant_from_row(&row))
        .ok_or_else(|| ApiError::NotFound(format!("No restaurant `{id}`.")))?;
    let rows = sqlx::query(
        "SELECT id, restaurant_id, category, name, description, price_cents, available, position, version \
         FROM menu_items WHERE restaurant_id = $1 AND removed = 0 ORDER BY position, name, id",
    )
    .bind(&id)
    .fetch_all(&mut *tx)
    .await?;
    // Categories come in the order of their first dish, so the owner's positions order both.
    let mut categories: Vec<CategoryView> = Vec::new();
    for row in &rows {
        let item = MenuItem {
            id: row.get(0),
            restaurant_id: row.get(1),
            category: row.get(2),
            name: row.get(3),
            description: row.get(4),
            price_cents: row.get(5),
            available: row.get::<i64, _>(6) == 1,
            position: row.get(7),
            version: row.get(8),
        };
        match categories.iter_mut().find(|c| c.name == item.category) {
            Some(category) => category.items.push(item),
            None => categories.push(CategoryView { name: item.category.clone(), items: vec![item] }),
        }
    }
    let as_of = as_of(&mut tx, Some(&id)).await?;
    tx.commit().await?;
    Ok(cached_json(&headers, &json!({ "restaurant": restaurant, "categories": categories, "asOf": as_of }), CACHE, as_of))
}
