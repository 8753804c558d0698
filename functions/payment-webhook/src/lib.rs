//! `POST /api/payments/stripe/webhook`: Stripe reports what happened on its
//! side. The `Stripe-Signature` (HMAC-SHA256 over `t.body`, five minutes'
//! tolerance) is checked on the raw body first (400 otherwise, nothing
//! read or written), and each event id is acted on once.
//!
//! A refund or a cancellation made in Stripe's dashboard is checked against
//! Stripe's API, recorded in the payment ledger, noted on the order's
//! timeline and published (`order.payment_refunded`, `order.payment_voided`);
//! the store's own refunds and cancels are the pipeline's to report. A failed
//! payment is already known to the payment step (it got the decline in its
//! answer); other event types are answered 200 and ignored, as Stripe
//! expects of an endpoint that does not use them.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoOrderStore, DynamoPaymentLedger};
use shared::adapters::eventbridge::EventBridgePublisher;
use shared::adapters::payments;
use shared::adapters::SystemClock;
use shared::domain::{LifecycleEvent, LifecycleEventKind, PAYMENTS_SOURCE};
use shared::http::{self, Api, ApiError, ApiResult, EventsOnce, RouteTable, Router};
use shared::ports::{
    Clock, EventPublisher, IdempotencyStore, OrderStore, PaymentError, PaymentReconciler,
    Reconciled, StoreError,
};
use shared::webhook;
use std::sync::{Arc, LazyLock};

#[derive(Clone, Copy)]
enum Action {
    Receive,
}

/// Every route this function serves, the one table of them.
const ROUTES: RouteTable<Action> = &[(
    Method::POST,
    "/api/payments/stripe/webhook",
    Action::Receive,
)];

static ROUTER: LazyLock<Router<Action>> = LazyLock::new(|| Router::new(ROUTES));

/// (method, path) of every route, for the route check.
pub fn routes() -> Vec<(String, String)> {
    ROUTER.declared()
}

pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// Stripe retries an event for days; a replay after that is stale anyway.
const EVENT_MEMORY: chrono::Duration = chrono::Duration::days(3);
/// How long one request owns an event id before a retry may take it over.
const EVENT_LEASE: chrono::Duration = chrono::Duration::seconds(60);

pub struct PaymentWebhook {
    pub reconciler: Arc<dyn PaymentReconciler>,
    pub orders: Arc<dyn OrderStore>,
    /// Stripe event ids seen (claimed while in progress, completed after).
    pub events: Arc<dyn IdempotencyStore>,
    pub publisher: Arc<dyn EventPublisher>,
    /// The endpoint's signing secret (`whsec_…`).
    pub secret: Vec<u8>,
    pub clock: Arc<dyn Clock>,
    pub allowed_origin: String,
}

#[derive(Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

impl PaymentWebhook {
    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        let ledger = Arc::new(DynamoPaymentLedger::new(
            aws::dynamodb(config),
            aws::env_required("PAYMENTS_TABLE")?,
        ));
        let stripe = payments::stripe_from_env(config, ledger).await?;
        Ok(PaymentWebhook {
            reconciler: Arc::new(stripe.gateway),
            orders: Arc::new(DynamoOrderStore::new(
                aws::dynamodb(config),
                aws::env_required("ORDERS_TABLE")?,
            )),
            events: Arc::new(DynamoIdempotencyStore::new(
                aws::dynamodb(config),
                aws::env_required("IDEMPOTENCY_TABLE")?,
            )),
            publisher: Arc::new(EventBridgePublisher::new(
                aws::eventbridge(config),
                aws::env_required("EVENT_BUS_NAME")?,
                PAYMENTS_SOURCE,
            )),
            secret: stripe.webhook_secret.into_bytes(),
            clock: Arc::new(SystemClock),
            allowed_origin: aws::env_or("ALLOWED_ORIGIN", ""),
        })
    }

    async fn route(&self, request: &Request) -> ApiResult {
        let (action, _) = ROUTER.route(request.method(), &http::route_path(request))?;
        match action {
            Action::Receive => self.receive(request).await,
        }
    }

    async fn receive(&self, request: &Request) -> ApiResult {
        let signature = http::header_value(request, SIGNATURE_HEADER).unwrap_or_default();
        let now = self.clock.now();
        if let Err(reason) = webhook::verify(
            &self.secret,
            http::body_bytes(request),
            signature,
            now,
            webhook::SIGNATURE_TOLERANCE_SECONDS,
        ) {
            tracing::warn!(?reason, "stripe signature refused");
            return Err(ApiError::bad_request("invalid Stripe-Signature"));
        }
        let event: StripeEvent = http::parse_json(request)?;
        http::check_event_id(&event.id, "id")?;
        if !matches!(
            event.kind.as_str(),
            "charge.refunded" | "payment_intent.canceled"
        ) {
            // Nothing is changed for these, so nothing is remembered either.
            return self.log_only(&event);
        }
        let once = EventsOnce {
            events: &*self.events,
            memory: EVENT_MEMORY,
            lease: EVENT_LEASE,
            noun: "event",
        };
        // A failed event is released: Stripe retries its delivery.
        once.run(
            format!("stripe-event#{}", event.id),
            &event.kind,
            now,
            || self.act(&event),
        )
        .await
    }

    fn log_only(&self, event: &StripeEvent) -> ApiResult {
        if event.kind == "payment_intent.payment_failed" {
            // The payment step got this decline in its own answer.
            let code = event.data.object["last_payment_error"]["code"]
                .as_str()
                .unwrap_or("");
            tracing::info!(code, "payment failure reported");
            return http::ok(&json!({"status": "nothing to change"}));
        }
        tracing::info!(kind = event.kind.as_str(), "event type not used: ignored");
        http::ok(&json!({"status": "ignored"}))
    }

    async fn act(&self, event: &StripeEvent) -> ApiResult {
        let object = &event.data.object;
        let field = |name: &str| object[name].as_str().unwrap_or_default().to_string();
        let reconciled = if event.kind == "charge.refunded" {
            self.reconciler.refunded(&field("payment_intent")).await
        } else {
            self.reconciler.cancelled(&field("id")).await
        }
        .map_err(|e| match e {
            PaymentError::Transient(reason) => ApiError::unavailable("reading from Stripe", reason),
            other => ApiError::internal("reconciling a Stripe event", other),
        })?;
        match reconciled {
            Reconciled::Nothing => http::ok(&json!({"status": "nothing to change"})),
            Reconciled::Refunded { order_id, refund } => {
                let reason = format!(
                    "payment refunded in Stripe ({}, ${})",
                    refund.refund_id, refund.amount
                );
                self.record(
                    &order_id,
                    &reason,
                    event,
                    LifecycleEventKind::PaymentRefunded,
                )
                .await
            }
            Reconciled::Voided { order_id } => {
                self.record(
                    &order_id,
                    "payment authorisation cancelled in Stripe",
                    event,
                    LifecycleEventKind::PaymentVoided,
                )
                .await
            }
        }
    }

    /// Notes the change on the order's timeline and puts it on the bus, with
    /// an event id made from Stripe's so a retry repeats it.
    async fn record(
        &self,
        order_id: &str,
        reason: &str,
        event: &StripeEvent,
        kind: LifecycleEventKind,
    ) -> ApiResult {
        tracing::Span::current().record("orderId", order_id);
        let order = match self.orders.note(order_id, reason, self.clock.now()).await {
            Ok(order) => order,
            Err(StoreError::NotFound) => {
                tracing::warn!("a payment of the ledger has no order");
                return http::ok(&json!({"status": "no such order"}));
            }
            Err(e) => return Err(ApiError::from_store("noting a payment change", e)),
        };
        let lifecycle =
            LifecycleEvent::for_order(&order, format!("stripe-{}", event.id), self.clock.now());
        self.publisher
            .publish(kind, &lifecycle)
            .await
            .map_err(|e| ApiError::unavailable("publishing the payment change", e))?;
        tracing::info!(kind = event.kind.as_str(), "payment change recorded");
        http::ok(&json!({"status": "recorded"}))
    }
}

#[async_trait::async_trait]
impl Api for PaymentWebhook {
    async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, &self.allowed_origin, |_| self.route(&request)).await
    }
}
