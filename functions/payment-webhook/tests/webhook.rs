use async_trait::async_trait;
use lambda_http::http::{Method, StatusCode};
use payment_webhook::{PaymentWebhook, SIGNATURE_HEADER};
use serde_json::{json, Value};
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::domain::{LifecycleEventKind, Money, OrderStatus};
use shared::http::testing::{body_json, request};
use shared::http::Api;
use shared::ports::{Clock, OrderStore, PaymentError, PaymentReconciler, Reconciled, Refund};
use shared::webhook::sign;
use std::sync::{Arc, Mutex};

const SECRET: &[u8] = b"whsec_test";

/// Answers as Stripe's API and the ledger would for a refunded order-1,
/// and keeps what it was asked.
#[derive(Default)]
struct Reconciler {
    asked: Mutex<Vec<String>>,
}

#[async_trait]
impl PaymentReconciler for Reconciler {
    async fn refunded(&self, intent_id: &str) -> Result<Reconciled, PaymentError> {
        self.asked
            .lock()
            .unwrap()
            .push(format!("refunded {intent_id}"));
        Ok(Reconciled::Refunded {
            order_id: "order-1".into(),
            refund: Refund {
                refund_id: "re_1".into(),
                amount: Money::from_cents(999),
            },
        })
    }

    async fn cancelled(&self, intent_id: &str) -> Result<Reconciled, PaymentError> {
        self.asked
            .lock()
            .unwrap()
            .push(format!("cancelled {intent_id}"));
        // pi_2: order-1's hold, cancelled in Stripe; pi_1 is no hold of ours.
        Ok(if intent_id == "pi_2" {
            Reconciled::Voided {
                order_id: "order-1".into(),
            }
        } else {
            Reconciled::Nothing
        })
    }
}

async fn service(world: &MemoryWorld) -> (PaymentWebhook, Arc<Reconciler>) {
    let order = sample_order("order-1", &[("prod-008", 1, 999)], "94102", "tok_visa");
    world
        .orders
        .create(&along_happy_path(order, OrderStatus::Shipped))
        .await
        .unwrap();
    let reconciler = Arc::new(Reconciler::default());
    let svc = PaymentWebhook {
        reconciler: reconciler.clone(),
        orders: world.orders.clone(),
        events: world.idempotency.clone(),
        publisher: world.publisher.clone(),
        secret: SECRET.to_vec(),
        clock: world.clock.clone(),
        allowed_origin: "*".into(),
    };
    (svc, reconciler)
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({"id": id, "object": "event", "type": kind, "data": {"object": object}}).to_string()
}

fn refunded(id: &str) -> String {
    event(
        id,
        "charge.refunded",
        json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 999}),
    )
}

async fn post(svc: &PaymentWebhook, body: &str, signature: &str) -> (StatusCode, Value) {
    let mut req = request(
        Method::POST,
        "/api/payments/stripe/webhook",
        Some(body),
        None,
    );
    req.headers_mut()
        .insert(SIGNATURE_HEADER, signature.parse().unwrap());
    let response = svc.handle(req).await;
    (response.status(), body_json(&response))
}

fn now(world: &MemoryWorld) -> i64 {
    world.clock.now().timestamp()
}

#[tokio::test]
async fn a_refund_made_in_stripe_goes_on_the_timeline_and_the_bus_once() {
    let world = MemoryWorld::default();
    let (svc, reconciler) = service(&world).await;
    let body = refunded("evt_1");
    let signature = sign(SECRET, body.as_bytes(), now(&world));
    let (status, json) = post(&svc, &body, &signature).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "recorded"}))
    );
    assert_eq!(*reconciler.asked.lock().unwrap(), ["refunded pi_1"]);
    let order = world.orders.get("order-1").await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Shipped, "the status stays");
    let last = order.timeline.last().unwrap();
    assert_eq!(
        (last.status, last.reason.as_str()),
        (
            OrderStatus::Shipped,
            "payment refunded in Stripe (re_1, $9.99)"
        )
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::PaymentRefunded);
    assert_eq!(events[0].1.event_id, "stripe-evt_1");
    assert_eq!(events[0].1.status, OrderStatus::Shipped);

    let noted = order.timeline.len();
    let (status, json) = post(&svc, &body, &signature).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "already processed"})),
        "a replayed event changes nothing"
    );
    let order = world.orders.get("order-1").await.unwrap().unwrap();
    assert_eq!(order.timeline.len(), noted);
    assert_eq!(world.publisher.events().len(), 1);
    assert_eq!(reconciler.asked.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_hold_cancelled_in_stripe_goes_on_the_timeline_and_the_bus() {
    let world = MemoryWorld::default();
    let (svc, _) = service(&world).await;
    let body = event("evt_2", "payment_intent.canceled", json!({"id": "pi_2"}));
    let (status, json) = post(&svc, &body, &sign(SECRET, body.as_bytes(), now(&world))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "recorded"}))
    );
    let order = world.orders.get("order-1").await.unwrap().unwrap();
    assert_eq!(
        order.timeline.last().unwrap().reason,
        "payment authorisation cancelled in Stripe"
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::PaymentVoided);
    assert_eq!(events[0].1.event_id, "stripe-evt_2");
}

#[tokio::test]
async fn a_bad_or_stale_signature_is_400_and_changes_nothing() {
    let world = MemoryWorld::default();
    let (svc, reconciler) = service(&world).await;
    let body = refunded("evt_1");
    let wrong_key = sign(b"whsec_other", body.as_bytes(), now(&world));
    let stale = sign(SECRET, body.as_bytes(), now(&world) - 301);
    let other_body = sign(SECRET, refunded("evt_2").as_bytes(), now(&world));
    for signature in [
        wrong_key.as_str(),
        stale.as_str(),
        other_body.as_str(),
        "t=1,v1=zz",
        "garbage",
    ] {
        let (status, json) = post(&svc, &body, signature).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{signature}: {json}");
        assert_eq!(json, json!({"error": "invalid Stripe-Signature"}));
    }
    assert!(reconciler.asked.lock().unwrap().is_empty());
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn unknown_event_types_are_200_and_ignored_and_malformed_events_400() {
    let world = MemoryWorld::default();
    let (svc, reconciler) = service(&world).await;
    let body = event("evt_9", "customer.created", json!({"id": "cus_1"}));
    let (status, json) = post(&svc, &body, &sign(SECRET, body.as_bytes(), now(&world))).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "ignored"}))
    );

    let cancelled = event("evt_10", "payment_intent.canceled", json!({"id": "pi_1"}));
    let signature = sign(SECRET, cancelled.as_bytes(), now(&world));
    let (status, json) = post(&svc, &cancelled, &signature).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "nothing to change"}))
    );

    for body in [
        "{}",
        "not json",
        r#"{"id":"","type":"charge.refunded","data":{"object":{}}}"#,
    ] {
        let (status, _) = post(&svc, body, &sign(SECRET, body.as_bytes(), now(&world))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(*reconciler.asked.lock().unwrap(), ["cancelled pi_1"]);
    assert!(world.publisher.events().is_empty());
}
