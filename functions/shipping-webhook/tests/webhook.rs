use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::http::testing::{body_json, request};
use shared::ports::{AwaitedDelivery, DeliveryState, ShipmentStore};
use shared::webhook::{sign, SIGNATURE_HEADER};
use shipping_webhook::ShippingWebhook;

const SECRET: &[u8] = b"webhook-secret";

fn service(world: &MemoryWorld) -> ShippingWebhook {
    ShippingWebhook {
        shipments: world.shipments.clone(),
        tasks: world.tasks.clone(),
        secret: SECRET.to_vec(),
        clock: world.clock.clone(),
        allowed_origin: "*".into(),
    }
}

async fn awaiting(world: &MemoryWorld, tracking: &str, token: &str) {
    world
        .shipments
        .register(&AwaitedDelivery {
            tracking_number: tracking.into(),
            order_id: "o1".into(),
            task_token: token.into(),
            state: DeliveryState::Awaiting,
            registered_at: chrono::Utc::now(),
            completed_at: None,
        })
        .await
        .unwrap();
}

fn delivered(tracking: &str) -> String {
    json!({"trackingNumber": tracking, "status": "delivered", "occurredAt": "2026-11-22T09:30:00Z"})
        .to_string()
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
async fn a_signed_delivery_completes_the_task_once() {
    let world = MemoryWorld::default();
    awaiting(&world, "1ZABC", "token-1").await;
    let svc = service(&world);
    let body = delivered("1ZABC");
    let (status, json) = post(&svc, &body, Some(sign(SECRET, body.as_bytes()))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "accepted"}))
    );
    assert_eq!(
        world.tasks.completed(),
        vec![(
            "token-1".to_string(),
            Ok(json!({"orderId": "o1", "deliveredAt": "2026-11-22T09:30:00Z"}))
        )]
    );
    let (status, json) = post(&svc, &body, Some(sign(SECRET, body.as_bytes()))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "already recorded"}))
    );
    assert_eq!(
        world.tasks.completed().len(),
        1,
        "a repeated webhook completes nothing twice"
    );
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
        Some(sign(b"wrong-secret", body.as_bytes())),
        Some(sign(SECRET, b"another body")),
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
    let body = json!({"trackingNumber": "1ZABC", "status": "exception", "occurredAt": "2026-11-22T09:30:00Z", "detail": "parcel damaged"}).to_string();
    let (status, _) = post(&service(&world), &body, Some(sign(SECRET, body.as_bytes()))).await;
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
    let (status, json) = post(&svc, &body, Some(sign(SECRET, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"], "unknown tracking number 1ZNOPE");
    let bad =
        r#"{"trackingNumber":"1Z","status":"teleported","occurredAt":"2026-11-22T09:30:00Z"}"#;
    let (status, json) = post(&svc, bad, Some(sign(SECRET, bad.as_bytes()))).await;
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
    let (status, _) = post(&svc, &body, Some(sign(SECRET, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::CONFLICT);

    world.tasks.fail(true);
    let body = delivered("1ZDOWN");
    let (status, _) = post(&svc, &body, Some(sign(SECRET, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        world.shipments.get("1ZDOWN").await.unwrap().unwrap().state,
        DeliveryState::Awaiting
    );
    world.tasks.fail(false);
    let (status, _) = post(&svc, &body, Some(sign(SECRET, body.as_bytes()))).await;
    assert_eq!(status, StatusCode::OK, "the carrier's retry completes it");
    assert_eq!(world.tasks.completed().len(), 1);
}
