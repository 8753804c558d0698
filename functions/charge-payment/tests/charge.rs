use charge_payment::ChargePayment;
use shared::adapters::memory::{sample_order, MemoryWorld};
use shared::adapters::payment_sim::SimulatedGateway;
use shared::ports::{OrderStore, PaymentState};
use shared::step::{event_for as event, handle};
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

async fn order_paying_with(world: &MemoryWorld, id: &str, token: &str) {
    let order = sample_order(id, &[("prod-001", 2, 14999)], "94102", token);
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
