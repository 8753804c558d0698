//! Moves an order to `paying`, charges its total through the payment gateway
//! with the order id as idempotency key (a retried step returns the first
//! capture), then moves it to `paid` with the payment and publishes
//! `order.paid`.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::DynamoPaymentLedger;
use shared::adapters::payment_sim::SimulatedGateway;
use shared::adapters::UuidV7Ids;
use shared::domain::{LifecycleEventKind, OrderRecord, OrderStatus, PaymentDetails};
use shared::milestone::{Milestone, MilestoneInput, OrderProgress};
use shared::ports::{ChargeRequest, PaymentError, PaymentGateway};
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
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        let chaos = aws::env_or("PAYMENT_CHAOS_PERCENT", "0");
        let chaos_percent = chaos.parse::<u8>().map_err(|e| ConfigError::Invalid {
            name: "PAYMENT_CHAOS_PERCENT".into(),
            reason: e.to_string(),
        })?;
        let ledger = Arc::new(DynamoPaymentLedger::new(
            aws::dynamodb(config),
            aws::env_required("PAYMENTS_TABLE")?,
        ));
        Ok(ChargePayment {
            progress: OrderProgress::from_env(config)?,
            gateway: Arc::new(SimulatedGateway::new(
                ledger,
                Arc::new(UuidV7Ids),
                chaos_percent,
            )),
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
            idempotency_key: order.id.clone(),
            amount: order.total,
            payment_token: order.payment_token.clone(),
        };
        let charge = match self.gateway.charge(&request).await {
            Ok(charge) => charge,
            Err(PaymentError::Declined(reason)) => return Err(StepError::PaymentDeclined(reason)),
            Err(PaymentError::Transient(reason)) => return Err(StepError::Transient(reason)),
        };
        let paid = Milestone {
            from: OrderStatus::Paying,
            to: OrderStatus::Paid,
            reason: format!("payment captured ({})", charge.transaction_id),
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
