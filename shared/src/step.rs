//! What the state machine's Lambda tasks share: their input and the error
//! types its `Retry` and `Catch` match on (`statemachine/CONTRACT.md`).

use crate::domain::Order;
use crate::ports::{OrderStore, StoreError};
use crate::telemetry;
use async_trait::async_trait;
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::Instrument;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepInput {
    pub order_id: String,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("out of stock: {0}")]
    OutOfStock(String),
    #[error("payment declined: {0}")]
    PaymentDeclined(String),
    #[error("shipping failed: {0}")]
    ShippingFailed(String),
    #[error("order not found: {0}")]
    OrderNotFound(String),
    #[error("reservation already released for order {0}")]
    ReservationReleased(String),
    /// The order is not in a status this step works on: the only legal
    /// cause is a customer cancel, which the state machine checks.
    #[error("order moved: {0}")]
    OrderMoved(String),
    /// Worth retrying: throttling, timeouts, a dependency briefly down.
    #[error("transient failure: {0}")]
    Transient(String),
    /// A bug or bad data: retrying will not help; the Catch-all handles it.
    #[error("internal error: {0}")]
    Internal(String),
}

impl StepError {
    /// The `Error` name ASL sees.
    pub fn error_type(&self) -> &'static str {
        match self {
            StepError::OutOfStock(_) => "OutOfStock",
            StepError::PaymentDeclined(_) => "PaymentDeclined",
            StepError::ShippingFailed(_) => "ShippingFailed",
            StepError::OrderNotFound(_) => "OrderNotFound",
            StepError::ReservationReleased(_) => "ReservationReleased",
            StepError::OrderMoved(_) => "OrderMoved",
            StepError::Transient(_) => "Transient",
            StepError::Internal(_) => "Internal",
        }
    }

    /// The order is in a status the step does not work on.
    pub fn moved(order: &Order) -> Self {
        StepError::OrderMoved(format!("order {} is {}", order.id, order.status))
    }

    pub fn from_store(error: StoreError) -> Self {
        match error {
            StoreError::Transient(e) => StepError::Transient(e),
            other => StepError::Internal(other.to_string()),
        }
    }
}

impl From<StepError> for lambda_runtime::Diagnostic {
    fn from(error: StepError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.error_type().to_string(),
            error_message: error.to_string(),
        }
    }
}

/// A decline is the card's answer; a refusal of the request itself will
/// not change on retry.
impl From<crate::ports::PaymentError> for StepError {
    fn from(error: crate::ports::PaymentError) -> Self {
        use crate::ports::PaymentError;
        match error {
            PaymentError::Declined(reason) => StepError::PaymentDeclined(reason),
            PaymentError::Transient(reason) => StepError::Transient(reason),
            PaymentError::Permanent(reason) => StepError::Internal(reason),
        }
    }
}

/// The order a step works on; a missing one is `OrderNotFound`.
pub async fn load_order(orders: &dyn OrderStore, input: &StepInput) -> Result<Order, StepError> {
    orders
        .get(&input.order_id)
        .await
        .map_err(StepError::from_store)?
        .ok_or_else(|| StepError::OrderNotFound(input.order_id.clone()))
}

impl AsRef<StepInput> for StepInput {
    fn as_ref(&self) -> &StepInput {
        self
    }
}

/// One task of the state machine: what it does with an order.
#[async_trait]
pub trait Step: Send + Sync + 'static {
    /// `StepInput`, or a larger input that contains it.
    type Input: serde::de::DeserializeOwned + AsRef<StepInput> + Send + Sync;
    type Output: Serialize + Send;
    /// The function's name, for logs and metrics.
    const NAME: &'static str;
    async fn run(&self, input: &Self::Input) -> Result<Self::Output, StepError>;
}

/// The public entry point of every step: runs it inside a span that puts the
/// order and correlation ids on every log line, and counts failures by type.
pub async fn handle<S: Step>(
    step: &S,
    event: LambdaEvent<S::Input>,
) -> Result<S::Output, StepError> {
    let input = event.payload;
    let ids = input.as_ref();
    let span = tracing::info_span!(
        "step",
        step = S::NAME,
        orderId = %ids.order_id,
        correlationId = ids.correlation_id.as_deref().unwrap_or_default(),
    );
    async {
        let result = step.run(&input).await;
        match &result {
            Ok(_) => tracing::info!("step succeeded"),
            Err(error) => {
                telemetry::count(
                    "StepFailed",
                    &[("Step", S::NAME), ("ErrorType", error.error_type())],
                );
                tracing::warn!(error_type = error.error_type(), error = %error, "step failed");
            }
        }
        result
    }
    .instrument(span)
    .await
}

/// The event the state machine sends a step for `order_id`, as tests build it.
#[cfg(any(test, feature = "testing"))]
pub fn event_for(order_id: &str) -> LambdaEvent<StepInput> {
    let input = StepInput {
        order_id: order_id.to_string(),
        correlation_id: Some("corr-1".to_string()),
    };
    LambdaEvent::new(input, lambda_runtime::Context::default())
}

/// Hands a step to the Lambda runtime (what each step's `main` does).
pub async fn serve<S: Step>(step: S) -> Result<(), lambda_runtime::Error> {
    let step = Arc::new(step);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<S::Input>| {
            let step = step.clone();
            async move { handle(&*step, event).await }
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_carry_the_names_asl_matches() {
        let cases = [
            (StepError::OutOfStock("prod-1".into()), "OutOfStock"),
            (
                StepError::PaymentDeclined("card_declined".into()),
                "PaymentDeclined",
            ),
            (StepError::ShippingFailed("zip".into()), "ShippingFailed"),
            (StepError::OrderNotFound("o".into()), "OrderNotFound"),
            (
                StepError::ReservationReleased("o".into()),
                "ReservationReleased",
            ),
            (StepError::OrderMoved("o".into()), "OrderMoved"),
            (StepError::Transient("slow".into()), "Transient"),
            (StepError::Internal("bug".into()), "Internal"),
        ];
        for (error, name) in cases {
            let message = error.to_string();
            let diagnostic: lambda_runtime::Diagnostic = error.into();
            assert_eq!(diagnostic.error_type, name);
            assert_eq!(diagnostic.error_message, message);
        }
    }

    #[test]
    fn store_outages_are_transient_other_store_errors_are_not() {
        assert_eq!(
            StepError::from_store(StoreError::Transient("throttled".into())).error_type(),
            "Transient"
        );
        assert_eq!(
            StepError::from_store(StoreError::Corrupt("x".into())).error_type(),
            "Internal"
        );
    }

    #[test]
    fn input_ignores_extra_fields_and_needs_the_order_id() {
        let input: StepInput =
            serde_json::from_str(r#"{"orderId":"o1","correlationId":"c","attempt":2}"#).unwrap();
        assert_eq!(input.order_id, "o1");
        assert!(serde_json::from_str::<StepInput>(r#"{"correlationId":"c"}"#).is_err());
    }
}
