//! Takes every line of an order out of stock in one DynamoDB transaction, or
//! none; a retry of the same order finds its reservation and reserves nothing.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::{DynamoCatalog, DynamoOrderStore};
use shared::adapters::SystemClock;
use shared::ports::{Clock, InventoryStore, OrderStore, ReservedLine, StoreError};
use shared::step::{load_order, Step, StepError, StepInput};
use std::sync::Arc;

pub struct ReserveInventory {
    pub orders: Arc<dyn OrderStore>,
    pub inventory: Arc<dyn InventoryStore>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Reserved {
    pub order_id: String,
    pub lines: Vec<ReservedLine>,
}

impl ReserveInventory {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        let dynamo = aws::dynamodb(config);
        Ok(ReserveInventory {
            orders: Arc::new(DynamoOrderStore::new(
                dynamo.clone(),
                aws::env_required("ORDERS_TABLE")?,
            )),
            inventory: Arc::new(DynamoCatalog::new(
                dynamo,
                aws::env_required("PRODUCTS_TABLE")?,
                aws::env_required("RESERVATIONS_TABLE")?,
            )),
            clock: Arc::new(SystemClock),
        })
    }
}

#[async_trait]
impl Step for ReserveInventory {
    type Input = StepInput;
    type Output = Reserved;
    const NAME: &'static str = "reserve-inventory";

    async fn run(&self, input: &StepInput) -> Result<Reserved, StepError> {
        let order = load_order(&*self.orders, input).await?;
        let lines: Vec<ReservedLine> = order
            .line_quantities()
            .into_iter()
            .map(|(product_id, quantity)| ReservedLine {
                product_id,
                quantity,
            })
            .collect();
        match self
            .inventory
            .reserve(&order.id, &lines, self.clock.now())
            .await
        {
            Ok(reservation) => Ok(Reserved {
                order_id: order.id,
                lines: reservation.lines,
            }),
            Err(StoreError::OutOfStock { product_id }) => Err(StepError::OutOfStock(product_id)),
            Err(StoreError::ConditionFailed) => Err(StepError::ReservationReleased(order.id)),
            Err(e) => Err(StepError::from_store(e)),
        }
    }
}
