//! Takes every line of an order out of stock in one DynamoDB transaction, or
//! none, then moves the order to `validated` and publishes `order.validated`.
//! A retry of the same order finds its reservation and reserves nothing.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::DynamoInventory;
use shared::domain::{LifecycleEventKind, OrderStatus};
use shared::milestone::{Milestone, MilestoneInput, OrderProgress};
use shared::ports::{InventoryStore, ReservedLine, StoreError};
use shared::step::{load_order, Step, StepError};
use std::sync::Arc;

pub struct ReserveInventory {
    pub progress: OrderProgress,
    pub inventory: Arc<dyn InventoryStore>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Reserved {
    pub order_id: String,
    pub lines: Vec<ReservedLine>,
}

impl ReserveInventory {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(ReserveInventory {
            progress: OrderProgress::from_env(config)?,
            inventory: Arc::new(DynamoInventory::new(
                aws::dynamodb(config),
                aws::env_required("PRODUCTS_TABLE")?,
                aws::env_required("RESERVATIONS_TABLE")?,
            )),
        })
    }
}

#[async_trait]
impl Step for ReserveInventory {
    type Input = MilestoneInput;
    type Output = Reserved;
    const NAME: &'static str = "reserve-inventory";

    async fn run(&self, input: &MilestoneInput) -> Result<Reserved, StepError> {
        let order = load_order(&*self.progress.orders, &input.step).await?;
        // The machine moved it to validating; anything else but a retry's
        // validated is a cancel, and a cancelled order must not take stock.
        if !matches!(
            order.status,
            OrderStatus::Validating | OrderStatus::Validated
        ) {
            return Err(StepError::moved(&order));
        }
        let lines: Vec<ReservedLine> = order
            .line_quantities()
            .into_iter()
            .map(|(product_id, quantity)| ReservedLine {
                product_id,
                quantity,
            })
            .collect();
        let reservation = match self
            .inventory
            .reserve(&order.id, &lines, self.progress.clock.now())
            .await
        {
            Ok(reservation) => reservation,
            Err(StoreError::OutOfStock { product_id }) => {
                return Err(StepError::OutOfStock(product_id))
            }
            Err(StoreError::ConditionFailed) => {
                return Err(StepError::ReservationReleased(order.id))
            }
            Err(e) => return Err(StepError::from_store(e)),
        };
        let validated = Milestone {
            from: OrderStatus::Validating,
            to: OrderStatus::Validated,
            reason: "inventory reserved".to_string(),
            record: None,
            event: LifecycleEventKind::Validated,
        };
        let order = self
            .progress
            .reach(order, validated, &input.event_id)
            .await?;
        Ok(Reserved {
            order_id: order.id,
            lines: reservation.lines,
        })
    }
}
