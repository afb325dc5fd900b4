//! The listener `driver-deliveries`: `order-ready` → a delivery on offer.

use anyhow::{Context, ensure};
use async_trait::async_trait;
use tessera_bff_kit::Tx;
use tessera_bff_kit::listener::Handler;
use tessera_contracts::Envelope;
use tessera_contracts::food::{ORDER_READY, Order, OrderStatus};

const CONSUMER: &str = "driver-deliveries";

#[derive(Debug, Clone, Copy)]
pub(crate) struct DriverDeliveries;

#[async_trait]
impl Handler for DriverDeliveries {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn types(&self) -> Vec<String> {
        vec![ORDER_READY.to_string()]
    }

    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()> {
        let order: Order = serde_json::from_value(event.entity().context("the event carries no order")?.clone()).context("reading the order")?;
        ensure!(order.status == OrderStatus::Ready, "an `order-ready` event carries an order in status `{}`", order.status.as_str());
        // An order is offered once: a repeated `order-ready` must not undo a claim or a step.
        sqlx::query("INSERT INTO deliveries (id, status, body, ready_at, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING")
            .bind(&order.id)
            .bind(OrderStatus::Ready.as_str())
            .bind(serde_json::to_string(&order).context("serialising the order")?)
            .bind(order.status_at)
            .bind(event.timestamp)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()> {
        // Claimed deliveries are drivers' work, not derived from events: a replay rebuilds the
        // offer and keeps them (the `order-ready` of a claimed one then changes nothing).
        sqlx::query("DELETE FROM deliveries WHERE driver_id IS NULL").execute(&mut **tx).await?;
        Ok(())
    }
}
