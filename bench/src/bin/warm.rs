//! Warm handler latency, in process, per function: each handler is built once
//! on the in-memory adapters its crate's own tests use, warmed up, then timed
//! call by call. Left out on purpose: the Lambda runtime (`floor`,
//! `cold_start`) and the network to AWS (in-memory adapters), so what is
//! measured is our own code's work per request.
//!
//! ```text
//! warm [--iterations N] [--argon2-iterations N] [--json PATH]
//! ```
//!
//! Every timed call is a realistic request that succeeds and does real work
//! (fresh ids, keys and orders per call, prepared before the clock starts);
//! anything else panics, so an error path is never measured by mistake.
//!
//! The report goes to stderr: stdout belongs to the handlers, which print
//! their CloudWatch EMF metric lines there as they do in Lambda. Run with
//! `>/dev/null` to see only the report.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use bench::quantile;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use lambda_runtime::{Context, LambdaEvent};
use serde::Serialize;
use serde_json::json;
use shared::adapters::carrier_sim::SimulatedCarrier;
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::adapters::payment_sim::SimulatedGateway;
use shared::domain::{Money, OrderStatus, Role, User};
use shared::http::testing::{body_json, request, token_for, tokens};
use shared::http::Api;
use shared::milestone::MilestoneInput;
use shared::ports::{
    AwaitedDelivery, ChargeRequest, Clock, DeliveryState, InventoryStore, PaymentGateway,
    ProductStore, ReservedLine, ShipmentStore, UserStore,
};
use shared::step::{event_for, handle, StepInput};
use shared::webhook::{sign, SIGNATURE_HEADER};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Calls before timing starts: allocator, caches and lazy statics settle.
const WARMUP: usize = 50;
/// argon2id (19 MiB per call) is warm after a few calls and slow to repeat.
const ARGON2_WARMUP: usize = 3;
const DEFAULT_ITERATIONS: usize = 2000;
const DEFAULT_ARGON2_ITERATIONS: usize = 50;
const PASSWORD: &str = "bench-password-123";
const WEBHOOK_SECRET: &[u8] = b"webhook-secret";

struct Args {
    iterations: usize,
    argon2_iterations: usize,
    json: Option<PathBuf>,
}

/// How many calls to make: `warmup` untimed, then `iterations` timed.
#[derive(Clone, Copy)]
struct Plan {
    warmup: usize,
    iterations: usize,
}

impl Plan {
    fn calls(self) -> usize {
        self.warmup + self.iterations
    }
}

/// One line of the report; the JSON keeps this field order.
#[derive(Serialize)]
struct Row {
    function: &'static str,
    operation: &'static str,
    iterations: usize,
    median_us: f64,
    p99_us: f64,
}

impl Row {
    fn new(function: &'static str, operation: &'static str, samples: Vec<Duration>) -> Row {
        // From whole nanoseconds: 2.805, not 2.8049999999999997, in the JSON.
        let mut micros: Vec<f64> = samples
            .iter()
            .map(|d| d.as_nanos() as f64 / 1000.0)
            .collect();
        Row {
            function,
            operation,
            iterations: micros.len(),
            median_us: quantile(&mut micros, 0.5),
            p99_us: quantile(&mut micros, 0.99),
        }
    }
}

fn main() {
    let args = parse_args().unwrap_or_else(|message| {
        eprintln!("warm: {message}\n{USAGE}");
        std::process::exit(2)
    });
    let plan = Plan {
        warmup: WARMUP,
        iterations: args.iterations,
    };
    let argon2 = Plan {
        warmup: ARGON2_WARMUP,
        iterations: args.argon2_iterations.min(args.iterations),
    };
    // The functions' own runtime flavour: one thread, no work stealing.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rows = runtime.block_on(async {
        vec![
            auth_login(argon2).await,
            auth_profile(plan).await,
            catalog_list(plan).await,
            catalog_get(plan).await,
            orders_place(plan).await,
            orders_get(plan).await,
            reserve_order(plan).await,
            release_reservation(plan).await,
            charge_order(plan).await,
            refund_capture(plan).await,
            buy_label(plan).await,
            await_parcel(plan).await,
            delivery_webhook(plan).await,
            notify_paid(plan).await,
        ]
    });
    print_table(&rows);
    if let Some(path) = &args.json {
        write_json(path, &rows);
    }
}

/// Times one call per input. The clock covers the handler call only: inputs
/// are built before it starts, `check` (which panics unless the call
/// succeeded) runs after it stops. The first `plan.warmup` calls are dropped.
async fn measure<I, O, F, Fut>(
    plan: Plan,
    inputs: Vec<I>,
    mut call: F,
    mut check: impl FnMut(O),
) -> Vec<Duration>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = O>,
{
    assert_eq!(inputs.len(), plan.calls(), "one input per call");
    let mut samples = Vec::with_capacity(inputs.len());
    for input in inputs {
        let start = Instant::now();
        let output = call(input).await;
        samples.push(start.elapsed());
        check(output);
    }
    samples.split_off(plan.warmup)
}

/// `measure` for an HTTP handler whose every call must answer `expected`.
async fn measure_http<F, Fut>(
    plan: Plan,
    inputs: Vec<Request>,
    handle: F,
    expected: StatusCode,
) -> Vec<Duration>
where
    F: FnMut(Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    measure(plan, inputs, handle, expect_status(expected)).await
}

/// Panics unless the response has the expected status.
fn expect_status(expected: StatusCode) -> impl FnMut(Response<Body>) {
    move |response| {
        assert_eq!(
            response.status(),
            expected,
            "unexpected response: {:?}",
            response.body()
        );
    }
}

/// The same request `n` times (for reads, where repeating is realistic).
fn repeat(n: usize, build: impl Fn() -> Request) -> Vec<Request> {
    (0..n).map(|_| build()).collect()
}

// ---- auth -----------------------------------------------------------------

/// Registers a user through the handler; returns its session token.
async fn registered(svc: &auth::AuthService) -> String {
    let body = json!({"email": "bench@example.com", "password": PASSWORD, "name": "Bench"});
    let response = svc
        .handle(request(
            Method::POST,
            "/api/auth/register",
            Some(&body.to_string()),
            None,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    body_json(&response)["token"]
        .as_str()
        .expect("a token")
        .to_string()
}

/// Login: one argon2id verification (it dominates) plus a JWT signature.
async fn auth_login(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = auth::AuthService::in_memory(&world);
    registered(&svc).await;
    let body = json!({"email": "bench@example.com", "password": PASSWORD}).to_string();
    let inputs = repeat(plan.calls(), || {
        request(Method::POST, "/api/auth/login", Some(&body), None)
    });
    let svc = &svc;
    let samples = measure_http(plan, inputs, move |req| svc.handle(req), StatusCode::OK).await;
    Row::new("auth", "POST login (argon2id)", samples)
}

/// The cheap path most auth calls take: verify a JWT, read the user.
async fn auth_profile(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = auth::AuthService::in_memory(&world);
    let token = registered(&svc).await;
    let inputs = repeat(plan.calls(), || {
        request(Method::GET, "/api/auth/profile", None, Some(&token))
    });
    let svc = &svc;
    let samples = measure_http(plan, inputs, move |req| svc.handle(req), StatusCode::OK).await;
    Row::new("auth", "GET profile (JWT)", samples)
}

// ---- catalog --------------------------------------------------------------

fn catalog_service(world: &MemoryWorld) -> catalog::CatalogService {
    catalog::CatalogService {
        products: world.catalog.clone(),
        tokens: Arc::new(tokens()),
        ids: world.ids.clone(),
        allowed_origin: "*".into(),
    }
}

/// The storefront's landing page: all 8 seed products.
async fn catalog_list(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = catalog_service(&world);
    let inputs = repeat(plan.calls(), || {
        request(Method::GET, "/api/products", None, None)
    });
    let svc = &svc;
    let samples = measure_http(plan, inputs, move |req| svc.handle(req), StatusCode::OK).await;
    Row::new("catalog", "GET products", samples)
}

async fn catalog_get(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = catalog_service(&world);
    let inputs = repeat(plan.calls(), || {
        request(Method::GET, "/api/products/prod-001", None, None)
    });
    let svc = &svc;
    let samples = measure_http(plan, inputs, move |req| svc.handle(req), StatusCode::OK).await;
    Row::new("catalog", "GET product", samples)
}

// ---- orders ---------------------------------------------------------------

/// A checkout as the storefront sends it, with its own Idempotency-Key.
fn place_order_request(token: &str, key: &str) -> Request {
    let body = json!({
        "items": [
            {"productId": "prod-001", "quantity": 2},
            {"productId": "prod-002", "quantity": 1}
        ],
        "shipping": {"address": "123 Main St", "city": "SF", "state": "CA", "zip": "94102"},
        "paymentToken": "tok_visa"
    })
    .to_string();
    let mut req = request(Method::POST, "/api/orders", Some(&body), Some(token));
    req.headers_mut()
        .insert("idempotency-key", key.parse().expect("a valid header"));
    req
}

/// Place: validate, claim the key, price from the catalog, store, publish
/// `order.created`, start the workflow. A new key per call, so 201, never
/// the replay's 200.
async fn orders_place(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = orders::OrdersService::in_memory(&world);
    let token = token_for("alice", Role::Customer);
    let inputs = (0..plan.calls())
        .map(|i| place_order_request(&token, &format!("bench-{i}")))
        .collect();
    let svc = &svc;
    let samples = measure_http(
        plan,
        inputs,
        move |req| svc.handle(req),
        StatusCode::CREATED,
    )
    .await;
    Row::new("orders", "POST order (Idempotency-Key)", samples)
}

async fn orders_get(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = orders::OrdersService::in_memory(&world);
    let token = token_for("alice", Role::Customer);
    let placed = svc.handle(place_order_request(&token, "setup")).await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    let path = format!("/api/orders/{}", body_json(&placed)["id"].as_str().unwrap());
    let inputs = repeat(plan.calls(), || {
        request(Method::GET, &path, None, Some(&token))
    });
    let svc = &svc;
    let samples = measure_http(plan, inputs, move |req| svc.handle(req), StatusCode::OK).await;
    Row::new("orders", "GET order", samples)
}

// ---- state machine steps: every call on its own order ----------------------

/// Two lines, as the orders API stores them.
const LINES: &[(&str, u32, i64)] = &[("prod-001", 2, 14999), ("prod-002", 1, 4999)];

/// `count` fresh orders `bench-0..`, stored directly (setup, not measured).
/// Orders in the status the state machine hands them to a step in, and
/// that step's input for each.
fn stored_orders(
    world: &MemoryWorld,
    count: usize,
    status: OrderStatus,
) -> Vec<LambdaEvent<MilestoneInput>> {
    (0..count)
        .map(|i| {
            let id = format!("bench-{i}");
            let order = sample_order(&id, LINES, "94102", "tok_visa");
            world.orders.put(along_happy_path(order, status));
            MilestoneInput::event(&id, &format!("event-{i}"), 1)
        })
        .collect()
}

/// Enough stock that every call's reservation succeeds.
async fn stock_for(world: &MemoryWorld, calls: usize) {
    for (product_id, quantity, _) in LINES {
        let delta = i64::from(*quantity) * calls as i64;
        world
            .catalog
            .adjust_stock(product_id, delta)
            .await
            .expect("stock adjusted");
    }
}

/// All or nothing over both lines; the reservation record is new each call.
async fn reserve_order(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let step = reserve_inventory::ReserveInventory {
        progress: world.progress(),
        inventory: world.catalog.clone(),
    };
    stock_for(&world, plan.calls()).await;
    let inputs = stored_orders(&world, plan.calls(), OrderStatus::Validating);
    let step = &step;
    let samples = measure(
        plan,
        inputs,
        move |event| handle(step, event),
        |result| assert_eq!(result.expect("reserved").lines.len(), LINES.len()),
    )
    .await;
    Row::new("reserve-inventory", "reserve order", samples)
}

/// Each order holds a reservation, so every call gives stock back.
async fn release_reservation(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let step = release_inventory::ReleaseInventory {
        inventory: world.catalog.clone(),
        clock: world.clock.clone(),
    };
    stock_for(&world, plan.calls()).await;
    let lines: Vec<ReservedLine> = LINES
        .iter()
        .map(|(product_id, quantity, _)| ReservedLine {
            product_id: (*product_id).to_string(),
            quantity: *quantity,
        })
        .collect();
    let mut inputs = Vec::with_capacity(plan.calls());
    for i in 0..plan.calls() {
        let id = format!("bench-{i}");
        world
            .catalog
            .reserve(&id, &lines, world.clock.now())
            .await
            .expect("reserved");
        inputs.push(event_for(&id));
    }
    let step = &step;
    let samples = measure(
        plan,
        inputs,
        move |event| handle(step, event),
        |result| assert!(result.expect("released").released, "nothing released"),
    )
    .await;
    Row::new("release-inventory", "release reservation", samples)
}

fn simulated_gateway(world: &MemoryWorld) -> Arc<SimulatedGateway> {
    Arc::new(SimulatedGateway::new(
        world.payments.clone(),
        world.ids.clone(),
        0,
    ))
}

/// A first authorisation per order (tok_visa approves), not an idempotent
/// replay.
async fn charge_order(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let step = charge_payment::ChargePayment {
        progress: world.progress(),
        gateway: simulated_gateway(&world),
    };
    let inputs = stored_orders(&world, plan.calls(), OrderStatus::Validated);
    let total: i64 = LINES.iter().map(|(_, q, c)| i64::from(*q) * c).sum();
    let step = &step;
    let samples = measure(
        plan,
        inputs,
        move |event| handle(step, event),
        |result| assert_eq!(result.expect("charged").amount, total),
    )
    .await;
    Row::new("charge-payment", "charge order", samples)
}

/// Authorises `bench-0` … `bench-{calls - 1}`, as the payment step leaves
/// them.
async fn authorise_orders(gateway: &SimulatedGateway, calls: usize) {
    for i in 0..calls {
        let charge = ChargeRequest {
            order_id: format!("bench-{i}"),
            attempt: 1,
            amount: Money::from_cents(34997),
            currency: "usd".into(),
            payment_token: "tok_visa".into(),
        };
        gateway.authorize(&charge).await.expect("authorised");
    }
}

/// Each order was captured (setup), so every call refunds a capture.
async fn refund_capture(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let gateway = simulated_gateway(&world);
    authorise_orders(&gateway, plan.calls()).await;
    let mut inputs = Vec::with_capacity(plan.calls());
    for i in 0..plan.calls() {
        let id = format!("bench-{i}");
        gateway.capture(&id).await.expect("captured");
        inputs.push(event_for(&id));
    }
    let step = refund_payment::RefundPayment { gateway };
    let step = &step;
    let samples = measure(
        plan,
        inputs,
        move |event| handle(step, event),
        |result| assert!(result.expect("refunded").refunded, "nothing refunded"),
    )
    .await;
    Row::new("refund-payment", "refund capture", samples)
}

async fn buy_label(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let gateway = simulated_gateway(&world);
    authorise_orders(&gateway, plan.calls()).await;
    let step = create_shipment::CreateShipment {
        progress: world.progress(),
        carrier: Arc::new(SimulatedCarrier),
        gateway,
    };
    let inputs = stored_orders(&world, plan.calls(), OrderStatus::Paid);
    let step = &step;
    let samples = measure(
        plan,
        inputs,
        move |event| handle(step, event),
        |result| assert!(result.expect("shipped").tracking_number.starts_with("1Z")),
    )
    .await;
    Row::new("create-shipment", "buy label", samples)
}

fn tracking_number(i: usize) -> String {
    format!("1ZBENCH{i:011}")
}

/// Stores the task token under a new tracking number, hands the parcel to
/// the (recording) carrier.
async fn await_parcel(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let step = await_delivery::AwaitDelivery {
        shipments: world.shipments.clone(),
        carrier: world.dispatch.clone(),
        tasks: world.tasks.clone(),
        clock: world.clock.clone(),
    };
    let inputs = (0..plan.calls())
        .map(|i| {
            let input = await_delivery::AwaitInput {
                ids: StepInput {
                    order_id: format!("bench-{i}"),
                    correlation_id: Some("corr-1".into()),
                },
                tracking_number: tracking_number(i),
                task_token: format!("token-{i}"),
                event_id: Some(format!("event-{i}")),
            };
            LambdaEvent::new(input, Context::default())
        })
        .collect();
    let step = &step;
    let samples = measure(
        plan,
        inputs,
        move |event| handle(step, event),
        |result| {
            result.expect("dispatched");
        },
    )
    .await;
    Row::new("await-delivery", "register and dispatch", samples)
}

// ---- shipping-webhook -------------------------------------------------------

/// The carrier's `delivered` report for a parcel the state machine awaits:
/// signature check on the raw body, mark the order delivered and publish
/// order.delivered, record the delivery, complete the task.
async fn delivery_webhook(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let svc = shipping_webhook::ShippingWebhook {
        shipments: world.shipments.clone(),
        events: world.idempotency.clone(),
        tasks: world.tasks.clone(),
        progress: world.progress(),
        secret: WEBHOOK_SECRET.to_vec(),
        clock: world.clock.clone(),
        allowed_origin: "*".into(),
    };
    let mut inputs = Vec::with_capacity(plan.calls());
    for i in 0..plan.calls() {
        let order = sample_order(&format!("bench-{i}"), LINES, "94102", "tok_visa");
        let order = along_happy_path(order, OrderStatus::Shipped);
        let order_id = order.id.clone();
        world.orders.put(order);
        let awaited = AwaitedDelivery {
            tracking_number: tracking_number(i),
            order_id,
            task_token: format!("token-{i}"),
            state: DeliveryState::Awaiting,
            registered_at: world.clock.now(),
            completed_at: None,
            delivered_event_id: Some(format!("event-{i}")),
        };
        world.shipments.register(&awaited).await.expect("awaiting");
        // Signed by the carrier, so outside the timed region.
        let body = json!({
            "eventId": format!("carrier-{i}"),
            "trackingNumber": awaited.tracking_number,
            "status": "delivered",
            "occurredAt": "2026-11-22T09:30:00Z"
        })
        .to_string();
        let signature = sign(
            WEBHOOK_SECRET,
            body.as_bytes(),
            world.clock.now().timestamp(),
        );
        let mut req = request(Method::POST, "/api/shipping/webhook", Some(&body), None);
        req.headers_mut()
            .insert(SIGNATURE_HEADER, signature.parse().expect("a valid header"));
        inputs.push(req);
    }
    let svc = &svc;
    let samples = measure(
        plan,
        inputs,
        move |req| svc.handle(req),
        |response| {
            assert_eq!(response.status(), StatusCode::OK);
            // "already recorded" is a 200 too, but no work: not this bench.
            assert_eq!(body_json(&response), json!({"status": "accepted"}));
        },
    )
    .await;
    Row::new("shipping-webhook", "POST signed delivery", samples)
}

// ---- notify -----------------------------------------------------------------

/// An SQS batch of one `order.paid` event, as EventBridge delivers it.
fn paid_event_batch(event_id: &str, order_id: &str, user_id: &str) -> LambdaEvent<SqsEvent> {
    let body = json!({
        "version": "0",
        "id": format!("eb-{event_id}"),
        "detail-type": "order.paid",
        "source": "store.order-pipeline",
        "account": "000000000000",
        "time": "2026-11-21T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "version": 1,
            "eventId": event_id,
            "orderId": order_id,
            "userId": user_id,
            "status": "paid",
            "occurredAt": "2026-11-21T10:00:00Z",
            "correlationId": "corr-1"
        }
    })
    .to_string();
    let mut message = SqsMessage::default();
    message.message_id = Some(format!("msg-{event_id}"));
    message.body = Some(body);
    let mut event = SqsEvent::default();
    event.records.push(message);
    LambdaEvent::new(event, Context::default())
}

/// Claim the event id, read user and order, compose and send one mail. A new
/// event id per call, so never the duplicate path.
async fn notify_paid(plan: Plan) -> Row {
    let world = MemoryWorld::default();
    let handler = notify::Notify {
        users: world.users.clone(),
        orders: world.orders.clone(),
        dedupe: world.idempotency.clone(),
        notifier: world.notifier.clone(),
        clock: world.clock.clone(),
    };
    let order = sample_order("bench-order", LINES, "94102", "tok_visa");
    let mut user = User::new(
        &order.user_id,
        "alice@example.com",
        "Alice",
        String::new(),
        world.clock.now(),
    );
    user.email_verified = true;
    world.users.create(&user).await.expect("user stored");
    let inputs = (0..plan.calls())
        .map(|i| paid_event_batch(&format!("evt-{i}"), &order.id, &user.id))
        .collect();
    world.orders.put(order);
    let handler = &handler;
    let samples = measure(
        plan,
        inputs,
        move |event| handler.handle(event),
        |response| {
            assert!(
                response.batch_item_failures.is_empty(),
                "a message failed: {response:?}"
            )
        },
    )
    .await;
    // No failure could also mean "duplicate" or "not for customers": every
    // call must have sent its mail.
    assert_eq!(
        world.notifier.sent().len(),
        plan.calls(),
        "one mail per call"
    );
    Row::new("notify", "SQS batch of 1 event", samples)
}

// ---- report -----------------------------------------------------------------

fn print_table(rows: &[Row]) {
    eprintln!(
        "{:<18} {:<30} {:>10} {:>12} {:>12}",
        "function", "operation", "iterations", "median µs", "p99 µs"
    );
    for row in rows {
        eprintln!(
            "{:<18} {:<30} {:>10} {:>12.1} {:>12.1}",
            row.function, row.operation, row.iterations, row.median_us, row.p99_us
        );
    }
}

fn write_json(path: &Path, rows: &[Row]) {
    let text = serde_json::to_string_pretty(rows).expect("rows serialise");
    if let Err(e) = std::fs::write(path, text + "\n") {
        eprintln!("warm: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}

// ---- arguments --------------------------------------------------------------

const USAGE: &str = "usage: warm [--iterations N (2000)] [--argon2-iterations N (50, at most --iterations)] [--json PATH]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        iterations: DEFAULT_ITERATIONS,
        argon2_iterations: DEFAULT_ARGON2_ITERATIONS,
        json: None,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--iterations" => args.iterations = count(&value()?)?,
            "--argon2-iterations" => args.argon2_iterations = count(&value()?)?,
            "--json" => args.json = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0)
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn count(text: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a positive count"))
}
