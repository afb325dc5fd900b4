//! The `menus-catalog` listener: `restaurant-updated`, `menu-item-updated` and
//! `menu-item-removed` → `restaurants` and `menu_items`.

use anyhow::{Context, bail};
use async_trait::async_trait;
use tessera_bff_kit::listener::{Handler, apply_if_newer};
use tessera_bff_kit::{Tx, now_millis};
use tessera_contracts::Envelope;
use tessera_contracts::food::{MENU_ITEM_REMOVED, MENU_ITEM_UPDATED, MenuItem, RESTAURANT_UPDATED, Restaurant};

const CONSUMER: &str = "menus-catalog";

#[derive(Debug, Clone, Copy)]
pub struct CatalogView;

#[async_trait]
impl Handler for CatalogView {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn types(&self) -> Vec<String> {
        [RESTAURANT_UPDATED, MENU_ITEM_UPDATED, MENU_ITEM_REMOVED].map(String::from).to_vec()
    }

    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()> {
        let entity = event.entity().with_context(|| format!("the {} event carries no entity", event.kind))?.clone();
        match event.kind.as_str() {
            RESTAURANT_UPDATED => {
                let restaurant: Restaurant = serde_json::from_value(entity).context("the restaurant is unreadable")?;
                if apply_if_newer(tx, CONSUMER, &format!("restaurant:{}", restaurant.id), restaurant.version).await? {
                    upsert_restaurant(tx, &restaurant).await?;
                }
            }
            kind @ (MENU_ITEM_UPDATED | MENU_ITEM_REMOVED) => {
                let item: MenuItem = serde_json::from_value(entity).context("the menu item is unreadable")?;
                // Updates and removals share one version line per dish, so whichever is newest
                // wins whatever order they arrive in.
                if apply_if_newer(tx, CONSUMER, &format!("item:{}", item.id), item.version).await? {
                    upsert_item(tx, &item, kind == MENU_ITEM_REMOVED).await?;
                }
            }
            other => bail!("menus-catalog does not handle `{other}` events"),
        }
        Ok(())
    }

    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM menu_items").execute(&mut **tx).await?;
        sqlx::query("DELETE FROM restaurants").execute(&mut **tx).await?;
        Ok(())
    }
}

async fn upsert_restaurant(tx: &mut Tx, restaurant: &Restaurant) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO restaurants (id, name, cuisine, description, emoji, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, cuisine = excluded.cuisine, description = excluded.description, \
         emoji = excluded.emoji, version = excluded.version, updated_at = excluded.updated_at",
    )
    .bind(&restaurant.id)
    .bind(&restaurant.name)
    .bind(&restaurant.cuisine)
    .bind(&restaurant.description)
    .bind(&restaurant.emoji)
    .bind(restaurant.version)
    .bind(now_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn upsert_item(tx: &mut Tx, item: &MenuItem, removed: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO menu_items (id, restaurant_id, category, name, description, price_cents, available, position, version, removed, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET restaurant_id = excluded.restaurant_id, category = excluded.category, name = excluded.name, \
         description = excluded.description, price_cents = excluded.price_cents, available = excluded.available, \
         position = excluded.position, version = excluded.version, removed = excluded.removed, updated_at = excluded.updated_at",
    )
    .bind(&item.id)
    .bind(&item.restaurant_id)
    .bind(&item.category)
    .bind(&item.name)
    .bind(&item.description)
    .bind(item.price_cents)
    .bind(i64::from(item.available && !removed))
    .bind(item.position)
    .bind(item.version)
    .bind(i64::from(removed))
    .bind(now_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
