use super::{get_one, put, s, to_av, to_item, update, Expr};
use crate::ports::{AwaitedDelivery, DeliveryState, ShipmentStore, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

/// Deliveries the state machine waits for, by tracking number.
pub struct DynamoShipmentStore {
    client: Client,
    table: String,
}

impl DynamoShipmentStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoShipmentStore { client, table }
    }
}

#[async_trait]
impl ShipmentStore for DynamoShipmentStore {
    async fn register(&self, delivery: &AwaitedDelivery) -> StoreResult<()> {
        let awaiting = Expr::when("attribute_not_exists(trackingNumber) OR #state = :awaiting")
            .name("#state", "state")
            .value(":awaiting", s("awaiting"));
        put(&self.client, &self.table, to_item(delivery)?, awaiting).await
    }

    async fn get(&self, tracking_number: &str) -> StoreResult<Option<AwaitedDelivery>> {
        get_one(&self.client, &self.table, "trackingNumber", tracking_number).await
    }

    async fn complete(
        &self,
        tracking_number: &str,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let awaiting = Expr::when("#state = :awaiting")
            .name("#state", "state")
            .value(":state", to_av(&state)?)
            .value(":at", to_av(&at)?)
            .value(":awaiting", s("awaiting"));
        let key = ("trackingNumber", tracking_number);
        let set = "SET #state = :state, completedAt = :at";
        update(&self.client, &self.table, key, set, awaiting).await?;
        Ok(())
    }

    async fn reopen(&self, tracking_number: &str) -> StoreResult<()> {
        let exists = Expr::when("attribute_exists(trackingNumber)")
            .name("#state", "state")
            .value(":awaiting", s("awaiting"));
        let key = ("trackingNumber", tracking_number);
        let set = "SET #state = :awaiting REMOVE completedAt";
        update(&self.client, &self.table, key, set, exists).await?;
        Ok(())
    }
}
