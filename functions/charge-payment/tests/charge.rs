use charge_payment::ChargePayment;
use lambda_runtime::{Context, LambdaEvent};
use shared::adapters::memory::MemoryWorld;
use shared::adapters::payment_sim::SimulatedGateway;
use shared::domain::*;
use shared::ports::{OrderStore, PaymentState};
use shared::step::{handle, StepInput};
use std::sync::Arc;

fn step(world: &MemoryWorld) -> ChargePayment {
    ChargePayment {
        orders: world.orders.clone(),
        gateway: Arc::new(SimulatedGateway::new(
            world.payments.clone(),
            world.ids.clone(),
            0,
        )),
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

async fn order_paying_with(world: &MemoryWorld, id: &str, token: &str) {
    let order = Order::place(NewOrder {
        id: id.into(),
        user_id: "u".into(),
        items: vec![OrderLine {
            product_id: "prod-001".into(),
            name: "Keyboard".into(),
            quantity: 2,
            unit_price: Money::from_cents(14999),
            line_total: Money::from_cents(29998),
        }],
        shipping: ShippingAddress {
            address: "a".into(),
            city: "c".into(),
            state: "s".into(),
            zip: "94102".into(),
        },
        payment_token: token.into(),
        correlation_id: "c".into(),
        now: chrono::Utc::now(),
    })
    .unwrap();
    world.orders.create(&order).await.unwrap();
}

#[tokio::test]
async fn charges_the_stored_total_once() {
    let world = MemoryWorld::default();
    order_paying_with(&world, "o1", "tok_visa").await;
    let s = step(&world);
    let charged = handle(&s, event("o1")).await.unwrap();
    assert_eq!(charged.amount, 29998);
    assert_eq!(charged.last4, "4242");
    assert!(charged.transaction_id.starts_with("txn_"));
    let again = handle(&s, event("o1")).await.unwrap();
    assert_eq!(again, charged, "the order id is the idempotency key");
    assert_eq!(
        world.payments.record("o1").unwrap().state,
        PaymentState::Charged
    );
}

#[tokio::test]
async fn declines_surface_as_payment_declined_and_charge_nothing() {
    let world = MemoryWorld::default();
    order_paying_with(&world, "o1", "tok_chargeDeclined").await;
    order_paying_with(&world, "o2", "tok_chargeDeclinedInsufficientFunds").await;
    let s = step(&world);
    let e1 = handle(&s, event("o1")).await.unwrap_err();
    let e2 = handle(&s, event("o2")).await.unwrap_err();
    assert_eq!(
        (e1.error_type(), e2.error_type()),
        ("PaymentDeclined", "PaymentDeclined")
    );
    assert!(e2.to_string().contains("insufficient_funds"));
    assert_eq!(world.payments.record("o1"), None);
}

#[tokio::test]
async fn a_processing_error_is_transient_and_the_retry_charges_once() {
    let world = MemoryWorld::default();
    order_paying_with(&world, "o1", "tok_processingError").await;
    let s = step(&world);
    assert_eq!(
        handle(&s, event("o1")).await.unwrap_err().error_type(),
        "Transient"
    );
    let charged = handle(&s, event("o1")).await.unwrap();
    assert_eq!(charged.last4, "0119");
    let record = world.payments.record("o1").unwrap();
    assert_eq!(record.state, PaymentState::Charged);
    assert_eq!(
        record.charge.unwrap().transaction_id,
        charged.transaction_id
    );
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
