//! `POST /api/orders` (idempotent), `GET /api/orders`, `GET /api/orders/{id}`,
//! `POST /api/orders/{id}/cancel`, and for admins `GET /api/admin/orders`.

pub mod stalled;
mod view;

use chrono::Duration;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::{
    DynamoIdempotencyStore, DynamoOrderStore, DynamoPaymentLedger, DynamoProductStore,
};
use shared::adapters::eventbridge::EventBridgePublisher;
use shared::adapters::stepfunctions::StepFunctionsStarter;
use shared::adapters::{SystemClock, UuidV7Ids};
use shared::auth::{Principal, Tokens};
use shared::domain::{
    merge_quantities, LifecycleEvent, LifecycleEventKind, NewOrder, Order, OrderLine, OrderStatus,
    Product, ShippingAddress, ORDERS_API_SOURCE,
};
use shared::http::{self, Api, ApiError, ApiResult, RouteTable, Router};
use shared::ports::{
    Claim, Clock, EventPublisher, IdGenerator, IdempotencyRecord, IdempotencyStore, OrderStore,
    PaymentLedger, ProductStore, StoreError, WorkflowStarter,
};
use shared::telemetry;
use std::sync::{Arc, LazyLock};
pub use view::OrderView;

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 99;
/// How long an Idempotency-Key is remembered.
const IDEMPOTENCY_TTL: Duration = Duration::hours(24);
const DEFAULT_ADMIN_LIMIT: usize = 50;
const MAX_ADMIN_LIMIT: usize = 200;

#[derive(Clone, Copy)]
enum Action {
    Create,
    ListMine,
    Get,
    Cancel,
    ListAll,
}

/// Every route this function serves, the one table of them.
const ROUTES: RouteTable<Action> = &[
    (Method::POST, "/api/orders", Action::Create),
    (Method::GET, "/api/orders", Action::ListMine),
    (Method::GET, "/api/orders/{id}", Action::Get),
    (Method::POST, "/api/orders/{id}/cancel", Action::Cancel),
    (Method::GET, "/api/admin/orders", Action::ListAll),
];

static ROUTER: LazyLock<Router<Action>> = LazyLock::new(|| Router::new(ROUTES));

/// (method, path) of every route, for the route check.
pub fn routes() -> Vec<(String, String)> {
    ROUTER.declared()
}

pub struct OrdersService {
    pub orders: Arc<dyn OrderStore>,
    pub products: Arc<dyn ProductStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Read only: where an order's payment stands, for its page.
    pub payments: Arc<dyn PaymentLedger>,
    pub publisher: Arc<dyn EventPublisher>,
    pub workflow: Arc<dyn WorkflowStarter>,
    pub tokens: Arc<Tokens>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub allowed_origin: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct LineRequest {
    product_id: String,
    quantity: i64,
    // Clients may send names and prices; they are ignored (not trusted).
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ShippingRequest {
    address: String,
    city: String,
    state: String,
    zip: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateOrderRequest {
    items: Vec<LineRequest>,
    shipping: ShippingRequest,
    #[serde(default)]
    payment_token: Option<String>,
    // Clients may send a total; it is ignored and recomputed.
}

fn field(name: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::bad_request(format!(
            "shipping.{name} is required"
        )));
    }
    if value.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "shipping.{name} must be at most {max} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "shipping.{name} contains control characters"
        )));
    }
    Ok(value.to_string())
}

/// A request that passed every check that does not need the catalog.
#[derive(Serialize)]
struct ValidOrder {
    /// Merged per product, in first-seen order.
    lines: Vec<(String, u32)>,
    shipping: ShippingAddress,
    payment_token: String,
}

impl ValidOrder {
    /// Identifies the request for Idempotency-Key replays: the same lines,
    /// address and token give the same fingerprint.
    fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }
}

impl CreateOrderRequest {
    fn validate(&self) -> Result<ValidOrder, ApiError> {
        if self.items.is_empty() || self.items.len() > MAX_LINES {
            return Err(ApiError::bad_request(format!(
                "items must have 1 to {MAX_LINES} lines"
            )));
        }
        let mut lines = Vec::with_capacity(self.items.len());
        for (i, line) in self.items.iter().enumerate() {
            let id = line.product_id.trim();
            if id.is_empty() || id.len() > 64 {
                return Err(ApiError::bad_request(format!(
                    "items[{i}].productId must be 1 to 64 characters"
                )));
            }
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(ApiError::bad_request(format!(
                    "items[{i}].quantity must be between 1 and {MAX_QUANTITY}"
                )));
            }
            lines.push((id.to_string(), line.quantity as u32));
        }
        let lines = merge_quantities(lines);
        if let Some((id, _)) = lines.iter().find(|(_, q)| i64::from(*q) > MAX_QUANTITY) {
            return Err(ApiError::bad_request(format!(
                "the quantity of {id} must be at most {MAX_QUANTITY} in total"
            )));
        }
        let shipping = ShippingAddress {
            address: field("address", &self.shipping.address, 200)?,
            city: field("city", &self.shipping.city, 100)?,
            state: field("state", &self.shipping.state, 50)?,
            zip: field("zip", &self.shipping.zip, 20)?,
        };
        let token = match self.payment_token.as_deref().map(str::trim) {
            None | Some("") => shared::adapters::payment_sim::DEFAULT_TOKEN.to_string(),
            Some(t)
                if t.len() <= 100
                    && (t.starts_with("tok_") || t.starts_with("pm_"))
                    && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                t.to_string()
            }
            Some(_) => {
                return Err(ApiError::bad_request(
                    "paymentToken must be a tok_… or pm_… payment token",
                ))
            }
        };
        Ok(ValidOrder {
            lines,
            shipping,
            payment_token: token,
        })
    }
}

impl OrdersService {
    /// On the in-memory world, with the test token keys and any origin:
    /// what the handler tests and the in-process benchmark run.
    #[cfg(feature = "testing")]
    pub fn in_memory(world: &shared::adapters::memory::MemoryWorld) -> Self {
        OrdersService {
            orders: world.orders.clone(),
            products: world.catalog.clone(),
            idempotency: world.idempotency.clone(),
            payments: world.payments.clone(),
            publisher: world.publisher.clone(),
            workflow: world.workflow.clone(),
            tokens: Arc::new(shared::http::testing::tokens()),
            clock: world.clock.clone(),
            ids: world.ids.clone(),
            allowed_origin: "*".into(),
        }
    }

    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        let dynamo = aws::dynamodb(config);
        Ok(OrdersService {
            orders: Arc::new(DynamoOrderStore::new(
                dynamo.clone(),
                aws::env_required("ORDERS_TABLE")?,
            )),
            products: Arc::new(DynamoProductStore::new(
                dynamo.clone(),
                aws::env_required("PRODUCTS_TABLE")?,
            )),
            idempotency: Arc::new(DynamoIdempotencyStore::new(
                dynamo.clone(),
                aws::env_required("IDEMPOTENCY_TABLE")?,
            )),
            payments: Arc::new(DynamoPaymentLedger::new(
                dynamo,
                aws::env_required("PAYMENTS_TABLE")?,
            )),
            publisher: Arc::new(EventBridgePublisher::new(
                aws::eventbridge(config),
                aws::env_required("EVENT_BUS_NAME")?,
                ORDERS_API_SOURCE,
            )),
            workflow: Arc::new(StepFunctionsStarter::new(
                aws::stepfunctions(config),
                aws::env_required("STATE_MACHINE_ARN")?,
            )),
            tokens: Arc::new(aws::tokens_from_env(config).await?),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            allowed_origin: aws::env_or("ALLOWED_ORIGIN", ""),
        })
    }

    async fn route(&self, request: &Request, correlation_id: &str) -> ApiResult {
        let (action, params) = ROUTER.route(request.method(), &http::route_path(request))?;
        let id = || http::path_id(&params, "id");
        match action {
            Action::Create => self.create(request, correlation_id).await,
            Action::ListMine => self.list_mine(request).await,
            Action::Get => self.get(request, id()?).await,
            Action::Cancel => self.cancel(request, id()?).await,
            Action::ListAll => self.list_all(request).await,
        }
    }

    async fn create(&self, request: &Request, correlation_id: &str) -> ApiResult {
        let principal = http::authenticate(request, &self.tokens)?;
        let body: CreateOrderRequest = http::parse_json(request)?;
        let valid = body.validate()?;
        let now = self.clock.now();

        let mut order_id = self.ids.new_id();
        // Scoped to the caller: the same key from two users is two orders.
        let idempotency_key = match http::header_text(request, "idempotency-key") {
            Ok(None) => None,
            Ok(Some(key)) if !key.trim().is_empty() && key.len() <= 255 => {
                Some(format!("order#{}#{key}", principal.user_id))
            }
            Ok(Some(_)) | Err(_) => {
                return Err(ApiError::bad_request(
                    "Idempotency-Key must be 1 to 255 printable ASCII characters",
                ))
            }
        };
        if let Some(key) = &idempotency_key {
            let fingerprint = valid.fingerprint();
            let record = IdempotencyRecord {
                key: key.clone(),
                fingerprint: fingerprint.clone(),
                value: order_id.clone(),
                completed: true,
                lease_expires_at: now.timestamp(),
                expires_at: (now + IDEMPOTENCY_TTL).timestamp(),
            };
            let claim = self
                .idempotency
                .claim(&record, now)
                .await
                .map_err(|e| ApiError::from_store("claiming an idempotency key", e))?;
            if let Claim::Existing(existing) = claim {
                if existing.fingerprint != fingerprint {
                    return Err(ApiError::conflict(
                        "this Idempotency-Key was already used with a different request",
                    ));
                }
                if let Some(order) = self.load(&existing.value).await? {
                    tracing::info!(order_id = %order.id, "idempotent replay");
                    self.ensure_started(&order).await?;
                    return Ok(http::json(StatusCode::OK, &OrderView::from(order)));
                }
                // The first request claimed the key but did not store the
                // order (it failed or is in flight): finish its work.
                order_id = existing.value;
            }
        }
        tracing::Span::current().record("orderId", order_id.as_str());

        let items = self.price(&valid.lines).await?;
        let order = Order::place(NewOrder {
            id: order_id,
            user_id: principal.user_id.clone(),
            items,
            shipping: valid.shipping,
            payment_token: valid.payment_token,
            correlation_id: correlation_id.to_string(),
            now,
        })
        .map_err(|e| ApiError::bad_request(e.to_string()))?;

        match self.orders.create(&order).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) if idempotency_key.is_some() => {
                // A concurrent request with the same key stored it first.
                let existing = self.load(&order.id).await?.ok_or_else(|| {
                    ApiError::unavailable("re-reading a concurrent order", "order vanished")
                })?;
                return Ok(http::json(StatusCode::OK, &OrderView::from(existing)));
            }
            Err(e) => return Err(ApiError::from_store("storing an order", e)),
        }
        telemetry::count(
            "OrderStatusChanged",
            &[("Status", OrderStatus::New.as_str())],
        );
        tracing::info!(
            total_cents = order.total.cents(),
            lines = order.items.len(),
            "order placed"
        );
        self.publish(LifecycleEventKind::Created, &order).await;

        if let Err(e) = self.workflow.start(&order).await {
            if idempotency_key.is_none() {
                // Nobody can retry this exact order: close it rather than
                // leave it waiting forever.
                self.fail_unstarted(&order).await;
            }
            // With a key, the order stays `new` and a retry starts it.
            return Err(ApiError::unavailable("starting the order workflow", e));
        }
        Ok(http::json(StatusCode::CREATED, &OrderView::from(order)))
    }

    /// Prices every line from the catalog; unknown or archived products are
    /// the client's mistake (400).
    async fn price(&self, lines: &[(String, u32)]) -> Result<Vec<OrderLine>, ApiError> {
        let mut priced = Vec::with_capacity(lines.len());
        for (product_id, quantity) in lines {
            let product = self
                .products
                .get(product_id)
                .await
                .map_err(|e| ApiError::from_store("pricing an order", e))?
                .filter(Product::is_active)
                .ok_or_else(|| ApiError::bad_request(format!("unknown product: {product_id}")))?;
            let line_total = product
                .price
                .checked_mul(*quantity)
                .ok_or_else(|| ApiError::bad_request("order total too large"))?;
            priced.push(OrderLine {
                product_id: product.id,
                name: product.name,
                quantity: *quantity,
                unit_price: product.price,
                line_total,
            });
        }
        Ok(priced)
    }

    async fn ensure_started(&self, order: &Order) -> Result<(), ApiError> {
        if order.status == OrderStatus::New {
            self.workflow
                .start(order)
                .await
                .map_err(|e| ApiError::unavailable("restarting the order workflow", e))?;
        }
        Ok(())
    }

    async fn fail_unstarted(&self, order: &Order) {
        let now = self.clock.now();
        match self
            .orders
            .transition(
                &order.id,
                &[OrderStatus::New],
                OrderStatus::Failed,
                "order processing could not start",
                now,
            )
            .await
        {
            Ok(failed) => self.publish(LifecycleEventKind::Failed, &failed).await,
            Err(e) => tracing::error!(error = %e, "order left in new: could not mark it failed"),
        }
    }

    /// Publishes a lifecycle event. A failure is logged and counted, not
    /// returned: the order itself is safely stored.
    async fn publish(&self, kind: LifecycleEventKind, order: &Order) {
        let event = LifecycleEvent::for_order(order, self.ids.new_id(), self.clock.now());
        if let Err(e) = self.publisher.publish(kind, &event).await {
            telemetry::count("EventPublishFailed", &[("EventType", kind.detail_type())]);
            tracing::error!(error = %e, event = kind.detail_type(), "lifecycle event not published");
        }
    }

    async fn load(&self, id: &str) -> Result<Option<Order>, ApiError> {
        self.orders
            .get(id)
            .await
            .map_err(|e| ApiError::from_store("reading an order", e))
    }

    /// The caller's order; someone else's is reported as missing, not
    /// forbidden, so ids cannot be probed.
    async fn owned(&self, principal: &Principal, id: &str) -> Result<Order, ApiError> {
        match self.load(id).await? {
            Some(order) if order.user_id == principal.user_id || principal.is_admin() => Ok(order),
            _ => Err(ApiError::not_found(format!("order {id} not found"))),
        }
    }

    async fn list_mine(&self, request: &Request) -> ApiResult {
        let principal = http::authenticate(request, &self.tokens)?;
        let orders = self
            .orders
            .list_for_user(&principal.user_id)
            .await
            .map_err(|e| ApiError::from_store("listing orders", e))?;
        http::ok(&orders.into_iter().map(OrderView::from).collect::<Vec<_>>())
    }

    async fn get(&self, request: &Request, id: &str) -> ApiResult {
        let principal = http::authenticate(request, &self.tokens)?;
        let order = self.owned(&principal, id).await?;
        let payment_state = match self.payments.get(id).await {
            Ok(record) => record.map(|r| r.state),
            // The order is worth showing without it.
            Err(e) => {
                tracing::warn!(error = %e, "payment state not read");
                None
            }
        };
        http::ok(&OrderView::from(order).with_payment_state(payment_state))
    }

    async fn cancel(&self, request: &Request, id: &str) -> ApiResult {
        let principal = http::authenticate(request, &self.tokens)?;
        tracing::Span::current().record("orderId", id);
        let order = self.owned(&principal, id).await?;
        let not_cancellable = |status: OrderStatus| {
            ApiError::unprocessable(format!("order can no longer be cancelled: it is {status}"))
        };
        if !order.status.is_cancellable() {
            return Err(not_cancellable(order.status));
        }
        let expected = [
            OrderStatus::New,
            OrderStatus::Validating,
            OrderStatus::Validated,
        ];
        let reason = if principal.user_id == order.user_id {
            "cancelled by the customer"
        } else {
            "cancelled by an admin"
        };
        match self
            .orders
            .transition(
                id,
                &expected,
                OrderStatus::Cancelled,
                reason,
                self.clock.now(),
            )
            .await
        {
            Ok(cancelled) => {
                telemetry::count(
                    "OrderStatusChanged",
                    &[("Status", OrderStatus::Cancelled.as_str())],
                );
                self.publish(LifecycleEventKind::Cancelled, &cancelled)
                    .await;
                http::ok(&OrderView::from(cancelled))
            }
            // The pipeline moved it on between our read and our write.
            Err(StoreError::ConditionFailed) => {
                let now = self.load(id).await?.map_or(order.status, |o| o.status);
                Err(not_cancellable(now))
            }
            Err(e) => Err(ApiError::from_store("cancelling an order", e)),
        }
    }

    async fn list_all(&self, request: &Request) -> ApiResult {
        http::require_admin(request, &self.tokens)?;
        let status = match http::query_param(request, "status") {
            None => None,
            Some(text) => Some(OrderStatus::parse(&text).ok_or_else(|| {
                let known: Vec<_> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::bad_request(format!(
                    "unknown status {text:?}; one of: {}",
                    known.join(", ")
                ))
            })?),
        };
        let limit = match http::query_param(request, "limit") {
            None => DEFAULT_ADMIN_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_ADMIN_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!("limit must be 1 to {MAX_ADMIN_LIMIT}"))
                })?,
        };
        let orders = self
            .orders
            .list_all(status, limit)
            .await
            .map_err(|e| ApiError::from_store("listing all orders", e))?;
        http::ok(&orders.into_iter().map(OrderView::from).collect::<Vec<_>>())
    }
}

#[async_trait::async_trait]
impl Api for OrdersService {
    async fn handle(&self, request: Request) -> Response<Body> {
        let request = &request;
        http::respond(request, &self.allowed_origin, |correlation_id| async move {
            self.route(request, &correlation_id).await
        })
        .await
    }
}
