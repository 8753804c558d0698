//! Moves an order to `paying`, authorises its total through the payment
//! gateway (a hold on the card, captured when the parcel ships; a retried
//! step gets the first authorisation), then moves it to `paid` with the
//! payment and publishes `order.paid`.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{ConfigError, SdkConfig};
use shared::adapters::payments;
use shared::domain::{LifecycleEventKind, OrderRecord, OrderStatus, PaymentDetails};
use shared::milestone::{Milestone, MilestoneInput, OrderProgress};
use shared::ports::{ChargeRequest, PaymentGateway};
use shared::step::{Step, StepError};
use std::sync::Arc;

pub struct ChargePayment {
    pub progress: OrderProgress,
    pub gateway: Arc<dyn PaymentGateway>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Charged {
    pub order_id: String,
    pub transaction_id: String,
    pub last4: String,
    /// Integer cents.
    pub amount: i64,
}

impl ChargePayment {
    pub async fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(ChargePayment {
            progress: OrderProgress::from_env(config)?,
            gateway: payments::gateway_from_env(config, payments::chaos_percent_from_env()?)
                .await?,
        })
    }
}

#[async_trait]
impl Step for ChargePayment {
    type Input = MilestoneInput;
    type Output = Charged;
    const NAME: &'static str = "charge-payment";

    async fn run(&self, input: &MilestoneInput) -> Result<Charged, StepError> {
        let reason = format!("charging payment (attempt {})", input.attempt);
        let order = self
            .progress
            .begin(
                &input.step,
                &[OrderStatus::Validated, OrderStatus::PaymentFailed],
                OrderStatus::Paying,
                OrderStatus::Paid,
                &reason,
            )
            .await?;
        let request = ChargeRequest {
            order_id: order.id.clone(),
            attempt: input.attempt,
            amount: order.total,
            currency: order.currency.to_ascii_lowercase(),
            payment_token: order.payment_token.clone(),
        };
        let charge = self
            .gateway
            .authorize(&request)
            .await
            .map_err(StepError::from)?;
        let paid = Milestone {
            from: OrderStatus::Paying,
            to: OrderStatus::Paid,
            reason: format!("payment authorised ({})", charge.transaction_id),
            record: Some(OrderRecord::Payment(PaymentDetails {
                transaction_id: charge.transaction_id.clone(),
                last4: charge.last4.clone(),
            })),
            event: LifecycleEventKind::Paid,
        };
        let order = self.progress.reach(order, paid, &input.event_id).await?;
        Ok(Charged {
            order_id: order.id,
            transaction_id: charge.transaction_id,
            last4: charge.last4,
            amount: charge.amount.cents(),
        })
    }
}
