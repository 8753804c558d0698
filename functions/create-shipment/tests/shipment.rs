use create_shipment::CreateShipment;
use shared::adapters::carrier_sim::{SimulatedCarrier, UNDELIVERABLE_ZIP};
use shared::adapters::memory::{sample_order, MemoryWorld};
use shared::ports::OrderStore;
use shared::step::{event_for as event, handle};
use std::sync::Arc;

fn step(world: &MemoryWorld) -> CreateShipment {
    CreateShipment {
        orders: world.orders.clone(),
        carrier: Arc::new(SimulatedCarrier),
    }
}

async fn order_to(world: &MemoryWorld, id: &str, zip: &str) {
    let order = sample_order(id, &[("prod-008", 1, 999)], zip, "tok_visa");
    world.orders.create(&order).await.unwrap();
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
