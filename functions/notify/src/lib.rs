//! Consumes the notification queue (EventBridge events delivered by SQS) and
//! mails the customer once per event id. Messages it cannot handle are
//! reported as batch item failures, so SQS retries only those and finally
//! moves them to the dead-letter queue.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::Duration;
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use shared::adapters::aws::{self, ConfigError, SdkConfig};
use shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoOrderStore, DynamoUserStore};
use shared::adapters::ses::SesNotifier;
use shared::adapters::SystemClock;
use shared::domain::{LifecycleEvent, LifecycleEventKind, Order, User, PIPELINE_SOURCE};
use shared::ports::{
    Claim, Clock, IdempotencyRecord, IdempotencyStore, Notification, Notifier, NotifyError,
    OrderStore, StoreError, UserStore,
};
use shared::telemetry;
use std::sync::Arc;
use tracing::Instrument;

/// How long one worker owns an event before another may retry it (longer
/// than the function's timeout).
const CLAIM_LEASE: Duration = Duration::seconds(120);
/// Longer than a message can live in the queue and its DLQ.
const DEDUPE_WINDOW: Duration = Duration::days(15);

pub struct Notify {
    pub users: Arc<dyn UserStore>,
    pub orders: Arc<dyn OrderStore>,
    pub dedupe: Arc<dyn IdempotencyStore>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
}

/// The EventBridge envelope as the rule delivers it into SQS.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    source: String,
    detail: LifecycleEvent,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Duplicate,
    /// Events for operators (released stock, needs attention) mail nobody.
    NotForCustomers,
    /// The customer's address is not verified: nothing but its
    /// verification mail goes there, so this one is skipped.
    Unverified,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyFailure {
    #[error("unreadable message: {0}")]
    Poison(String),
    #[error("store: {0}")]
    Store(StoreError),
    #[error("send: {0}")]
    Send(NotifyError),
    #[error("no user {0} to notify")]
    NoRecipient(String),
}

impl Notify {
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        let dynamo = aws::dynamodb(config);
        Ok(Notify {
            users: Arc::new(DynamoUserStore::new(
                dynamo.clone(),
                aws::env_required("USERS_TABLE")?,
            )),
            orders: Arc::new(DynamoOrderStore::new(
                dynamo.clone(),
                aws::env_required("ORDERS_TABLE")?,
            )),
            dedupe: Arc::new(DynamoIdempotencyStore::new(
                dynamo,
                aws::env_required("IDEMPOTENCY_TABLE")?,
            )),
            notifier: Arc::new(SesNotifier::new(
                aws::ses(config),
                aws::env_required("NOTIFY_SENDER")?,
            )),
            clock: Arc::new(SystemClock),
        })
    }

    /// Handles a batch; the response names the messages to retry.
    pub async fn handle(&self, event: LambdaEvent<SqsEvent>) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.payload.records {
            let message_id = record.message_id.unwrap_or_default();
            let body = record.body.unwrap_or_default();
            let span = tracing::info_span!("message", messageId = %message_id, orderId = tracing::field::Empty, correlationId = tracing::field::Empty);
            let result = self.process(&body).instrument(span.clone()).await;
            let _entered = span.enter();
            match result {
                Ok(outcome) => tracing::info!(?outcome, "message handled"),
                Err(failure) => {
                    telemetry::count("NotificationFailed", &[]);
                    tracing::warn!(error = %failure, "message will be retried");
                    let mut item = BatchItemFailure::default();
                    item.item_identifier = message_id;
                    response.batch_item_failures.push(item);
                }
            }
        }
        response
    }

    pub async fn process(&self, body: &str) -> Result<Outcome, NotifyFailure> {
        let envelope: Envelope =
            serde_json::from_str(body).map_err(|e| NotifyFailure::Poison(e.to_string()))?;
        let event = envelope.detail;
        let span = tracing::Span::current();
        span.record("orderId", event.order_id.as_str());
        span.record("correlationId", event.correlation_id.as_str());
        let kind =
            LifecycleEventKind::from_detail_type(&envelope.detail_type).ok_or_else(|| {
                NotifyFailure::Poison(format!("unknown detail-type {}", envelope.detail_type))
            })?;
        if matches!(
            kind,
            LifecycleEventKind::InventoryReleased | LifecycleEventKind::NeedsAttention
        ) {
            return Ok(Outcome::NotForCustomers);
        }

        let now = self.clock.now();
        let key = format!("notify#{}", event.event_id);
        let claim = IdempotencyRecord {
            key: key.clone(),
            fingerprint: envelope.detail_type.clone(),
            value: event.order_id.clone(),
            completed: false,
            lease_expires_at: (now + CLAIM_LEASE).timestamp(),
            expires_at: (now + DEDUPE_WINDOW).timestamp(),
        };
        if let Claim::Existing(_) = self
            .dedupe
            .claim(&claim, now)
            .await
            .map_err(NotifyFailure::Store)?
        {
            return Ok(Outcome::Duplicate);
        }
        // The state machine changes statuses without a function of ours on
        // the path; its events are where the dashboard's count comes from
        // (the orders API counts `new` and `cancelled` itself).
        if envelope.source == PIPELINE_SOURCE {
            telemetry::count("OrderStatusChanged", &[("Status", event.status.as_str())]);
        }
        match self.send(kind, &event).await {
            Ok(outcome) => {
                self.dedupe
                    .complete(&key)
                    .await
                    .map_err(NotifyFailure::Store)?;
                Ok(outcome)
            }
            Err(failure) => {
                // Let the retry send it; a failed release only delays that
                // retry until the lease runs out.
                if let Err(e) = self.dedupe.release(&key).await {
                    tracing::warn!(error = %e, "claim not released; it will expire");
                }
                Err(failure)
            }
        }
    }

    async fn send(
        &self,
        kind: LifecycleEventKind,
        event: &LifecycleEvent,
    ) -> Result<Outcome, NotifyFailure> {
        // An event for a user we cannot find is data gone wrong: it goes to
        // the dead-letter queue for an operator rather than vanish.
        let user = self
            .users
            .get(&event.user_id)
            .await
            .map_err(NotifyFailure::Store)?
            .ok_or_else(|| NotifyFailure::NoRecipient(event.user_id.clone()))?;
        if !user.email_verified {
            telemetry::count("NotificationSkipped", &[("Reason", "Unverified")]);
            return Ok(Outcome::Unverified);
        }
        let order = self
            .orders
            .get(&event.order_id)
            .await
            .map_err(NotifyFailure::Store)?;
        let notification = compose(kind, event, &user, order.as_ref());
        self.notifier
            .send(&notification)
            .await
            .map_err(NotifyFailure::Send)?;
        telemetry::count("NotificationSent", &[("EventType", kind.detail_type())]);
        Ok(Outcome::Sent)
    }
}

/// The customer's mail for one event.
pub fn compose(
    kind: LifecycleEventKind,
    event: &LifecycleEvent,
    user: &User,
    order: Option<&Order>,
) -> Notification {
    let short: String = event
        .order_id
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let total = order
        .map(|o| format!(" (total ${})", o.total))
        .unwrap_or_default();
    let (subject, detail) = match kind {
        LifecycleEventKind::Created => (
            format!("We received your order {short}"),
            format!("Your order{total} is being processed."),
        ),
        LifecycleEventKind::Validated => (
            format!("Order {short} confirmed"),
            "Everything you ordered is in stock and reserved for you.".to_string(),
        ),
        LifecycleEventKind::Paid => (
            format!("Payment received for order {short}"),
            format!(
                "Your card is authorised for the order{total}; it is charged when the order ships."
            ),
        ),
        LifecycleEventKind::Shipped => {
            let tracking = order
                .and_then(|o| o.shipment.as_ref())
                .map(|s| {
                    format!(
                        " {} tracking number {}, expected {}.",
                        s.carrier, s.tracking_number, s.estimated_delivery
                    )
                })
                .unwrap_or_default();
            (
                format!("Order {short} has shipped"),
                format!("Your order is on its way.{tracking}"),
            )
        }
        LifecycleEventKind::Delivered => (
            format!("Order {short} was delivered"),
            "Your order has been delivered. Enjoy!".to_string(),
        ),
        LifecycleEventKind::Cancelled => (
            format!("Order {short} was cancelled"),
            "Your order was cancelled; nothing was charged.".to_string(),
        ),
        LifecycleEventKind::Failed => {
            let reason = order
                .and_then(|o| o.failure_reason.clone())
                .map(|r| format!(" Reason: {r}."))
                .unwrap_or_default();
            (format!("We could not complete order {short}"), format!("Your order could not be completed and you have not been charged for it.{reason}"))
        }
        LifecycleEventKind::PaymentRefunded => (
            format!("Refund for order {short}"),
            format!("Your payment{total} was refunded to your card."),
        ),
        LifecycleEventKind::PaymentVoided => (
            format!("Payment released for order {short}"),
            format!("Your payment{total} was not taken: the hold on your card is released."),
        ),
        LifecycleEventKind::InventoryReleased | LifecycleEventKind::NeedsAttention => (
            format!("Order {short} update"),
            "Your order was updated.".to_string(),
        ),
    };
    Notification {
        to: user.email.clone(),
        subject,
        body: format!(
            "Hello {},\n\n{detail}\n\nOrder: {}\n",
            user.name, event.order_id
        ),
    }
}
