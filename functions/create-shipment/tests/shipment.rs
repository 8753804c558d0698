use create_shipment::CreateShipment;
use shared::adapters::carrier_sim::{SimulatedCarrier, UNDELIVERABLE_ZIP};
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::domain::{LifecycleEventKind, OrderStatus};
use shared::milestone::MilestoneInput;
use shared::ports::{OrderStore, PaymentState};
use shared::step::handle;
use std::sync::Arc;

fn step(world: &MemoryWorld) -> CreateShipment {
    CreateShipment {
        progress: world.progress(),
        carrier: Arc::new(SimulatedCarrier),
        gateway: world.gateway(),
    }
}

fn payment_state(world: &MemoryWorld, id: &str) -> PaymentState {
    world.payments.record(id).unwrap().state
}

fn event(order_id: &str) -> lambda_runtime::LambdaEvent<MilestoneInput> {
    MilestoneInput::event(order_id, "event-shipped", 1)
}

/// A paid order (its total authorised), as the state machine hands it to
/// the step.
async fn order_to(world: &MemoryWorld, id: &str, zip: &str) {
    let order = sample_order(id, &[("prod-008", 1, 999)], zip, "tok_visa");
    world.authorise(id, order.total).await;
    world
        .orders
        .create(&along_happy_path(order, OrderStatus::Paid))
        .await
        .unwrap();
}

#[tokio::test]
async fn returns_carrier_tracking_and_eta_the_same_on_retry() {
    let world = MemoryWorld::default();
    order_to(&world, "o1", "94102").await;
    let s = step(&world);
    let shipped = handle(&s, event("o1")).await.unwrap();
    assert!(["UPS", "FedEx", "USPS"].contains(&shipped.carrier.as_str()));
    assert!(shipped.tracking_number.starts_with("1Z") && shipped.tracking_number.len() == 18);
    assert_eq!(shipped.estimated_delivery, "2026-11-24");
    let order = world.orders.get("o1").await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Shipped);
    let shipment = order.shipment.unwrap();
    assert_eq!(shipment.tracking_number, shipped.tracking_number);
    assert_eq!(shipment.carrier, shipped.carrier);
    let statuses: Vec<_> = order.timeline.iter().map(|e| e.status).collect();
    assert!(statuses.ends_with(&[OrderStatus::Shipping, OrderStatus::Shipped]));
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::Shipped);
    assert_eq!(events[0].1.event_id, "event-shipped");
    assert_eq!(
        payment_state(&world, "o1"),
        PaymentState::Charged,
        "captured once the label is bought"
    );
    assert!(order
        .timeline
        .last()
        .unwrap()
        .reason
        .contains("payment captured (txn_"));
    assert_eq!(
        handle(&s, event("o1")).await.unwrap(),
        shipped,
        "one label per order"
    );

    order_to(&world, "o2", "94102").await;
    let other = handle(&s, event("o2")).await.unwrap();
    assert_ne!(other.tracking_number, shipped.tracking_number);
}

#[tokio::test]
async fn the_undeliverable_zip_fails_as_shipping_failed() {
    let world = MemoryWorld::default();
    order_to(&world, "o1", UNDELIVERABLE_ZIP).await;
    let err = handle(&step(&world), event("o1")).await.unwrap_err();
    assert_eq!(err.error_type(), "ShippingFailed");
    assert!(err.to_string().contains(UNDELIVERABLE_ZIP));
    let order = world.orders.get("o1").await.unwrap().unwrap();
    assert_eq!(
        order.status,
        OrderStatus::Shipping,
        "the machine records the failure"
    );
    assert!(world.publisher.events().is_empty());
    assert_eq!(
        payment_state(&world, "o1"),
        PaymentState::Authorized,
        "no label, no capture"
    );
}

#[tokio::test]
async fn an_order_not_paid_is_order_moved() {
    let world = MemoryWorld::default();
    let order = sample_order("o1", &[("prod-008", 1, 999)], "94102", "tok_visa");
    world
        .orders
        .create(&along_happy_path(order, OrderStatus::Validated))
        .await
        .unwrap();
    let err = handle(&step(&world), event("o1")).await.unwrap_err();
    assert_eq!(err.error_type(), "OrderMoved");
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn an_unknown_order_is_order_not_found() {
    let world = MemoryWorld::default();
    assert_eq!(
        handle(&step(&world), event("nope"))
            .await
            .unwrap_err()
            .error_type(),
        "OrderNotFound"
    );
}
