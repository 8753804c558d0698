//! Loads the seed catalog into `PRODUCTS_TABLE`. Idempotent: products that
//! exist already (and their stock) are left as they are.

use shared::adapters::aws;
use shared::adapters::dynamodb::DynamoProductStore;
use shared::domain::seed_products;
use shared::ports::ProductStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws::load_config().await;
    let table = aws::env_required("PRODUCTS_TABLE")?;
    let store = DynamoProductStore::new(aws::dynamodb(&config), table.clone());
    let products = seed_products();
    let inserted = store.seed(&products).await?;
    println!(
        "{table}: {inserted} of {} seed products inserted",
        products.len()
    );
    Ok(())
}
