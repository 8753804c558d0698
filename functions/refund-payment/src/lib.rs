//! Compensation: gives back what an order's payment holds, once: an
//! authorisation is voided, a capture refunded; an order never authorised
//! has nothing to give back.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{ConfigError, SdkConfig};
use shared::adapters::payments;
use shared::ports::{PaymentError, PaymentGateway, Release};
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
    /// `voided`, `refunded`, or `none` when nothing was held.
    pub released: &'static str,
    pub refunded: bool,
    /// Always present (null when nothing was refunded): the state machine's
    /// ResultSelector reads it (statemachine/CONTRACT.md).
    pub refund_id: Option<String>,
}

impl RefundPayment {
    pub async fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(RefundPayment {
            // Compensations never roll chaos: they must be reliable.
            gateway: payments::gateway_from_env(config, 0).await?,
        })
    }
}

#[async_trait]
impl Step for RefundPayment {
    type Input = StepInput;
    type Output = Refunded;
    const NAME: &'static str = "refund-payment";

    async fn run(&self, input: &StepInput) -> Result<Refunded, StepError> {
        let release = self
            .gateway
            .release(&input.order_id)
            .await
            .map_err(|e| match e {
                // A compensation is retried hard; what stays refused
                // raises the alarm after the retries (statemachine/CONTRACT.md).
                PaymentError::Transient(reason)
                | PaymentError::Declined(reason)
                | PaymentError::Permanent(reason) => StepError::Transient(reason),
            })?;
        if release.is_some() {
            telemetry::count("Compensation", &[("Step", Self::NAME)]);
        }
        let (released, refund_id) = match release {
            None => ("none", None),
            Some(Release::Voided { .. }) => ("voided", None),
            Some(Release::Refunded(refund)) => ("refunded", Some(refund.refund_id)),
        };
        Ok(Refunded {
            order_id: input.order_id.clone(),
            released,
            refunded: refund_id.is_some(),
            refund_id,
        })
    }
}
