use super::{get_one, s, store_error, to_av, to_item};
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
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(delivery)?))
            .condition_expression("attribute_not_exists(trackingNumber) OR #state = :awaiting")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":awaiting", s("awaiting"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
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
        self.client
            .update_item()
            .table_name(&self.table)
            .key("trackingNumber", s(tracking_number))
            .update_expression("SET #state = :state, completedAt = :at")
            .condition_expression("#state = :awaiting")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", to_av(&state)?)
            .expression_attribute_values(":at", to_av(&at)?)
            .expression_attribute_values(":awaiting", s("awaiting"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn reopen(&self, tracking_number: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("trackingNumber", s(tracking_number))
            .update_expression("SET #state = :awaiting REMOVE completedAt")
            .condition_expression("attribute_exists(trackingNumber)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":awaiting", s("awaiting"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
