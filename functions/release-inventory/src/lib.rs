//! Compensation: gives back exactly what an order reserved, once. Releasing
//! an order that reserved nothing leaves a marker so a late reserve cannot
//! take stock afterwards.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::DynamoInventory;
use shared::adapters::SystemClock;
use shared::ports::{Clock, InventoryStore};
use shared::step::{Step, StepError, StepInput};
use shared::telemetry;
use std::sync::Arc;

pub struct ReleaseInventory {
    pub inventory: Arc<dyn InventoryStore>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Released {
    pub order_id: String,
    /// False when nothing was reserved or it was released before.
    pub released: bool,
}

impl ReleaseInventory {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(ReleaseInventory {
            inventory: Arc::new(DynamoInventory::new(
                aws::dynamodb(config),
                aws::env_required("PRODUCTS_TABLE")?,
                aws::env_required("RESERVATIONS_TABLE")?,
            )),
            clock: Arc::new(SystemClock),
        })
    }
}

#[async_trait]
impl Step for ReleaseInventory {
    type Input = StepInput;
    type Output = Released;
    const NAME: &'static str = "release-inventory";

    async fn run(&self, input: &StepInput) -> Result<Released, StepError> {
        let released = self
            .inventory
            .release(&input.order_id, self.clock.now())
            .await
            .map_err(StepError::from_store)?;
        if released {
            telemetry::count("Compensation", &[("Step", Self::NAME)]);
        }
        Ok(Released {
            order_id: input.order_id.clone(),
            released,
        })
    }
}
