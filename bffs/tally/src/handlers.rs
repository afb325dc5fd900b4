//! The listener's handler: `tally-incremented` → `tally_view`.

use anyhow::Context;
use async_trait::async_trait;
use tessera_bff_kit::listener::{Handler, apply_if_newer};
use tessera_bff_kit::{Tx, now_millis};
use tessera_contracts::Envelope;

use crate::TALLY_INCREMENTED;

#[derive(Debug, Clone, Copy)]
pub struct TallyView;

const CONSUMER: &str = "tally-view";

#[async_trait]
impl Handler for TallyView {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn types(&self) -> Vec<String> {
        vec![TALLY_INCREMENTED.to_string()]
    }

    async fn handle(&self, tx: &mut Tx, event: &Envelope) -> anyhow::Result<()> {
        let tally = event.entity().context("the event carries no tally")?;
        let id = tally["id"].as_str().context("tally.id is missing")?;
        let label = tally["label"].as_str().context("tally.label is missing")?;
        let total = tally["total"].as_i64().context("tally.total is missing")?;
        let version = tally["version"].as_i64().context("tally.version is missing")?;
        let by = tally["by"].as_i64().context("tally.by is missing")?;
        // Every fresh event adds its increment, whatever order it arrives in.
        sqlx::query(
            "INSERT INTO tally_view (id, label, total, version, delta_sum, as_of) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET delta_sum = tally_view.delta_sum + excluded.delta_sum, as_of = excluded.as_of",
        )
        .bind(id)
        .bind(label)
        .bind(total)
        .bind(version)
        .bind(by)
        .bind(now_millis())
        .execute(&mut **tx)
        .await?;
        // The state it carries only lands when it is newer than what the view has.
        if apply_if_newer(tx, CONSUMER, id, version).await? {
            sqlx::query("UPDATE tally_view SET label = $1, total = $2, version = $3 WHERE id = $4")
                .bind(label)
                .bind(total)
                .bind(version)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    async fn reset(&self, tx: &mut Tx) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM tally_view").execute(&mut **tx).await?;
        Ok(())
    }
}
