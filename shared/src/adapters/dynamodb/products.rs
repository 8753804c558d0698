use super::{
    condition_means, from_item, get_one, n, put, s, store_error, to_av, to_item, update, Expr,
};
use crate::domain::{adjusted_stock, Product, StockRange, MAX_STOCK};
use crate::ports::{ProductPage, ProductStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

pub struct DynamoProductStore {
    client: Client,
    table: String,
}

impl DynamoProductStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoProductStore { client, table }
    }
}

#[async_trait]
impl ProductStore for DynamoProductStore {
    /// A Query of the `byState` index (active products, sorted by id).
    async fn list_active(&self, after: Option<&str>, limit: usize) -> StoreResult<ProductPage> {
        let limit = i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let start = after.map(|id| {
            HashMap::from([
                ("id".to_string(), s(id)),
                ("state".to_string(), s("active")),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("byState")
            .key_condition_expression("#state = :active")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":active", s("active"))
            .set_exclusive_start_key(start)
            .limit(limit)
            .send()
            .await
            .map_err(store_error)?;
        let products = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<StoreResult<Vec<Product>>>()?;
        let next_after = match output.last_evaluated_key {
            Some(key) => match key.get("id") {
                Some(AttributeValue::S(id)) => Some(id.clone()),
                _ => return Err(StoreError::Corrupt("a page key without id".into())),
            },
            None => None,
        };
        Ok(ProductPage {
            products,
            next_after,
        })
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Product>> {
        get_one(&self.client, &self.table, "id", id).await
    }

    async fn create(&self, product: &Product) -> StoreResult<()> {
        let new = Expr::when("attribute_not_exists(id)");
        let created = put(&self.client, &self.table, to_item(product)?, new).await;
        condition_means(created, StoreError::AlreadyExists)
    }

    async fn update_details(&self, product: &Product) -> StoreResult<Product> {
        let exists = Expr::when("attribute_exists(id)")
            .name("#name", "name")
            .name("#state", "state")
            .value(":name", s(&product.name))
            .value(":category", s(&product.category))
            .value(":description", s(&product.description))
            .value(":image", s(&product.image))
            .value(":price", n(product.price.cents()))
            .value(":state", to_av(&product.state)?);
        let set = "SET #name = :name, category = :category, description = :description, \
                   image = :image, price = :price, #state = :state";
        let updated = update(&self.client, &self.table, ("id", &product.id), set, exists).await;
        from_item(condition_means(updated, StoreError::NotFound)?)
    }

    async fn adjust_stock(&self, id: &str, delta: i64) -> StoreResult<Product> {
        // A delta larger than the whole range can never fit; otherwise the
        // condition bounds the stock the product must have now.
        let max = i64::from(MAX_STOCK);
        if delta.unsigned_abs() > MAX_STOCK.into() {
            let range = if delta < 0 {
                StockRange::BelowZero
            } else {
                StockRange::AboveMaximum
            };
            return Err(StoreError::stock(range, id));
        }
        let within = Expr::when("attribute_exists(id) AND stock >= :floor AND stock <= :ceiling")
            .value(":delta", n(delta))
            .value(":floor", n(-delta.min(0)))
            .value(":ceiling", n(max - delta.max(0)));
        let set = "SET stock = stock + :delta";
        match update(&self.client, &self.table, ("id", id), set, within).await {
            Ok(item) => from_item(item),
            Err(StoreError::ConditionFailed) => match self.get(id).await? {
                None => Err(StoreError::NotFound),
                Some(product) => match adjusted_stock(product.stock, delta) {
                    Err(range) => Err(StoreError::stock(range, id)),
                    // The stock moved between the write and this read.
                    Ok(_) => Err(StoreError::ConditionFailed),
                },
            },
            Err(e) => Err(e),
        }
    }

    async fn seed(&self, products: &[Product]) -> StoreResult<usize> {
        let mut inserted = 0;
        for product in products {
            match self.create(product).await {
                Ok(()) => inserted += 1,
                Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(inserted)
    }
}
