//! The `restaurant-kitchen` listener: orders placed for a restaurant, and how the drivers
//! moved them on, into `kitchen_orders`.

use anyhow::Context;
use async_trait::async_trait;
use tessera_bff_kit::listener::{Handler, apply_if_newer};
use tessera_bff_kit::{Tx, now_millis};
use tessera_contracts::Envelope;
use tessera_contracts::food::{ORDER_ACCEPTED, ORDER_DELIVERED, ORDER_PICKED_UP, ORDER_PLACED, ORDER_READY, ORDER_REJECTED, Order};

/// The consumer name; the kitchen's commands bump its versions too (see `kitchen::take_step`).
pub(crate) const CONSUMER: &str = "restaurant-kitchen";

#[derive(Debug, Clone, Copy)]
pub struct KitchenOrders;

#[async_trait]
impl Handler for KitchenOrders {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn types(&self) -> Vec<String> {
        // This BFF's own accept/reject/ready events change nothing in normal operation (the
        // command already moved the row and the version to their rank); they are here so that
        // a replay, which empties `kitchen_orders`, rebuilds the kitchen's own steps as well.
        [ORDER_PLACED, ORDER_PICKED_UP, ORDER_DELIVERED, ORDER_ACCEPTED, ORDER_REJECTED, ORDER_READY].map(String::from).to_vec()
    }

    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()> {
        let entity = event.entity().context("the event carries no order")?;
        let order: Order = serde_json::from_value(entity.clone()).context("the order is unreadable")?;
        // The furthest status wins, whatever order the events arrive in.
        if apply_if_newer(tx, CONSUMER, &order.id, order.status.rank()).await? {
            sqlx::query(
                "INSERT INTO kitchen_orders (id, restaurant_id, status, status_rank, placed_at, order_json, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_rank = excluded.status_rank, \
                 order_json = excluded.order_json, updated_at = excluded.updated_at",
            )
            .bind(&order.id)
            .bind(&order.restaurant_id)
            .bind(order.status.as_str())
            .bind(order.status.rank())
            .bind(order.placed_at)
            .bind(serde_json::to_string(&order)?)
            .bind(now_millis())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM kitchen_orders").execute(&mut **tx).await?;
        Ok(())
    }
}
