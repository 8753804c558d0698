//! Buys a shipping label for an order through the shipping provider.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::carrier_sim::SimulatedCarrier;
use shared::adapters::dynamodb::DynamoOrderStore;
use shared::ports::{OrderStore, ShippingError, ShippingProvider};
use shared::step::{load_order, Step, StepError, StepInput};
use std::sync::Arc;

pub struct CreateShipment {
    pub orders: Arc<dyn OrderStore>,
    pub carrier: Arc<dyn ShippingProvider>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Shipped {
    pub order_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub estimated_delivery: String,
}

impl CreateShipment {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(CreateShipment {
            orders: Arc::new(DynamoOrderStore::new(
                aws::dynamodb(config),
                aws::env_required("ORDERS_TABLE")?,
            )),
            carrier: Arc::new(SimulatedCarrier),
        })
    }
}

#[async_trait]
impl Step for CreateShipment {
    type Input = StepInput;
    type Output = Shipped;
    const NAME: &'static str = "create-shipment";

    async fn run(&self, input: &StepInput) -> Result<Shipped, StepError> {
        let order = load_order(&*self.orders, input).await?;
        match self.carrier.create_shipment(&order).await {
            Ok(shipment) => Ok(Shipped {
                order_id: order.id,
                carrier: shipment.carrier,
                tracking_number: shipment.tracking_number,
                estimated_delivery: shipment.estimated_delivery,
            }),
            Err(ShippingError::Failed(reason)) => Err(StepError::ShippingFailed(reason)),
            Err(ShippingError::Transient(reason)) => Err(StepError::Transient(reason)),
        }
    }
}
