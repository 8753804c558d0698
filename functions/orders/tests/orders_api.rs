use lambda_http::http::{Method, StatusCode};
use lambda_http::Request;
use orders::OrdersService;
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::domain::{LifecycleEventKind, OrderStatus, Role};
use shared::http::testing::{body_json, request, token_for};
use shared::http::Api;
use shared::ports::OrderStore;

fn service(world: &MemoryWorld) -> OrdersService {
    OrdersService::in_memory(world)
}

async fn send(svc: &OrdersService, req: Request) -> (StatusCode, Value) {
    let response = svc.handle(req).await;
    (response.status(), body_json(&response))
}

async fn call(
    svc: &OrdersService,
    method: Method,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    send(svc, request(method, path, body, token)).await
}

fn alice() -> String {
    token_for("alice", Role::Customer)
}

fn order_body() -> String {
    json!({
        "items": [
            {"productId": "prod-001", "quantity": 2, "price": 0.01, "name": "cheap?"},
            {"productId": "prod-002", "quantity": 1}
        ],
        "shipping": {"address": "123 Main St", "city": "SF", "state": "CA", "zip": "94102"},
        "paymentToken": "tok_visa",
        "total": 0.03
    })
    .to_string()
}

async fn place(svc: &OrdersService, token: &str) -> Value {
    let (status, json) = call(
        svc,
        Method::POST,
        "/api/orders",
        Some(&order_body()),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    json
}

#[tokio::test]
async fn placing_prices_from_the_catalog_stores_publishes_and_starts() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let json = place(&svc, &alice()).await;

    assert_eq!(json["state"], "new");
    assert_eq!(
        json["data"]["total"], 349.97,
        "2 x 149.99 + 49.99, client prices ignored"
    );
    assert_eq!(json["data"]["items"][0]["price"], 149.99);
    assert_eq!(json["data"]["items"][0]["lineTotal"], 299.98);
    assert_eq!(json["data"]["items"][0]["name"], "Mechanical Keyboard");
    assert_eq!(json["data"]["userId"], "alice");
    assert_eq!(json["data"]["timeline"][0]["status"], "new");

    let id = json["id"].as_str().unwrap();
    let stored = world.orders.get(id).await.unwrap().unwrap();
    assert_eq!(stored.total.cents(), 34997);
    assert_eq!(stored.status, OrderStatus::New);
    assert_eq!(
        world.workflow.started(),
        vec![id.to_string()],
        "execution named after the order"
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::Created);
    assert_eq!(events[0].1.order_id, id);
    assert_eq!(events[0].1.user_id, "alice");
    assert_eq!(events[0].1.status, OrderStatus::New);
}

#[tokio::test]
async fn placing_needs_a_token() {
    let world = MemoryWorld::default();
    let (status, _) = call(
        &service(&world),
        Method::POST,
        "/api/orders",
        Some(&order_body()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(world.orders.all().is_empty());
}

#[tokio::test]
async fn invalid_orders_are_400_and_store_nothing() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let ship = json!({"address": "1 A St", "city": "SF", "state": "CA", "zip": "94102"});
    let line = |q: Value| json!({"productId": "prod-001", "quantity": q});
    let fifty_one: Vec<Value> = (0..51).map(|_| line(json!(1))).collect();
    let cases = vec![
        (
            json!({"items": [], "shipping": ship}),
            "items must have 1 to 50",
        ),
        (
            json!({"items": fifty_one, "shipping": ship}),
            "items must have 1 to 50",
        ),
        (
            json!({"items": [line(json!(0))], "shipping": ship}),
            "quantity must be between 1 and 99",
        ),
        (
            json!({"items": [line(json!(100))], "shipping": ship}),
            "quantity must be between 1 and 99",
        ),
        (
            json!({"items": [line(json!(-3))], "shipping": ship}),
            "quantity must be between 1 and 99",
        ),
        (
            json!({"items": [line(json!(60)), line(json!(60))], "shipping": ship}),
            "at most 99 in total",
        ),
        (
            json!({"items": [line(json!("two"))], "shipping": ship}),
            "invalid type",
        ),
        (
            json!({"items": [line(json!(1.5))], "shipping": ship}),
            "invalid type",
        ),
        (
            json!({"items": [{"productId": "prod-404", "quantity": 1}], "shipping": ship}),
            "unknown product: prod-404",
        ),
        (
            json!({"items": [{"quantity": 1}], "shipping": ship}),
            "missing field `productId`",
        ),
        (
            json!({"items": [line(json!(1))]}),
            "missing field `shipping`",
        ),
        (
            json!({"items": [line(json!(1))], "shipping": {"address": " ", "city": "SF", "state": "CA", "zip": "1"}}),
            "shipping.address is required",
        ),
        (
            json!({"items": [line(json!(1))], "shipping": {"address": "x".repeat(201), "city": "SF", "state": "CA", "zip": "1"}}),
            "shipping.address must be at most 200",
        ),
        (
            json!({"items": [line(json!(1))], "shipping": {"address": "1 A St", "city": "SF", "state": "CA"}}),
            "missing field `zip`",
        ),
        (
            json!({"items": [line(json!(1))], "shipping": {"address": "1 A St", "city": "SF", "state": "CA", "zip": "1", "phone": "5"}}),
            "unknown field `phone`",
        ),
        (
            json!({"items": [line(json!(1))], "shipping": ship, "paymentToken": "4242424242424242"}),
            "paymentToken must be",
        ),
        (
            json!({"items": "prod-001", "shipping": ship}),
            "invalid type",
        ),
    ];
    for (body, expected) in cases {
        let text = body.to_string();
        let (status, json) = call(
            &svc,
            Method::POST,
            "/api/orders",
            Some(&text),
            Some(&alice()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text:.120}");
        let message = json["error"].as_str().unwrap();
        assert!(message.contains(expected), "{text:.120} -> {message}");
    }
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/orders",
        Some("{not json"),
        Some(&alice()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["error"]
        .as_str()
        .unwrap()
        .starts_with("invalid JSON body"));
    assert!(world.orders.all().is_empty());
    assert!(world.workflow.started().is_empty());
}

#[tokio::test]
async fn a_missing_payment_token_pays_with_the_default_test_card() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let body = json!({"items": [{"productId": "prod-008", "quantity": 1}], "shipping": {"address": "1 A St", "city": "SF", "state": "CA", "zip": "94102"}}).to_string();
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/orders",
        Some(&body),
        Some(&alice()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let stored = world
        .orders
        .get(json["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.payment_token, "tok_visa");
}

#[tokio::test]
async fn a_stripe_payment_method_id_is_a_payment_token() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let body = json!({"items": [{"productId": "prod-008", "quantity": 1}], "shipping": {"address": "1 A St", "city": "SF", "state": "CA", "zip": "94102"}, "paymentToken": "pm_card_visa"}).to_string();
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/orders",
        Some(&body),
        Some(&alice()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let stored = world
        .orders
        .get(json["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.payment_token, "pm_card_visa");
}

fn with_key(body: &str, key: &str, token: &str) -> Request {
    let mut req = request(Method::POST, "/api/orders", Some(body), Some(token));
    req.headers_mut()
        .insert("idempotency-key", key.parse().unwrap());
    req
}

#[tokio::test]
async fn same_idempotency_key_and_body_returns_the_same_order_once() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let (first_status, first) = send(&svc, with_key(&order_body(), "key-1", &alice())).await;
    let (second_status, second) = send(&svc, with_key(&order_body(), "key-1", &alice())).await;
    assert_eq!(
        (first_status, second_status),
        (StatusCode::CREATED, StatusCode::OK)
    );
    assert_eq!(first["id"], second["id"]);
    assert_eq!(world.orders.all().len(), 1);
    assert_eq!(world.workflow.started().len(), 1);
    assert_eq!(world.publisher.events().len(), 1, "order.created once");
}

#[tokio::test]
async fn same_idempotency_key_with_another_body_is_409() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    send(&svc, with_key(&order_body(), "key-1", &alice())).await;
    let other = order_body().replace("\"quantity\":2", "\"quantity\":3");
    let (status, json) = send(&svc, with_key(&other, "key-1", &alice())).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(json["error"]
        .as_str()
        .unwrap()
        .contains("different request"));
    assert_eq!(world.orders.all().len(), 1);
}

#[tokio::test]
async fn idempotency_keys_are_per_user_and_expire() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let bob = token_for("bob", Role::Customer);
    send(&svc, with_key(&order_body(), "shared-key", &alice())).await;
    let (status, _) = send(&svc, with_key(&order_body(), "shared-key", &bob)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "another user's key is not ours"
    );

    world.clock.advance(chrono::Duration::hours(25));
    let (status, _) = send(&svc, with_key(&order_body(), "shared-key", &alice())).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "an expired key starts a new order"
    );
    assert_eq!(world.orders.all().len(), 3);
}

#[tokio::test]
async fn a_failed_start_with_a_key_is_recovered_by_the_retry() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    world.workflow.fail(true);
    let (status, json) = send(&svc, with_key(&order_body(), "key-9", &alice())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        json["error"],
        "service temporarily unavailable, please retry"
    );
    assert_eq!(world.orders.all()[0].status, OrderStatus::New);

    world.workflow.fail(false);
    let (status, json) = send(&svc, with_key(&order_body(), "key-9", &alice())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        world.workflow.started(),
        vec![json["id"].as_str().unwrap().to_string()]
    );
    assert_eq!(world.orders.all().len(), 1);
}

#[tokio::test]
async fn a_failed_start_without_a_key_closes_the_order_as_failed() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    world.workflow.fail(true);
    let (status, _) = call(
        &svc,
        Method::POST,
        "/api/orders",
        Some(&order_body()),
        Some(&alice()),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let order = &world.orders.all()[0];
    assert_eq!(order.status, OrderStatus::Failed);
    let kinds: Vec<_> = world
        .publisher
        .events()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        vec![LifecycleEventKind::Created, LifecycleEventKind::Failed]
    );
}

#[tokio::test]
async fn an_event_bus_outage_does_not_lose_the_order() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    world.publisher.fail(true);
    place(&svc, &alice()).await;
    assert_eq!(world.workflow.started().len(), 1);
}

#[tokio::test]
async fn lists_only_my_orders_newest_first_and_hides_others() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let first = place(&svc, &alice()).await;
    world.clock.advance(chrono::Duration::minutes(1));
    let second = place(&svc, &alice()).await;
    let bobs = place(&svc, &token_for("bob", Role::Customer)).await;

    let (status, json) = call(&svc, Method::GET, "/api/orders", None, Some(&alice())).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(ids, vec![second["id"].clone(), first["id"].clone()]);

    let path = format!("/api/orders/{}", first["id"].as_str().unwrap());
    let (status, json) = call(&svc, Method::GET, &path, None, Some(&alice())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["timeline"].as_array().unwrap().len(), 1);

    let bob_path = format!("/api/orders/{}", bobs["id"].as_str().unwrap());
    let (status, json) = call(&svc, Method::GET, &bob_path, None, Some(&alice())).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's order looks missing"
    );
    assert!(json["error"].as_str().unwrap().contains("not found"));
    let (status, _) = call(&svc, Method::GET, "/api/orders/nope", None, Some(&alice())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cancel_works_while_cancellable_and_is_422_after() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let placed = place(&svc, &alice()).await;
    let id = placed["id"].as_str().unwrap();
    let now = chrono::Utc::now();
    world
        .orders
        .transition(id, &[OrderStatus::New], OrderStatus::Validating, "t", now)
        .await
        .unwrap();
    world
        .orders
        .transition(
            id,
            &[OrderStatus::Validating],
            OrderStatus::Validated,
            "t",
            now,
        )
        .await
        .unwrap();

    let path = format!("/api/orders/{id}/cancel");
    let (status, json) = call(&svc, Method::POST, &path, None, Some(&alice())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["state"], "cancelled");
    assert_eq!(
        json["data"]["timeline"].as_array().unwrap().last().unwrap()["reason"],
        "cancelled by the customer"
    );
    let kinds: Vec<_> = world
        .publisher
        .events()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        vec![LifecycleEventKind::Created, LifecycleEventKind::Cancelled]
    );

    let (status, json) = call(&svc, Method::POST, &path, None, Some(&alice())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json["error"],
        "order can no longer be cancelled: it is cancelled"
    );

    let paid = place(&svc, &alice()).await;
    let paid_id = paid["id"].as_str().unwrap();
    for (from, to) in [
        (OrderStatus::New, OrderStatus::Validating),
        (OrderStatus::Validating, OrderStatus::Validated),
        (OrderStatus::Validated, OrderStatus::Paying),
        (OrderStatus::Paying, OrderStatus::Paid),
    ] {
        world
            .orders
            .transition(paid_id, &[from], to, "t", now)
            .await
            .unwrap();
    }
    let (status, json) = call(
        &svc,
        Method::POST,
        &format!("/api/orders/{paid_id}/cancel"),
        None,
        Some(&alice()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json["error"],
        "order can no longer be cancelled: it is paid"
    );
    assert_eq!(
        world.orders.get(paid_id).await.unwrap().unwrap().status,
        OrderStatus::Paid
    );
}

#[tokio::test]
async fn nobody_cancels_someone_elses_order() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let placed = place(&svc, &alice()).await;
    let path = format!("/api/orders/{}/cancel", placed["id"].as_str().unwrap());
    let (status, _) = call(
        &svc,
        Method::POST,
        &path,
        None,
        Some(&token_for("mallory", Role::Customer)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(world.orders.all()[0].status, OrderStatus::New);
}

#[tokio::test]
async fn admins_list_all_orders_by_status_customers_cannot() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let a = place(&svc, &alice()).await;
    place(&svc, &token_for("bob", Role::Customer)).await;
    let id = a["id"].as_str().unwrap();
    world
        .orders
        .transition(
            id,
            &[OrderStatus::New],
            OrderStatus::Cancelled,
            "t",
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let admin = token_for("root", Role::Admin);
    let (status, json) = call(&svc, Method::GET, "/api/admin/orders", None, Some(&admin)).await;
    assert_eq!(
        (status, json.as_array().unwrap().len()),
        (StatusCode::OK, 2)
    );
    let (_, json) = call(
        &svc,
        Method::GET,
        "/api/admin/orders?status=cancelled",
        None,
        Some(&admin),
    )
    .await;
    let ids: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![id.to_string()]);
    let (status, json) = call(
        &svc,
        Method::GET,
        "/api/admin/orders?status=lost",
        None,
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["error"]
        .as_str()
        .unwrap()
        .contains("one of: new, validating"));
    let (status, _) = call(
        &svc,
        Method::GET,
        "/api/admin/orders?limit=0",
        None,
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, json) = call(&svc, Method::GET, "/api/admin/orders", None, Some(&alice())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(json["error"], "admin role required");
}

#[tokio::test]
async fn expired_or_forged_tokens_are_401() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    // The same kid as the test keys, signed with another key.
    let forged = shared::auth::Tokens::new(
        shared::auth::KeyRing::single("test", b"not-the-real-key-not-the-real-key!"),
        "serverless-store",
        "serverless-store-api",
    )
    .unwrap()
    .issue(
        &shared::domain::User::new(
            "alice",
            "a@example.com",
            "A",
            String::new(),
            chrono::Utc::now(),
        )
        .with_role(Role::Admin),
        None,
        chrono::Utc::now(),
    )
    .unwrap();
    let (status, json) = call(&svc, Method::GET, "/api/orders", None, Some(&forged)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["error"], "missing or invalid token");
}

#[tokio::test]
async fn an_idempotency_key_that_is_not_printable_ascii_is_400_never_ignored() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    for key in [
        lambda_http::http::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        lambda_http::http::HeaderValue::from_bytes(b"tab\there").unwrap(),
        "x".repeat(256).parse().unwrap(),
        "   ".parse().unwrap(),
    ] {
        let mut req = request(
            Method::POST,
            "/api/orders",
            Some(&order_body()),
            Some(&alice()),
        );
        req.headers_mut().insert("idempotency-key", key.clone());
        let (status, json) = send(&svc, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key:?}: {json}");
        assert!(json["error"].as_str().unwrap().contains("printable ASCII"));
    }
    assert!(
        world.orders.all().is_empty(),
        "no order placed without its key"
    );
    let (status, _) = send(
        &svc,
        with_key(&order_body(), "a key with spaces ~!", &alice()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_order_id_no_store_would_take_is_400() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let long = "o".repeat(2100);
    for (method, path) in [
        (Method::GET, format!("/api/orders/{long}")),
        (Method::POST, format!("/api/orders/{long}/cancel")),
        (Method::GET, "/api/orders/a.b".to_string()),
    ] {
        let (status, json) = call(&svc, method, &path, None, Some(&alice())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path:.40}: {json}");
    }
}

/// The seed store's order page reads the processing details flat in
/// `data`: a delivered, a declined and a shipping-failed order.
#[tokio::test]
async fn the_order_view_carries_the_flat_fields_the_seed_store_reads() {
    use shared::domain::{OrderRecord, PaymentDetails, ShipmentDetails};
    let world = MemoryWorld::default();
    let svc = service(&world);
    let now = chrono::Utc::now();
    let path = [
        OrderStatus::Validating,
        OrderStatus::Validated,
        OrderStatus::Paying,
    ];
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = place(&svc, &alice()).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        for next in path {
            world
                .orders
                .transition(
                    &id,
                    &[
                        OrderStatus::ALL[0],
                        OrderStatus::Validating,
                        OrderStatus::Validated,
                    ],
                    next,
                    "t",
                    now,
                )
                .await
                .unwrap();
        }
        ids.push(id);
    }
    let payment = OrderRecord::Payment(PaymentDetails {
        transaction_id: "txn_123".into(),
        last4: "4444".into(),
    });
    let shipment = OrderRecord::Shipment(ShipmentDetails {
        carrier: "UPS".into(),
        tracking_number: "1Z999".into(),
        estimated_delivery: "2026-12-05".into(),
    });
    // Delivered: paid, shipped, delivered.
    let delivered = &ids[0];
    world
        .orders
        .transition_keeping(
            delivered,
            &[OrderStatus::Paying],
            OrderStatus::Paid,
            "t",
            now,
            Some(&payment),
        )
        .await
        .unwrap();
    world
        .orders
        .transition(
            delivered,
            &[OrderStatus::Paid],
            OrderStatus::Shipping,
            "t",
            now,
        )
        .await
        .unwrap();
    world
        .orders
        .transition_keeping(
            delivered,
            &[OrderStatus::Shipping],
            OrderStatus::Shipped,
            "t",
            now,
            Some(&shipment),
        )
        .await
        .unwrap();
    world
        .orders
        .transition(
            delivered,
            &[OrderStatus::Shipped],
            OrderStatus::Delivered,
            "t",
            now,
        )
        .await
        .unwrap();
    // Declined, then given up.
    let declined = &ids[1];
    world
        .orders
        .transition(
            declined,
            &[OrderStatus::Paying],
            OrderStatus::PaymentFailed,
            "t",
            now,
        )
        .await
        .unwrap();
    let mut failed = world.orders.get(declined).await.unwrap().unwrap();
    failed.status = OrderStatus::Failed;
    failed.failure_reason = Some("payment declined: card_declined".into());
    world.orders.put(failed);
    // Paid, then shipping gave up.
    let unshipped = &ids[2];
    world
        .orders
        .transition_keeping(
            unshipped,
            &[OrderStatus::Paying],
            OrderStatus::Paid,
            "t",
            now,
            Some(&payment),
        )
        .await
        .unwrap();
    let mut failed = world.orders.get(unshipped).await.unwrap().unwrap();
    failed.status = OrderStatus::Failed;
    failed.failure_reason = Some("shipping failed: undeliverable zip".into());
    world.orders.put(failed);

    let data = data_of(&svc, delivered).await;
    assert_eq!(data["transaction_id"], "txn_123");
    assert_eq!(data["last4"], "4444");
    assert_eq!(data["tracking_number"], "1Z999");
    assert_eq!(data["carrier"], "UPS");
    assert_eq!(data["estimated_delivery"], "2026-12-05");
    assert!(data.get("error").is_none());
    assert_eq!(
        data["payment"]["transactionId"], "txn_123",
        "the nested ones stay"
    );
    let data = data_of(&svc, declined).await;
    assert_eq!(data["error"], "payment declined: card_declined");
    assert!(data.get("transaction_id").is_none() && data.get("tracking_number").is_none());
    let data = data_of(&svc, unshipped).await;
    assert_eq!(data["error"], "shipping failed: undeliverable zip");
    assert_eq!(data["last4"], "4444");
    assert!(data.get("tracking_number").is_none());
}

async fn data_of(svc: &OrdersService, id: &str) -> Value {
    let (status, json) = call(
        svc,
        Method::GET,
        &format!("/api/orders/{id}"),
        None,
        Some(&alice()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    json["data"].clone()
}

#[tokio::test]
async fn one_orders_page_says_where_its_payment_stands_from_the_ledger() {
    use shared::ports::{Charge, PaymentLedger};
    let world = MemoryWorld::default();
    let svc = service(&world);
    let id = place(&svc, &alice()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        data_of(&svc, &id).await.get("paymentState").is_none(),
        "nothing held yet"
    );
    let charge = Charge {
        transaction_id: "pi_1".into(),
        last4: "4242".into(),
        amount: shared::domain::Money::from_cents(100),
    };
    world
        .payments
        .record_authorization(&id, &charge)
        .await
        .unwrap();
    assert_eq!(data_of(&svc, &id).await["paymentState"], "authorized");
    world
        .payments
        .settle(&id, shared::ports::PaymentState::Charged)
        .await
        .unwrap();
    assert_eq!(data_of(&svc, &id).await["paymentState"], "charged");
}
