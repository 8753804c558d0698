//! Compensation: refunds what was captured for an order, once; an order that
//! was never charged has nothing to refund.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::DynamoPaymentLedger;
use shared::adapters::payment_sim::SimulatedGateway;
use shared::adapters::UuidV7Ids;
use shared::ports::{PaymentError, PaymentGateway};
use shared::step::{Step, StepError, StepInput};
use shared::telemetry;
use std::sync::Arc;

pub struct RefundPayment {
    pub gateway: Arc<dyn PaymentGateway>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Refunded {
    pub order_id: String,
    pub refunded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
}

impl RefundPayment {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        let ledger = Arc::new(DynamoPaymentLedger::new(
            aws::dynamodb(config),
            aws::env_required("PAYMENTS_TABLE")?,
        ));
        Ok(RefundPayment {
            // Refunds never roll chaos: a compensation must be reliable.
            gateway: Arc::new(SimulatedGateway::new(ledger, Arc::new(UuidV7Ids), 0)),
        })
    }
}

#[async_trait]
impl Step for RefundPayment {
    type Input = StepInput;
    type Output = Refunded;
    const NAME: &'static str = "refund-payment";

    async fn run(&self, input: &StepInput) -> Result<Refunded, StepError> {
        let refund = self
            .gateway
            .refund(&input.order_id)
            .await
            .map_err(|e| match e {
                PaymentError::Transient(reason) | PaymentError::Declined(reason) => {
                    StepError::Transient(reason)
                }
            })?;
        if refund.is_some() {
            telemetry::count("Compensation", &[("Step", Self::NAME)]);
        }
        Ok(Refunded {
            order_id: input.order_id.clone(),
            refunded: refund.is_some(),
            refund_id: refund.map(|r| r.refund_id),
        })
    }
}
