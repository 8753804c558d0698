//! Moves an order to `shipping`, buys its label through the shipping provider
//! (the same order always gets the same label), captures the authorised
//! payment, then moves it to `shipped` with the shipment and publishes
//! `order.shipped`.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{ConfigError, SdkConfig};
use shared::adapters::carrier_sim::SimulatedCarrier;
use shared::adapters::payments;
use shared::domain::{LifecycleEventKind, OrderRecord, OrderStatus, ShipmentDetails};
use shared::milestone::{Milestone, MilestoneInput, OrderProgress};
use shared::ports::{PaymentGateway, ShippingError, ShippingProvider};
use shared::step::{Step, StepError};
use std::sync::Arc;

pub struct CreateShipment {
    pub progress: OrderProgress,
    pub carrier: Arc<dyn ShippingProvider>,
    pub gateway: Arc<dyn PaymentGateway>,
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
    pub async fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(CreateShipment {
            progress: OrderProgress::from_env(config)?,
            carrier: Arc::new(SimulatedCarrier),
            // A capture never rolls chaos: the label is bought already.
            gateway: payments::gateway_from_env(config, 0).await?,
        })
    }
}

#[async_trait]
impl Step for CreateShipment {
    type Input = MilestoneInput;
    type Output = Shipped;
    const NAME: &'static str = "create-shipment";

    async fn run(&self, input: &MilestoneInput) -> Result<Shipped, StepError> {
        let reason = format!("buying a shipping label (attempt {})", input.attempt);
        let order = self
            .progress
            .begin(
                &input.step,
                &[OrderStatus::Paid, OrderStatus::ShipFailed],
                OrderStatus::Shipping,
                OrderStatus::Shipped,
                &reason,
            )
            .await?;
        let shipment = match self.carrier.create_shipment(&order).await {
            Ok(shipment) => shipment,
            Err(ShippingError::Failed(reason)) => return Err(StepError::ShippingFailed(reason)),
            Err(ShippingError::Transient(reason)) => return Err(StepError::Transient(reason)),
        };
        // The money is taken once the label is bought, never before; a
        // retried step buys the same label and finds the capture made.
        let captured = self
            .gateway
            .capture(&order.id)
            .await
            .map_err(StepError::from)?;
        let shipped = Milestone {
            from: OrderStatus::Shipping,
            to: OrderStatus::Shipped,
            reason: format!(
                "shipped with {}, tracking number {}; payment captured ({})",
                shipment.carrier, shipment.tracking_number, captured.transaction_id
            ),
            record: Some(OrderRecord::Shipment(ShipmentDetails {
                carrier: shipment.carrier.clone(),
                tracking_number: shipment.tracking_number.clone(),
                estimated_delivery: shipment.estimated_delivery.clone(),
            })),
            event: LifecycleEventKind::Shipped,
        };
        let order = self.progress.reach(order, shipped, &input.event_id).await?;
        Ok(Shipped {
            order_id: order.id,
            carrier: shipment.carrier,
            tracking_number: shipment.tracking_number,
            estimated_delivery: shipment.estimated_delivery,
        })
    }
}
