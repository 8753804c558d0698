//! Called by the state machine with a task token after `shipped`: records
//! the token against the tracking number and hands the parcel to the carrier.
//! The machine then waits until the carrier's signed webhook (the
//! `shipping-webhook` function) completes the task.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::carrier_sim::WebhookCarrier;
use shared::adapters::dynamodb::DynamoShipmentStore;
use shared::adapters::SystemClock;
use shared::ports::{
    AwaitedDelivery, CarrierDispatch, Clock, DeliveryState, DispatchError, ShipmentStore,
};
use shared::step::{Step, StepError, StepInput};
use std::sync::Arc;

pub struct AwaitDelivery {
    pub shipments: Arc<dyn ShipmentStore>,
    pub carrier: Arc<dyn CarrierDispatch>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwaitInput {
    #[serde(flatten)]
    pub ids: StepInput,
    pub tracking_number: String,
    pub task_token: String,
}

impl AsRef<StepInput> for AwaitInput {
    fn as_ref(&self) -> &StepInput {
        &self.ids
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Dispatched {
    pub order_id: String,
    pub tracking_number: String,
}

impl AwaitDelivery {
    pub async fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        let delay_text = aws::env_or("CARRIER_DELIVERY_DELAY_SECONDS", "0");
        let delay = delay_text
            .parse::<u64>()
            .map_err(|e| ConfigError::Invalid {
                name: "CARRIER_DELIVERY_DELAY_SECONDS".into(),
                reason: e.to_string(),
            })?;
        let secret = aws::secret_from_env(config, "WEBHOOK_SECRET").await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let carrier = WebhookCarrier::new(
            aws::env_required("WEBHOOK_URL")?,
            secret.into_bytes(),
            std::time::Duration::from_secs(delay),
            clock.clone(),
        )
        .map_err(|e| ConfigError::Invalid {
            name: "WEBHOOK_URL".into(),
            reason: format!("no TLS roots: {e}"),
        })?;
        Ok(AwaitDelivery {
            shipments: Arc::new(DynamoShipmentStore::new(
                aws::dynamodb(config),
                aws::env_required("SHIPMENTS_TABLE")?,
            )),
            carrier: Arc::new(carrier),
            clock,
        })
    }
}

#[async_trait]
impl Step for AwaitDelivery {
    type Input = AwaitInput;
    type Output = Dispatched;
    const NAME: &'static str = "await-delivery";

    async fn run(&self, input: &AwaitInput) -> Result<Dispatched, StepError> {
        let delivery = AwaitedDelivery {
            tracking_number: input.tracking_number.clone(),
            order_id: input.ids.order_id.clone(),
            task_token: input.task_token.clone(),
            state: DeliveryState::Awaiting,
            registered_at: self.clock.now(),
            completed_at: None,
        };
        // The token is stored before the carrier can possibly call back.
        self.shipments
            .register(&delivery)
            .await
            .map_err(StepError::from_store)?;
        self.carrier
            .dispatch(&delivery)
            .await
            .map_err(|e| match e {
                DispatchError::Transient(reason) => StepError::Transient(reason),
                DispatchError::Rejected(reason) => StepError::Internal(reason),
            })?;
        Ok(Dispatched {
            order_id: delivery.order_id,
            tracking_number: delivery.tracking_number,
        })
    }
}
