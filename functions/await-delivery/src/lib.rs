//! Called by the state machine with a task token after `shipped`: records
//! the token against the tracking number and hands the parcel to the carrier.
//! The machine then waits until the carrier's signed webhook (the
//! `shipping-webhook` function) marks the order delivered, publishes
//! order.delivered with the event id recorded here, and completes the task.
//!
//! A retry can come after the carrier already reported: the first call's
//! webhook went through but its answer was lost (a 502 under load), so the
//! machine retried with a new token that no webhook will ever complete. The
//! function then completes that token itself with the recorded outcome.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::carrier_sim::WebhookCarrier;
use shared::adapters::dynamodb::DynamoShipmentStore;
use shared::adapters::stepfunctions::StepFunctionsTasks;
use shared::adapters::SystemClock;
use shared::ports::{
    AwaitedDelivery, CarrierDispatch, Clock, DeliveryState, DispatchError, ShipmentStore,
    StoreError, TaskCompleter, TaskError,
};
use shared::step::{Step, StepError, StepInput};
use shared::webhook::DELIVERY_FAILED;
use std::sync::Arc;

pub struct AwaitDelivery {
    pub shipments: Arc<dyn ShipmentStore>,
    pub carrier: Arc<dyn CarrierDispatch>,
    pub tasks: Arc<dyn TaskCompleter>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwaitInput {
    #[serde(flatten)]
    pub ids: StepInput,
    pub tracking_number: String,
    pub task_token: String,
    /// The id the webhook publishes order.delivered with; absent from an
    /// execution whose definition writes delivered itself.
    #[serde(default)]
    pub event_id: Option<String>,
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
            tasks: Arc::new(StepFunctionsTasks::new(aws::stepfunctions(config))),
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
            delivered_event_id: input.event_id.clone(),
        };
        // The token is stored before the carrier can possibly call back.
        match self.shipments.register(&delivery).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return self.complete_reported(input).await,
            Err(e) => return Err(StepError::from_store(e)),
        }
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

impl AwaitDelivery {
    /// The carrier reported before this call: complete this call's token
    /// with what it reported, as the webhook would have.
    async fn complete_reported(&self, input: &AwaitInput) -> Result<Dispatched, StepError> {
        let reported = self
            .shipments
            .get(&input.tracking_number)
            .await
            .map_err(StepError::from_store)?
            .ok_or_else(|| StepError::Internal("the completed delivery vanished".into()))?;
        let completed = match reported.state {
            DeliveryState::Delivered => {
                let delivered_at = reported.completed_at.map(|at| at.to_rfc3339());
                let output = serde_json::json!({
                    "orderId": reported.order_id, "deliveredAt": delivered_at
                });
                self.tasks.succeed(&input.task_token, &output).await
            }
            DeliveryState::Failed => {
                let cause = "the carrier could not deliver (reported before this retry)";
                self.tasks
                    .fail(&input.task_token, DELIVERY_FAILED, cause)
                    .await
            }
            DeliveryState::Awaiting => {
                return Err(StepError::Transient("the delivery was reopened".into()))
            }
        };
        completed.map_err(|e| match e {
            TaskError::Transient(reason) => StepError::Transient(reason),
            TaskError::Gone(reason) | TaskError::Rejected(reason) => StepError::Internal(reason),
        })?;
        tracing::info!(state = ?reported.state, "delivery reported before this call: task completed");
        Ok(Dispatched {
            order_id: reported.order_id,
            tracking_number: reported.tracking_number,
        })
    }
}
