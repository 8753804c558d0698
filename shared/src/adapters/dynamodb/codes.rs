use super::{from_item, get_one, n, put, s, store_error, to_item, update, Expr};
use crate::ports::{CodePurpose, OneTimeCode, OneTimeCodeStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

/// Mailed one-time codes, as `CODE#<purpose>#<user id>` items of the users
/// table: one live code per user and purpose.
pub struct DynamoCodeStore {
    client: Client,
    table: String,
}

impl DynamoCodeStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoCodeStore { client, table }
    }

    fn key(user_id: &str, purpose: CodePurpose) -> String {
        format!("CODE#{}#{user_id}", purpose.as_str())
    }
}

#[async_trait]
impl OneTimeCodeStore for DynamoCodeStore {
    async fn put(&self, code: &OneTimeCode) -> StoreResult<()> {
        let mut item = to_item(code)?;
        item.insert("pk".into(), s(Self::key(&code.user_id, code.purpose)));
        put(&self.client, &self.table, item, Expr::default()).await
    }

    async fn get(&self, user_id: &str, purpose: CodePurpose) -> StoreResult<Option<OneTimeCode>> {
        get_one(
            &self.client,
            &self.table,
            "pk",
            &Self::key(user_id, purpose),
        )
        .await
    }

    async fn spend_try(&self, user_id: &str, purpose: CodePurpose) -> StoreResult<u32> {
        let key = Self::key(user_id, purpose);
        let live = Expr::when("triesLeft > :zero")
            .value(":zero", n(0))
            .value(":one", n(1));
        let spent = update(
            &self.client,
            &self.table,
            ("pk", &key),
            "SET triesLeft = triesLeft - :one",
            live,
        )
        .await;
        let code: OneTimeCode = match spent {
            Ok(item) => from_item(item)?,
            Err(StoreError::ConditionFailed) => return Ok(0),
            Err(e) => return Err(e),
        };
        if code.tries_left == 0 {
            self.consume(user_id, purpose, &code.digest).await.ok();
        }
        Ok(code.tries_left)
    }

    async fn consume(&self, user_id: &str, purpose: CodePurpose, digest: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(Self::key(user_id, purpose)))
            .condition_expression("digest = :digest")
            .expression_attribute_values(":digest", s(digest))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
