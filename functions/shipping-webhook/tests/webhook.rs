use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::domain::{LifecycleEventKind, OrderStatus};
use shared::http::testing::{body_json, request};
use shared::http::Api;
use shared::ports::{AwaitedDelivery, DeliveryState, OrderStore, ShipmentStore};
use shared::webhook::{sign, SIGNATURE_HEADER};
use shipping_webhook::ShippingWebhook;

const SECRET: &[u8] = b"webhook-secret";

fn service(world: &MemoryWorld) -> ShippingWebhook {
    ShippingWebhook {
        shipments: world.shipments.clone(),
        events: world.idempotency.clone(),
        tasks: world.tasks.clone(),
        progress: world.progress(),
        secret: SECRET.to_vec(),
        clock: world.clock.clone(),
        allowed_origin: "*".into(),
    }
}

/// A shipped order `order-<tracking>` whose delivery the machine awaits
/// with `token`; await-delivery recorded the order.delivered event id.
async fn awaiting(world: &MemoryWorld, tracking: &str, token: &str) {
    awaiting_with(world, tracking, token, Some(format!("event-{tracking}"))).await;
}

async fn awaiting_with(world: &MemoryWorld, tracking: &str, token: &str, event_id: Option<String>) {
    let order_id = format!("order-{tracking}");
    let order = sample_order(&order_id, &[("prod-008", 1, 999)], "94102", "tok_visa");
    world
        .orders
        .create(&along_happy_path(order, OrderStatus::Shipped))
        .await
        .unwrap();
    world
        .shipments
        .register(&AwaitedDelivery {
            tracking_number: tracking.into(),
            order_id,
            task_token: token.into(),
            state: DeliveryState::Awaiting,
            registered_at: chrono::Utc::now(),
            completed_at: None,
            delivered_event_id: event_id,
        })
        .await
        .unwrap();
}

async fn status_of(world: &MemoryWorld, tracking: &str) -> OrderStatus {
    let order = world
        .orders
        .get(&format!("order-{tracking}"))
        .await
        .unwrap();
    order.unwrap().status
}

/// The carrier's report of a delivery (one event id per parcel: a retry
/// of the report is the same report).
fn delivered(tracking: &str) -> String {
    json!({"eventId": format!("evt-{tracking}"), "trackingNumber": tracking, "status": "delivered", "occurredAt": "2026-11-22T09:30:00Z"})
        .to_string()
}

fn unix(world: &MemoryWorld) -> i64 {
    shared::ports::Clock::now(world.clock.as_ref()).timestamp()
}

/// The signature the carrier sends now.
fn signed(world: &MemoryWorld, body: &[u8]) -> String {
    sign(SECRET, body, unix(world))
}

async fn post(svc: &ShippingWebhook, body: &str, signature: Option<String>) -> (StatusCode, Value) {
    let mut req = request(Method::POST, "/api/shipping/webhook", Some(body), None);
    if let Some(sig) = signature {
        req.headers_mut()
            .insert(SIGNATURE_HEADER, sig.parse().unwrap());
    }
    let response = svc.handle(req).await;
    (response.status(), body_json(&response))
}

#[tokio::test]
async fn a_signed_delivery_marks_the_order_delivered_and_completes_the_task_once() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZABC", "token-1").await;
    let svc = service(&world);
    let body = delivered("1ZABC");
    let (status, json) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "accepted"}))
    );
    let order = world.orders.get("order-1ZABC").await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Delivered);
    let last = order.timeline.last().unwrap();
    assert_eq!(
        (last.status, last.reason.as_str()),
        (OrderStatus::Delivered, "the carrier confirmed delivery")
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::Delivered);
    assert_eq!(events[0].1.event_id, "event-1ZABC");
    assert_eq!(
        world.tasks.completed(),
        vec![(
            "token-1".to_string(),
            Ok(json!({"orderId": "order-1ZABC", "deliveredAt": "2026-11-22T09:30:00Z"}))
        )]
    );
    let (status, json) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "already processed"})),
        "the same report again"
    );
    let another = delivered("1ZABC").replace("evt-1ZABC", "evt-1ZABC-2");
    let (status, json) = post(&svc, &another, Some(signed(&world, another.as_bytes()))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "already recorded"})),
        "another report of the same delivery"
    );
    assert_eq!(
        world.tasks.completed().len(),
        1,
        "a repeated webhook completes nothing twice"
    );
    assert_eq!(world.publisher.events().len(), 1, "nor publishes twice");
}

/// An execution whose definition writes delivered in the machine
/// (MarkDelivered) registers no event id: the webhook leaves the order alone.
#[tokio::test]
async fn a_delivery_awaited_without_an_event_id_leaves_the_order_to_the_machine() {
    let world = MemoryWorld::default();
    awaiting_with(&world, "1ZOLD", "token-old", None).await;
    let body = delivered("1ZOLD");
    let (status, _) = post(
        &service(&world),
        &body,
        Some(signed(&world, body.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(world.tasks.completed().len(), 1);
    assert_eq!(status_of(&world, "1ZOLD").await, OrderStatus::Shipped);
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn a_failed_publish_is_503_and_the_carriers_retry_finishes_without_a_second_write() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZPUB", "token-pub").await;
    let svc = service(&world);
    let body = delivered("1ZPUB");
    world.publisher.fail(true);
    let (status, _) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        world.tasks.completed().is_empty(),
        "the machine is not told yet"
    );
    assert_eq!(
        world.shipments.get("1ZPUB").await.unwrap().unwrap().state,
        DeliveryState::Awaiting
    );

    world.publisher.fail(false);
    let (status, _) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::OK);
    let order = world.orders.get("order-1ZPUB").await.unwrap().unwrap();
    let delivered_entries = order
        .timeline
        .iter()
        .filter(|e| e.status == OrderStatus::Delivered)
        .count();
    assert_eq!(delivered_entries, 1, "delivered is written once");
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1.event_id, "event-1ZPUB");
    assert_eq!(world.tasks.completed().len(), 1);
}

#[tokio::test]
async fn a_delivery_for_an_order_that_is_not_shipped_is_409_and_tells_nobody() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZODD", "token-odd").await;
    // An operator closed the order while the carrier still had the parcel.
    let mut order = world.orders.get("order-1ZODD").await.unwrap().unwrap();
    order.status = OrderStatus::Failed;
    world.orders.put(order);
    let body = delivered("1ZODD");
    let (status, json) = post(
        &service(&world),
        &body,
        Some(signed(&world, body.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        json["error"],
        "the order is no longer waiting for this delivery"
    );
    assert!(world.tasks.completed().is_empty());
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn bad_or_missing_signatures_are_401_and_change_nothing() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZABC", "token-1").await;
    let svc = service(&world);
    let body = delivered("1ZABC");
    for signature in [
        None,
        Some("sha256=00".to_string()),
        Some(format!("t={},v1=00", unix(&world))),
        Some(sign(b"wrong-secret", body.as_bytes(), unix(&world))),
        Some(sign(SECRET, b"another body", unix(&world))),
        // Signed by us, but twenty minutes ago: a replay.
        Some(sign(SECRET, body.as_bytes(), unix(&world) - 1200)),
    ] {
        let (status, json) = post(&svc, &body, signature.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{signature:?}");
        assert_eq!(json["error"], "invalid webhook signature");
    }
    assert!(world.tasks.completed().is_empty());
    assert_eq!(
        world.shipments.get("1ZABC").await.unwrap().unwrap().state,
        DeliveryState::Awaiting
    );
}

#[tokio::test]
async fn a_carrier_exception_fails_the_task() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZABC", "token-1").await;
    let body = json!({"eventId": "evt-x", "trackingNumber": "1ZABC", "status": "exception", "occurredAt": "2026-11-22T09:30:00Z", "detail": "parcel damaged"}).to_string();
    let (status, _) = post(
        &service(&world),
        &body,
        Some(signed(&world, body.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        world.tasks.completed(),
        vec![(
            "token-1".to_string(),
            Err(("DeliveryFailed".to_string(), "parcel damaged".to_string()))
        )]
    );
}

#[tokio::test]
async fn unknown_tracking_numbers_and_bad_bodies_are_rejected() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let body = delivered("1ZNOPE");
    let (status, json) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"], "unknown tracking number 1ZNOPE");
    let bad = r#"{"eventId":"e1","trackingNumber":"1Z","status":"teleported","occurredAt":"2026-11-22T09:30:00Z"}"#;
    let (status, json) = post(&svc, bad, Some(signed(&world, bad.as_bytes()))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["error"]
        .as_str()
        .unwrap()
        .contains("unknown variant `teleported`"));
}

#[tokio::test]
async fn a_late_delivery_is_409_and_an_outage_reopens_for_the_retry() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZLATE", "token-late").await;
    awaiting(&world, "1ZDOWN", "token-down").await;
    let svc = service(&world);

    world.tasks.expire("token-late");
    let body = delivered("1ZLATE");
    let (status, _) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The machine flagged it overdue; the carrier's word is still recorded.
    assert_eq!(status_of(&world, "1ZLATE").await, OrderStatus::Delivered);

    world.tasks.fail(true);
    let body = delivered("1ZDOWN");
    let (status, _) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        world.shipments.get("1ZDOWN").await.unwrap().unwrap().state,
        DeliveryState::Awaiting
    );
    world.tasks.fail(false);
    let (status, _) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::OK, "the carrier's retry completes it");
    assert_eq!(world.tasks.completed().len(), 1);
    assert_eq!(status_of(&world, "1ZDOWN").await, OrderStatus::Delivered);
}

#[tokio::test]
async fn a_captured_exception_report_replayed_later_fails_nothing() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZRPL", "token-rpl").await;
    let svc = service(&world);
    let exception = json!({"eventId": "evt-old", "trackingNumber": "1ZRPL", "status": "exception", "occurredAt": "2026-11-22T09:30:00Z"}).to_string();
    // Signed when it was sent, six minutes ago.
    let captured = sign(SECRET, exception.as_bytes(), unix(&world) - 360);
    let (status, _) = post(&svc, &exception, Some(captured)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(world.tasks.completed().is_empty());
    // A report whose event id was processed is not acted on again, even freshly signed.
    let first = delivered("1ZRPL");
    post(&svc, &first, Some(signed(&world, first.as_bytes()))).await;
    let again = exception.replace("evt-old", "evt-1ZRPL");
    let (status, json) = post(&svc, &again, Some(signed(&world, again.as_bytes()))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "already processed"}))
    );
    assert_eq!(world.tasks.completed().len(), 1);
}

#[tokio::test]
async fn a_report_without_a_usable_event_id_is_400() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZEID", "token-eid").await;
    let svc = service(&world);
    for event_id in [json!(""), json!("x".repeat(129)), json!("a b")] {
        let body = json!({"eventId": event_id, "trackingNumber": "1ZEID", "status": "delivered", "occurredAt": "2026-11-22T09:30:00Z"}).to_string();
        let (status, _) = post(&svc, &body, Some(signed(&world, body.as_bytes()))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{event_id}");
    }
    assert!(world.tasks.completed().is_empty());
}
