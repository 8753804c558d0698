use super::{get_one, n, s, store_error, store_error_as, to_item};
use crate::ports::{Claim, IdempotencyRecord, IdempotencyStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

pub struct DynamoIdempotencyStore {
    client: Client,
    table: String,
}

impl DynamoIdempotencyStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoIdempotencyStore { client, table }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotencyStore {
    async fn claim(&self, record: &IdempotencyRecord, now: DateTime<Utc>) -> StoreResult<Claim> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)?))
            // TTL deletion lags by hours, so expiry is checked here too.
            .condition_expression(
                "attribute_not_exists(pk) OR expiresAt <= :now \
                 OR (completed = :false AND leaseExpiresAt <= :now)",
            )
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(store_error);
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(StoreError::ConditionFailed) => {
                match get_one(&self.client, &self.table, "pk", &record.key).await? {
                    Some(existing) => Ok(Claim::Existing(existing)),
                    None => Err(StoreError::Transient("idempotency record vanished".into())),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn complete(&self, key: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("SET completed = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(store_error_as(StoreError::NotFound))?;
        Ok(())
    }

    async fn release(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
