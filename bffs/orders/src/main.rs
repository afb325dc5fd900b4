//! `orders-bff`: serve (default) or `replay [--since <epoch ms>]`; `--help` lists the options.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_bff_kit::app::run_cli(orders_bff::spec()).await
}
