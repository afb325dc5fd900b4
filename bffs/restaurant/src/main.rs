//! `restaurant-bff`: serve (default) or `replay [--since <epoch ms>]`; `--help` lists the options.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_bff_kit::app::run_cli(restaurant_bff::spec()).await
}
