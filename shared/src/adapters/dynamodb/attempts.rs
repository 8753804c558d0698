use super::{from_item, get_one, n, s, store_error, to_av, update, Expr};
use crate::ports::{AttemptStore, Attempts, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

/// Failed-login counters, as `ATTEMPTS#<key>` items of the users table.
pub struct DynamoAttemptStore {
    client: Client,
    table: String,
}

impl DynamoAttemptStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoAttemptStore { client, table }
    }

    fn key(key: &str) -> String {
        format!("ATTEMPTS#{key}")
    }
}

#[async_trait]
impl AttemptStore for DynamoAttemptStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Attempts>> {
        get_one(&self.client, &self.table, "pk", &Self::key(key)).await
    }

    async fn add_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
        expires_at: i64,
    ) -> StoreResult<Attempts> {
        let pk = Self::key(key);
        // In the current window: one more. RFC 3339 in UTC sorts as text.
        let current = Expr::when("windowStartedAt > :start")
            .value(":start", to_av(&window_start)?)
            .value(":one", n(1))
            .value(":expires", n(expires_at));
        let set = "ADD failures :one SET expiresAt = :expires";
        match update(&self.client, &self.table, ("pk", &pk), set, current).await {
            Ok(item) => return from_item(item),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        // No window or an old one: a new window, keeping the lockout count.
        let fresh = Expr::when("attribute_not_exists(pk) OR windowStartedAt <= :start")
            .value(":start", to_av(&window_start)?)
            .value(":now", to_av(&now)?)
            .value(":one", n(1))
            .value(":zero", n(0))
            .value(":expires", n(expires_at))
            .value(":key", s(key));
        let set =
            "SET #key = :key, failures = :one, windowStartedAt = :now, expiresAt = :expires, \
                   lockouts = if_not_exists(lockouts, :zero)";
        match update(
            &self.client,
            &self.table,
            ("pk", &pk),
            set,
            fresh.name("#key", "key"),
        )
        .await
        {
            Ok(item) => from_item(item),
            // Another failure opened the window first: count in it.
            Err(StoreError::ConditionFailed) => {
                Box::pin(self.add_failure(key, now, window_start, expires_at)).await
            }
            Err(e) => Err(e),
        }
    }

    async fn lock(
        &self,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Attempts> {
        let pk = Self::key(key);
        let unlocked = Expr::when(
            "attribute_exists(pk) AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now)",
        )
        .value(":now", to_av(&now)?)
        .value(":until", to_av(&until)?)
        .value(":one", n(1))
        .value(":expires", n(until.timestamp()));
        let set = "SET lockedUntil = :until, expiresAt = :expires ADD lockouts :one";
        from_item(update(&self.client, &self.table, ("pk", &pk), set, unlocked).await?)
    }

    async fn clear(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(Self::key(key)))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
