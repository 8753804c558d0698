use await_delivery::{AwaitDelivery, AwaitInput};
use lambda_runtime::{Context, LambdaEvent};
use shared::adapters::memory::MemoryWorld;
use shared::ports::{DeliveryState, ShipmentStore};
use shared::step::handle;

fn step(world: &MemoryWorld) -> AwaitDelivery {
    AwaitDelivery {
        shipments: world.shipments.clone(),
        carrier: world.dispatch.clone(),
        clock: world.clock.clone(),
    }
}

fn event(token: &str) -> LambdaEvent<AwaitInput> {
    let payload = serde_json::from_value(serde_json::json!({
        "orderId": "o1", "correlationId": "c1", "trackingNumber": "1ZABC", "taskToken": token
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

#[tokio::test]
async fn a_completed_delivery_is_not_reopened() {
    let world = MemoryWorld::default();
    let s = step(&world);
    handle(&s, event("token-1")).await.unwrap();
    world
        .shipments
        .complete("1ZABC", DeliveryState::Delivered, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        handle(&s, event("token-2")).await.unwrap_err().error_type(),
        "Internal"
    );
    assert_eq!(
        world.shipments.get("1ZABC").await.unwrap().unwrap().state,
        DeliveryState::Delivered
    );
}

#[test]
fn input_needs_the_token_and_tracking_number() {
    let missing = serde_json::json!({"orderId": "o1", "trackingNumber": "1Z"});
    assert!(serde_json::from_value::<AwaitInput>(missing).is_err());
}
