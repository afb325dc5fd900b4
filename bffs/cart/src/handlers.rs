//! The listener `cart-catalog`: restaurant and menu events → `catalog_restaurants` and
//! `catalog_items`, newest version first, whatever order the events arrive in.

use anyhow::{Context, bail};
use async_trait::async_trait;
use tessera_bff_kit::Tx;
use tessera_bff_kit::listener::{Handler, apply_if_newer};
use tessera_contracts::Envelope;
use tessera_contracts::food::{MENU_ITEM_REMOVED, MENU_ITEM_UPDATED, MenuItem, RESTAURANT_UPDATED, Restaurant};

const CONSUMER: &str = "cart-catalog";

#[derive(Debug, Clone, Copy)]
pub(crate) struct CartCatalog;

#[async_trait]
impl Handler for CartCatalog {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn types(&self) -> Vec<String> {
        [RESTAURANT_UPDATED, MENU_ITEM_UPDATED, MENU_ITEM_REMOVED].map(String::from).to_vec()
    }

    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()> {
        let entity = event.entity().with_context(|| format!("the `{}` event carries no entity", event.kind))?.clone();
        match event.kind.as_str() {
            RESTAURANT_UPDATED => {
                let restaurant: Restaurant = serde_json::from_value(entity).context("reading the restaurant")?;
                // Restaurants and dishes have their own version sequences: keep them apart.
                if apply_if_newer(tx, CONSUMER, &format!("restaurant:{}", restaurant.id), restaurant.version).await? {
                    sqlx::query(
                        "INSERT INTO catalog_restaurants (id, name, as_of) VALUES ($1, $2, $3) \
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, as_of = excluded.as_of",
                    )
                    .bind(&restaurant.id)
                    .bind(&restaurant.name)
                    .bind(event.timestamp)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            MENU_ITEM_UPDATED | MENU_ITEM_REMOVED => {
                let item: MenuItem = serde_json::from_value(entity).context("reading the menu item")?;
                // The removal is a version of the dish like any other, so an older update
                // arriving late cannot bring a removed dish back.
                if apply_if_newer(tx, CONSUMER, &format!("menu-item:{}", item.id), item.version).await? {
                    let available = item.available && event.kind.as_str() == MENU_ITEM_UPDATED;
                    sqlx::query(
                        "INSERT INTO catalog_items (id, restaurant_id, name, price_cents, available, as_of) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (id) DO UPDATE SET restaurant_id = excluded.restaurant_id, name = excluded.name, \
                         price_cents = excluded.price_cents, available = excluded.available, as_of = excluded.as_of",
                    )
                    .bind(&item.id)
                    .bind(&item.restaurant_id)
                    .bind(&item.name)
                    .bind(item.price_cents)
                    .bind(i64::from(available))
                    .bind(event.timestamp)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            other => bail!("`{other}` is not an event the cart catalog reads"),
        }
        Ok(())
    }

    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()> {
        // Only the catalog is built from events; carts and placed orders are the cart's own.
        sqlx::query("DELETE FROM catalog_items").execute(&mut **tx).await?;
        sqlx::query("DELETE FROM catalog_restaurants").execute(&mut **tx).await?;
        Ok(())
    }
}
