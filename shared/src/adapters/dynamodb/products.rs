use super::{
    collect_pages, from_item, get_one, n, s, store_error, store_error_as, to_av, to_item, Page,
};
use crate::domain::{adjusted_stock, Product, StockRange, MAX_STOCK};
use crate::ports::{ProductStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;

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
    async fn list(&self) -> StoreResult<Vec<Product>> {
        let scan = self.client.scan().table_name(&self.table);
        let mut products: Vec<Product> = collect_pages(usize::MAX, |start| {
            let page = scan.clone().set_exclusive_start_key(start);
            async move {
                let output = page.send().await.map_err(store_error)?;
                Ok(Page {
                    items: output.items.unwrap_or_default(),
                    next: output.last_evaluated_key,
                })
            }
        })
        .await?;
        products.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(products)
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Product>> {
        get_one(&self.client, &self.table, "id", id).await
    }

    async fn create(&self, product: &Product) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(product)?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
            .map_err(store_error_as(StoreError::AlreadyExists))?;
        Ok(())
    }

    async fn update_details(&self, product: &Product) -> StoreResult<Product> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(&product.id))
            .update_expression(
                "SET #name = :name, category = :category, description = :description, \
                 image = :image, price = :price, #state = :state",
            )
            .condition_expression("attribute_exists(id)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":name", s(&product.name))
            .expression_attribute_values(":category", s(&product.category))
            .expression_attribute_values(":description", s(&product.description))
            .expression_attribute_values(":image", s(&product.image))
            .expression_attribute_values(":price", n(product.price.cents()))
            .expression_attribute_values(":state", to_av(&product.state)?)
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error_as(StoreError::NotFound))?;
        from_item(output.attributes.unwrap_or_default())
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
        let (floor, ceiling) = (-delta.min(0), max - delta.max(0));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .update_expression("SET stock = stock + :delta")
            .condition_expression("attribute_exists(id) AND stock >= :floor AND stock <= :ceiling")
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":floor", n(floor))
            .expression_attribute_values(":ceiling", n(ceiling))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error);
        match result {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
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
