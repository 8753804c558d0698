use super::{condition_means, get_one, n, put, s, store_error, to_item, update, Expr};
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
        // TTL deletion lags by hours, so expiry is checked here too.
        let free = Expr::when(
            "attribute_not_exists(pk) OR expiresAt <= :now \
             OR (completed = :false AND leaseExpiresAt <= :now)",
        )
        .value(":now", n(now.timestamp()))
        .value(":false", AttributeValue::Bool(false));
        match put(&self.client, &self.table, to_item(record)?, free).await {
            Ok(()) => Ok(Claim::Acquired),
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
        let exists = Expr::when("attribute_exists(pk)").value(":true", AttributeValue::Bool(true));
        let done = update(
            &self.client,
            &self.table,
            ("pk", key),
            "SET completed = :true",
            exists,
        )
        .await;
        condition_means(done, StoreError::NotFound)?;
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
