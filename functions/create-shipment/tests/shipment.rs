use create_shipment::CreateShipment;
use lambda_runtime::{Context, LambdaEvent};
use shared::adapters::carrier_sim::{SimulatedCarrier, UNDELIVERABLE_ZIP};
use shared::adapters::memory::MemoryWorld;
use shared::domain::*;
use shared::ports::OrderStore;
use shared::step::{handle, StepInput};
use std::sync::Arc;

fn step(world: &MemoryWorld) -> CreateShipment {
    CreateShipment {
        orders: world.orders.clone(),
        carrier: Arc::new(SimulatedCarrier),
    }
}

fn event(order_id: &str) -> LambdaEvent<StepInput> {
    LambdaEvent::new(
        StepInput {
            order_id: order_id.into(),
            correlation_id: None,
        },
        Context::default(),
    )
}

async fn order_to(world: &MemoryWorld, id: &str, zip: &str) {
    let order = Order::place(NewOrder {
        id: id.into(),
        user_id: "u".into(),
        items: vec![OrderLine {
            product_id: "prod-008".into(),
            name: "IDE".into(),
            quantity: 1,
            unit_price: Money::from_cents(999),
            line_total: Money::from_cents(999),
        }],
        shipping: ShippingAddress {
            address: "1 Main".into(),
            city: "SF".into(),
            state: "CA".into(),
            zip: zip.into(),
        },
        payment_token: "tok_visa".into(),
        correlation_id: "c".into(),
        now: "2026-11-21T10:00:00Z".parse().unwrap(),
    })
    .unwrap();
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
