//! `POST /api/shipping/webhook`: the carrier reports a delivery. The body
//! must carry a valid signature over a timestamp within five minutes and the
//! body (401 otherwise), and each report's event id is acted on once. A
//! delivery moves the
//! order shipped -> delivered and publishes order.delivered (as the forward
//! steps reach their milestones, `shared::milestone`), then completes the
//! state machine task that waits on it, once. Writing the order first means
//! no answer lost on the way leaves a finished workflow with an order that
//! is not marked delivered; a carrier retry writes nothing twice.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoShipmentStore};
use shared::adapters::stepfunctions::StepFunctionsTasks;
use shared::adapters::SystemClock;
use shared::domain::{LifecycleEventKind, OrderStatus};
use shared::http::{self, Api, ApiError, ApiResult, EventsOnce, RouteTable, Router};
use shared::milestone::{Milestone, OrderProgress};
use shared::ports::{
    AwaitedDelivery, Clock, DeliveryState, IdempotencyStore, ShipmentStore, StoreError,
    TaskCompleter, TaskError,
};
use shared::step::{load_order, StepError, StepInput};
use shared::webhook::{self, DeliveryOutcome, DeliveryUpdate, DELIVERY_FAILED};
use std::sync::{Arc, LazyLock};

#[derive(Clone, Copy)]
enum Action {
    Receive,
}

/// Every route this function serves, the one table of them.
const ROUTES: RouteTable<Action> = &[(Method::POST, "/api/shipping/webhook", Action::Receive)];

static ROUTER: LazyLock<Router<Action>> = LazyLock::new(|| Router::new(ROUTES));

/// (method, path) of every route, for the route check.
pub fn routes() -> Vec<(String, String)> {
    ROUTER.declared()
}

/// How long a report's event id is remembered: far past the signature's
/// tolerance, after which a replay is refused as stale anyway.
const EVENT_MEMORY: chrono::Duration = chrono::Duration::days(1);
/// How long one request owns an event id before a retry may take it over.
const EVENT_LEASE: chrono::Duration = chrono::Duration::seconds(60);

pub struct ShippingWebhook {
    pub shipments: Arc<dyn ShipmentStore>,
    /// Report event ids seen (claimed while in progress, completed after).
    pub events: Arc<dyn IdempotencyStore>,
    pub tasks: Arc<dyn TaskCompleter>,
    pub progress: OrderProgress,
    pub secret: Vec<u8>,
    pub clock: Arc<dyn Clock>,
    pub allowed_origin: String,
}

impl ShippingWebhook {
    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(ShippingWebhook {
            shipments: Arc::new(DynamoShipmentStore::new(
                aws::dynamodb(config),
                aws::env_required("SHIPMENTS_TABLE")?,
            )),
            events: Arc::new(DynamoIdempotencyStore::new(
                aws::dynamodb(config),
                aws::env_required("IDEMPOTENCY_TABLE")?,
            )),
            tasks: Arc::new(StepFunctionsTasks::new(aws::stepfunctions(config))),
            progress: OrderProgress::from_env(config)?,
            secret: aws::secret_from_env(config, "WEBHOOK_SECRET")
                .await?
                .into_bytes(),
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
        // The signature is checked on the raw bytes before anything is parsed.
        let signature = http::header_value(request, webhook::SIGNATURE_HEADER).unwrap_or_default();
        let now = self.clock.now();
        if let Err(reason) = webhook::verify(
            &self.secret,
            http::body_bytes(request),
            signature,
            now,
            webhook::SIGNATURE_TOLERANCE_SECONDS,
        ) {
            tracing::warn!(?reason, "webhook signature refused");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid webhook signature",
            ));
        }
        let update: DeliveryUpdate = http::parse_json(request)?;
        http::check_event_id(&update.event_id, "eventId")?;
        let once = EventsOnce {
            events: &*self.events,
            memory: EVENT_MEMORY,
            lease: EVENT_LEASE,
            noun: "report",
        };
        // A failed report is released for the carrier's retry.
        once.run(
            format!("carrier-event#{}", update.event_id),
            &update.tracking_number,
            now,
            || self.record(&update),
        )
        .await
    }

    /// Acts on one report, once its signature and event id are checked.
    async fn record(&self, update: &DeliveryUpdate) -> ApiResult {
        let delivery = self
            .shipments
            .get(&update.tracking_number)
            .await
            .map_err(|e| ApiError::from_store("reading a shipment", e))?
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "unknown tracking number {}",
                    update.tracking_number
                ))
            })?;
        tracing::Span::current().record("orderId", delivery.order_id.as_str());
        if delivery.state != DeliveryState::Awaiting {
            return http::ok(&json!({"status": "already recorded"}));
        }
        let state = match update.status {
            DeliveryOutcome::Delivered => DeliveryState::Delivered,
            DeliveryOutcome::Exception => DeliveryState::Failed,
        };
        if let (DeliveryState::Delivered, Some(event_id)) = (state, &delivery.delivered_event_id) {
            self.mark_delivered(&delivery, event_id).await?;
        }
        match self
            .shipments
            .complete(&update.tracking_number, state, self.clock.now())
            .await
        {
            Ok(()) => {}
            // A concurrent copy of this webhook got there first.
            Err(StoreError::ConditionFailed) => {
                return http::ok(&json!({"status": "already recorded"}))
            }
            Err(e) => return Err(ApiError::from_store("recording a delivery", e)),
        }
        let completed = match update.status {
            DeliveryOutcome::Delivered => {
                let output =
                    json!({"orderId": delivery.order_id, "deliveredAt": update.occurred_at});
                self.tasks.succeed(&delivery.task_token, &output).await
            }
            DeliveryOutcome::Exception => {
                let cause = update
                    .detail
                    .as_deref()
                    .unwrap_or("the carrier could not deliver");
                self.tasks
                    .fail(&delivery.task_token, DELIVERY_FAILED, cause)
                    .await
            }
        };
        match completed {
            Ok(()) => {
                tracing::info!(outcome = ?update.status, "delivery recorded");
                http::ok(&json!({"status": "accepted"}))
            }
            Err(TaskError::Gone(reason)) => {
                tracing::warn!(%reason, "delivery arrived after the order stopped waiting");
                Err(ApiError::conflict(
                    "the order is no longer waiting for this delivery",
                ))
            }
            Err(error @ (TaskError::Transient(_) | TaskError::Rejected(_))) => {
                // Let the carrier's retry try again.
                if let Err(e) = self.shipments.reopen(&update.tracking_number).await {
                    tracing::error!(error = %e, "delivery recorded but the workflow was not told");
                }
                Err(match error {
                    TaskError::Rejected(reason) => {
                        ApiError::internal("completing the delivery task", reason)
                    }
                    other => ApiError::unavailable("completing the delivery task", other),
                })
            }
        }
    }

    async fn mark_delivered(
        &self,
        delivery: &AwaitedDelivery,
        event_id: &str,
    ) -> Result<(), ApiError> {
        let input = StepInput {
            order_id: delivery.order_id.clone(),
            correlation_id: None,
        };
        let milestone = Milestone {
            from: OrderStatus::Shipped,
            to: OrderStatus::Delivered,
            reason: "the carrier confirmed delivery".into(),
            record: None,
            event: LifecycleEventKind::Delivered,
        };
        let reached = match load_order(&*self.progress.orders, &input).await {
            Ok(order) => self.progress.reach(order, milestone, event_id).await,
            Err(e) => Err(e),
        };
        match reached {
            Ok(_) => Ok(()),
            Err(StepError::OrderMoved(reason)) => {
                tracing::warn!(%reason, "delivery reported for an order that is not shipped");
                Err(ApiError::conflict(
                    "the order is no longer waiting for this delivery",
                ))
            }
            // Nothing recorded yet: the carrier's retry does it all again.
            Err(StepError::Transient(reason)) => {
                Err(ApiError::unavailable("marking the order delivered", reason))
            }
            Err(e) => Err(ApiError::internal("marking the order delivered", e)),
        }
    }
}

#[async_trait::async_trait]
impl Api for ShippingWebhook {
    async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, &self.allowed_origin, |_| self.route(&request)).await
    }
}
