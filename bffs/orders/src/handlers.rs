//! The listener `orders-tracking`: every `order-*` event → `orders` (the highest status rank
//! wins) and `order_timeline` (each status once). Duplicated, repeated and out-of-order
//! deliveries all end in the same view.

use anyhow::{Context, ensure};
use async_trait::async_trait;
use tessera_bff_kit::Tx;
use tessera_bff_kit::listener::{Handler, apply_if_newer};
use tessera_contracts::Envelope;
use tessera_contracts::food::{ORDER_ACCEPTED, ORDER_DELIVERED, ORDER_PICKED_UP, ORDER_PLACED, ORDER_READY, ORDER_REJECTED, Order};

const CONSUMER: &str = "orders-tracking";

#[derive(Debug, Clone, Copy)]
pub(crate) struct OrdersTracking;

#[async_trait]
impl Handler for OrdersTracking {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn types(&self) -> Vec<String> {
        [ORDER_PLACED, ORDER_ACCEPTED, ORDER_REJECTED, ORDER_READY, ORDER_PICKED_UP, ORDER_DELIVERED].map(String::from).to_vec()
    }

    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()> {
        let order: Order = serde_json::from_value(event.entity().context("the event carries no order")?.clone()).context("reading the order")?;
        // The type and the status say the same thing; when they do not, the producer is wrong
        // and a fault says so rather than a timeline step appearing under the wrong name.
        ensure!(event.kind.as_str() == order.status.event_type(), "a `{}` event carries an order in status `{}`", event.kind, order.status.as_str());
        let rank = order.status.rank();
        if apply_if_newer(tx, CONSUMER, &order.id, rank).await? {
            sqlx::query(
                "INSERT INTO orders (id, customer_id, status, rank, placed_at, body, as_of) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, status = excluded.status, rank = excluded.rank, \
                 placed_at = excluded.placed_at, body = excluded.body, \
                 as_of = CASE WHEN orders.as_of < excluded.as_of THEN excluded.as_of ELSE orders.as_of END",
            )
            .bind(&order.id)
            .bind(&order.customer_id)
            .bind(order.status.as_str())
            .bind(rank)
            .bind(order.placed_at)
            .bind(serde_json::to_string(&order).context("serialising the order")?)
            .bind(event.timestamp)
            .execute(&mut **tx)
            .await?;
        } else {
            // A late step still changes the timeline, so the order's as-of moves too.
            sqlx::query("UPDATE orders SET as_of = CASE WHEN as_of < $1 THEN $1 ELSE as_of END WHERE id = $2")
                .bind(event.timestamp)
                .bind(&order.id)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("INSERT INTO order_timeline (order_id, status, rank, at) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id, status) DO NOTHING")
            .bind(&order.id)
            .bind(order.status.as_str())
            .bind(rank)
            .bind(order.status_at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM order_timeline").execute(&mut **tx).await?;
        sqlx::query("DELETE FROM orders").execute(&mut **tx).await?;
        Ok(())
    }
}
