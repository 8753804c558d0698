use super::{get_one, put, s, to_item, update, Expr};
use crate::ports::{Session, SessionStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

/// Refresh-token families, as `SESSION#<id>` items of the users table.
pub struct DynamoSessionStore {
    client: Client,
    table: String,
}

impl DynamoSessionStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoSessionStore { client, table }
    }

    fn key(id: &str) -> String {
        format!("SESSION#{id}")
    }
}

#[async_trait]
impl SessionStore for DynamoSessionStore {
    async fn create(&self, session: &Session) -> StoreResult<()> {
        let mut item = to_item(session)?;
        item.insert("pk".into(), s(Self::key(&session.id)));
        put(
            &self.client,
            &self.table,
            item,
            Expr::when("attribute_not_exists(pk)"),
        )
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => StoreError::AlreadyExists,
            other => other,
        })
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Session>> {
        get_one(&self.client, &self.table, "pk", &Self::key(id)).await
    }

    async fn rotate(&self, id: &str, current: &str, next: &str) -> StoreResult<()> {
        let good = Expr::when("tokenDigest = :current AND revoked = :false")
            .value(":current", s(current))
            .value(":next", s(next))
            .value(":false", AttributeValue::Bool(false));
        let key = Self::key(id);
        update(
            &self.client,
            &self.table,
            ("pk", &key),
            "SET tokenDigest = :next",
            good,
        )
        .await?;
        Ok(())
    }

    async fn revoke(&self, id: &str) -> StoreResult<()> {
        let exists = Expr::when("attribute_exists(pk)").value(":true", AttributeValue::Bool(true));
        let key = Self::key(id);
        match update(
            &self.client,
            &self.table,
            ("pk", &key),
            "SET revoked = :true",
            exists,
        )
        .await
        {
            // Nothing to revoke is revoked.
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
