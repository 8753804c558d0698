//! Charges an order's total through the payment gateway with the order id as
//! idempotency key: a retried step returns the first capture.

use async_trait::async_trait;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::{DynamoOrderStore, DynamoPaymentLedger};
use shared::adapters::payment_sim::SimulatedGateway;
use shared::adapters::UuidV7Ids;
use shared::ports::{ChargeRequest, OrderStore, PaymentError, PaymentGateway};
use shared::step::{load_order, Step, StepError, StepInput};
use std::sync::Arc;

pub struct ChargePayment {
    pub orders: Arc<dyn OrderStore>,
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
        let dynamo = aws::dynamodb(config);
        let chaos = aws::env_or("PAYMENT_CHAOS_PERCENT", "0");
        let chaos_percent = chaos.parse::<u8>().map_err(|e| ConfigError::Invalid {
            name: "PAYMENT_CHAOS_PERCENT".into(),
            reason: e.to_string(),
        })?;
        let ledger = Arc::new(DynamoPaymentLedger::new(
            dynamo.clone(),
            aws::env_required("PAYMENTS_TABLE")?,
        ));
        Ok(ChargePayment {
            orders: Arc::new(DynamoOrderStore::new(
                dynamo,
                aws::env_required("ORDERS_TABLE")?,
            )),
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
    type Input = StepInput;
    type Output = Charged;
    const NAME: &'static str = "charge-payment";

    async fn run(&self, input: &StepInput) -> Result<Charged, StepError> {
        let order = load_order(&*self.orders, input).await?;
        let request = ChargeRequest {
            idempotency_key: order.id.clone(),
            amount: order.total,
            payment_token: order.payment_token.clone(),
        };
        match self.gateway.charge(&request).await {
            Ok(charge) => Ok(Charged {
                order_id: order.id,
                transaction_id: charge.transaction_id,
                last4: charge.last4,
                amount: charge.amount.cents(),
            }),
            Err(PaymentError::Declined(reason)) => Err(StepError::PaymentDeclined(reason)),
            Err(PaymentError::Transient(reason)) => Err(StepError::Transient(reason)),
        }
    }
}
