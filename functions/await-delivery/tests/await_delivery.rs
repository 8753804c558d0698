use await_delivery::{AwaitDelivery, AwaitInput};
use lambda_runtime::{Context, LambdaEvent};
use shared::adapters::memory::MemoryWorld;
use shared::ports::{DeliveryState, ShipmentStore};
use shared::step::handle;

fn step(world: &MemoryWorld) -> AwaitDelivery {
    AwaitDelivery {
        shipments: world.shipments.clone(),
        carrier: world.dispatch.clone(),
        tasks: world.tasks.clone(),
        clock: world.clock.clone(),
    }
}

fn event(token: &str) -> LambdaEvent<AwaitInput> {
    let payload = serde_json::from_value(serde_json::json!({
        "orderId": "o1", "correlationId": "c1", "trackingNumber": "1ZABC", "taskToken": token,
        "eventId": "event-delivered"
    }))
    .unwrap();
    LambdaEvent::new(payload, Context::default())
}

#[tokio::test]
async fn stores_the_token_then_hands_the_parcel_to_the_carrier() {
    let world = MemoryWorld::default();
    let out = handle(&step(&world), event("token-1")).await.unwrap();
    assert_eq!(
        (out.order_id.as_str(), out.tracking_number.as_str()),
        ("o1", "1ZABC")
    );
    let stored = world.shipments.get("1ZABC").await.unwrap().unwrap();
    assert_eq!(
        (stored.task_token.as_str(), stored.state),
        ("token-1", DeliveryState::Awaiting)
    );
    assert_eq!(
        stored.delivered_event_id.as_deref(),
        Some("event-delivered"),
        "the webhook publishes order.delivered with the machine's id"
    );
    assert_eq!(world.dispatch.dispatched(), vec![stored]);
}

#[tokio::test]
async fn a_carrier_outage_is_transient_and_the_retry_refreshes_the_token() {
    let world = MemoryWorld::default();
    let s = step(&world);
    world.dispatch.fail(true);
    assert_eq!(
        handle(&s, event("token-1")).await.unwrap_err().error_type(),
        "Transient"
    );
    world.dispatch.fail(false);
    handle(&s, event("token-2")).await.unwrap();
    assert_eq!(
        world
            .shipments
            .get("1ZABC")
            .await
            .unwrap()
            .unwrap()
            .task_token,
        "token-2"
    );
}

/// The first call's webhook went through but its answer was lost, and the
/// machine retried with a new token no webhook will complete.
#[tokio::test]
async fn a_retry_after_the_carrier_reported_completes_its_own_token() {
    let world = MemoryWorld::default();
    let s = step(&world);
    handle(&s, event("token-1")).await.unwrap();
    let delivered_at: chrono::DateTime<chrono::Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
    world
        .shipments
        .complete("1ZABC", DeliveryState::Delivered, delivered_at)
        .await
        .unwrap();
    handle(&s, event("token-2")).await.unwrap();
    let stored = world.shipments.get("1ZABC").await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.task_token.as_str()),
        (DeliveryState::Delivered, "token-1"),
        "not reopened"
    );
    assert_eq!(
        world.tasks.completed(),
        vec![(
            "token-2".to_string(),
            Ok(serde_json::json!({"orderId": "o1", "deliveredAt": delivered_at.to_rfc3339()}))
        )]
    );
    assert_eq!(
        world.dispatch.dispatched().len(),
        1,
        "not handed to the carrier again"
    );
}

#[tokio::test]
async fn a_retry_after_the_carrier_gave_up_fails_its_own_token() {
    let world = MemoryWorld::default();
    let s = step(&world);
    handle(&s, event("token-1")).await.unwrap();
    world
        .shipments
        .complete("1ZABC", DeliveryState::Failed, chrono::Utc::now())
        .await
        .unwrap();
    handle(&s, event("token-2")).await.unwrap();
    let completed = world.tasks.completed();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].0, "token-2");
    assert_eq!(completed[0].1.as_ref().unwrap_err().0, "DeliveryFailed");
}

#[test]
fn input_needs_the_token_and_tracking_number() {
    let missing = serde_json::json!({"orderId": "o1", "trackingNumber": "1Z"});
    assert!(serde_json::from_value::<AwaitInput>(missing).is_err());
}
