//! The forward steps' own status changes and lifecycle events.
//!
//! Reserve, charge and ship each move the order into their working status,
//! do their work, then move it to their milestone and publish its event, so
//! the state machine needs no states of its own for them (every state is a
//! billed transition; statemachine/README.md counts them per path).
//!
//! Every write is conditional on the status the step expects, so a customer
//! cancel still wins any race. A step retried after a failed publish finds
//! the order at its milestone and publishes again with the same event id
//! (made once per execution by the state machine); consumers de-duplicate.

use crate::adapters::aws::{self, ConfigError, SdkConfig};
use crate::adapters::dynamodb::DynamoOrderStore;
use crate::adapters::eventbridge::EventBridgePublisher;
use crate::adapters::SystemClock;
use crate::domain::{
    LifecycleEvent, LifecycleEventKind, Order, OrderRecord, OrderStatus, PIPELINE_SOURCE,
};
use crate::ports::{Clock, EventPublisher, OrderStore, PublishError, StoreError};
use crate::step::{load_order, StepError, StepInput};
use serde::Deserialize;
use std::sync::Arc;

/// The input of a step that reaches a milestone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MilestoneInput {
    #[serde(flatten)]
    pub step: StepInput,
    /// The id of the event the step publishes (`$.order.eventIds.<event>`).
    pub event_id: String,
    /// Which try of the step this is (a declined payment and a refused
    /// shipment are tried again), for the timeline.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

impl MilestoneInput {
    /// The event the state machine sends a step for `order_id`, as tests
    /// build it.
    #[cfg(any(test, feature = "testing"))]
    pub fn event(
        order_id: &str,
        event_id: &str,
        attempt: u32,
    ) -> lambda_runtime::LambdaEvent<MilestoneInput> {
        let input = MilestoneInput {
            step: StepInput {
                order_id: order_id.to_string(),
                correlation_id: Some("corr-1".to_string()),
            },
            event_id: event_id.to_string(),
            attempt,
        };
        lambda_runtime::LambdaEvent::new(input, lambda_runtime::Context::default())
    }
}

impl AsRef<StepInput> for MilestoneInput {
    fn as_ref(&self) -> &StepInput {
        &self.step
    }
}

/// Where a step leaves the order when its work succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub reason: String,
    /// What the step produced that the order keeps, in the same write.
    pub record: Option<OrderRecord>,
    pub event: LifecycleEventKind,
}

pub struct OrderProgress {
    pub orders: Arc<dyn OrderStore>,
    pub events: Arc<dyn EventPublisher>,
    pub clock: Arc<dyn Clock>,
}

impl OrderProgress {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(OrderProgress {
            orders: Arc::new(DynamoOrderStore::new(
                aws::dynamodb(config),
                aws::env_required("ORDERS_TABLE")?,
            )),
            events: Arc::new(EventBridgePublisher::new(
                aws::eventbridge(config),
                aws::env_required("EVENT_BUS_NAME")?,
                PIPELINE_SOURCE,
            )),
            clock: Arc::new(SystemClock),
        })
    }

    /// Loads the order and moves it into the step's `working` status from
    /// one of `from`; a retried step finds it there, or at the step's
    /// milestone `done`, and carries on.
    pub async fn begin(
        &self,
        input: &StepInput,
        from: &[OrderStatus],
        working: OrderStatus,
        done: OrderStatus,
        reason: &str,
    ) -> Result<Order, StepError> {
        let order = load_order(&*self.orders, input).await?;
        if order.status == done {
            return Ok(order);
        }
        self.enter(order, from, working, reason).await
    }

    async fn enter(
        &self,
        order: Order,
        from: &[OrderStatus],
        to: OrderStatus,
        reason: &str,
    ) -> Result<Order, StepError> {
        if order.status == to {
            return Ok(order);
        }
        if !from.contains(&order.status) {
            return Err(StepError::moved(&order));
        }
        self.orders
            .transition(&order.id, from, to, reason, self.clock.now())
            .await
            .map_err(|e| store_failure(e, &order))
    }

    /// Moves the order to the milestone and publishes its event; an order
    /// already there (a retry after a failed publish) only publishes again.
    pub async fn reach(
        &self,
        order: Order,
        milestone: Milestone,
        event_id: &str,
    ) -> Result<Order, StepError> {
        let at = self.clock.now();
        let order = if order.status == milestone.to {
            order
        } else if order.status != milestone.from {
            return Err(StepError::moved(&order));
        } else {
            self.orders
                .transition_keeping(
                    &order.id,
                    &[milestone.from],
                    milestone.to,
                    &milestone.reason,
                    at,
                    milestone.record.as_ref(),
                )
                .await
                .map_err(|e| store_failure(e, &order))?
        };
        let event = LifecycleEvent::for_order(&order, event_id.to_string(), at);
        self.events
            .publish(milestone.event, &event)
            .await
            .map_err(|e| match e {
                PublishError::Transient(reason) => StepError::Transient(reason),
                PublishError::Rejected(reason) => StepError::Internal(reason),
            })?;
        tracing::info!(status = %order.status, event = milestone.event.detail_type(), "milestone reached");
        Ok(order)
    }
}

fn store_failure(error: StoreError, order: &Order) -> StepError {
    match error {
        StoreError::ConditionFailed => {
            StepError::OrderMoved(format!("order {} changed under the step", order.id))
        }
        StoreError::NotFound => StepError::OrderNotFound(order.id.clone()),
        other => StepError::from_store(other),
    }
}
