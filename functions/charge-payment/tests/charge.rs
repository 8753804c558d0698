use charge_payment::ChargePayment;
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::adapters::payment_sim::SimulatedGateway;
use shared::domain::{LifecycleEventKind, OrderStatus};
use shared::milestone::MilestoneInput;
use shared::ports::{Clock, OrderStore, PaymentState};
use shared::step::handle;
use std::sync::Arc;

fn step(world: &MemoryWorld) -> ChargePayment {
    ChargePayment {
        progress: world.progress(),
        gateway: Arc::new(SimulatedGateway::new(
            world.payments.clone(),
            world.ids.clone(),
            0,
        )),
    }
}

fn event(order_id: &str) -> lambda_runtime::LambdaEvent<MilestoneInput> {
    MilestoneInput::event(order_id, "event-paid", 1)
}

async fn order_at(world: &MemoryWorld, id: &str, token: &str, status: OrderStatus) {
    let order = sample_order(id, &[("prod-001", 2, 14999)], "94102", token);
    world
        .orders
        .create(&along_happy_path(order, status))
        .await
        .unwrap();
}

async fn status_of(world: &MemoryWorld, id: &str) -> OrderStatus {
    world.orders.get(id).await.unwrap().unwrap().status
}

#[tokio::test]
async fn charges_the_stored_total_once_and_records_it_on_the_order() {
    let world = MemoryWorld::default();
    order_at(&world, "o1", "tok_visa", OrderStatus::Validated).await;
    let s = step(&world);
    let charged = handle(&s, event("o1")).await.unwrap();
    assert_eq!(charged.amount, 29998);
    assert_eq!(charged.last4, "4242");
    assert!(charged.transaction_id.starts_with("txn_"));

    let order = world.orders.get("o1").await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    let statuses: Vec<_> = order.timeline.iter().map(|e| e.status).collect();
    assert!(statuses.ends_with(&[OrderStatus::Paying, OrderStatus::Paid]));
    assert_eq!(
        order.timeline.last().unwrap().reason,
        format!("payment authorised ({})", charged.transaction_id)
    );
    let payment = order.payment.unwrap();
    assert_eq!(
        (payment.transaction_id.as_str(), payment.last4.as_str()),
        (charged.transaction_id.as_str(), "4242")
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::Paid);
    assert_eq!(events[0].1.event_id, "event-paid");
    assert_eq!(events[0].1.status, OrderStatus::Paid);
    assert_eq!(events[0].1.user_id, "user-1");

    let again = handle(&s, event("o1")).await.unwrap();
    assert_eq!(again, charged, "the order id is the idempotency key");
    assert_eq!(
        world.payments.record("o1").unwrap().state,
        PaymentState::Authorized,
        "held, not taken: the capture waits for the label"
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 2, "a retry publishes again ...");
    assert_eq!(
        events[1].1.event_id, "event-paid",
        "... with the same event id"
    );
    assert_eq!(
        world
            .orders
            .get("o1")
            .await
            .unwrap()
            .unwrap()
            .timeline
            .len(),
        statuses.len(),
        "and writes nothing"
    );
}

#[tokio::test]
async fn a_publish_failure_is_transient_and_the_retry_publishes_without_charging_again() {
    let world = MemoryWorld::default();
    order_at(&world, "o1", "tok_visa", OrderStatus::Validated).await;
    let s = step(&world);
    world.publisher.fail(true);
    assert_eq!(
        handle(&s, event("o1")).await.unwrap_err().error_type(),
        "Transient"
    );
    assert_eq!(status_of(&world, "o1").await, OrderStatus::Paid);
    let first = world.payments.record("o1").unwrap().charge.unwrap();
    world.publisher.fail(false);
    let retried = handle(&s, event("o1")).await.unwrap();
    assert_eq!(world.publisher.events().len(), 1);
    assert_eq!(
        retried.transaction_id, first.transaction_id,
        "the retry returns the first capture"
    );
}

#[tokio::test]
async fn declines_surface_as_payment_declined_leave_the_order_paying_and_charge_nothing() {
    let world = MemoryWorld::default();
    order_at(&world, "o1", "tok_chargeDeclined", OrderStatus::Validated).await;
    order_at(
        &world,
        "o2",
        "tok_chargeDeclinedInsufficientFunds",
        OrderStatus::Validated,
    )
    .await;
    let s = step(&world);
    let e1 = handle(&s, event("o1")).await.unwrap_err();
    let e2 = handle(&s, event("o2")).await.unwrap_err();
    assert_eq!(
        (e1.error_type(), e2.error_type()),
        ("PaymentDeclined", "PaymentDeclined")
    );
    assert!(e2.to_string().contains("insufficient_funds"));
    assert_eq!(world.payments.record("o1"), None);
    assert_eq!(
        status_of(&world, "o1").await,
        OrderStatus::Paying,
        "the machine records the failure"
    );
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn a_retry_after_a_decline_moves_payment_failed_back_to_paying_with_its_attempt() {
    let world = MemoryWorld::default();
    order_at(&world, "o1", "tok_visa", OrderStatus::Paying).await;
    world
        .orders
        .transition(
            "o1",
            &[OrderStatus::Paying],
            OrderStatus::PaymentFailed,
            "declined",
            world.clock.now(),
        )
        .await
        .unwrap();
    handle(&step(&world), MilestoneInput::event("o1", "event-paid", 2))
        .await
        .unwrap();
    let order = world.orders.get("o1").await.unwrap().unwrap();
    let paying = &order.timeline[order.timeline.len() - 2];
    assert_eq!(
        (paying.status, paying.reason.as_str()),
        (OrderStatus::Paying, "charging payment (attempt 2)")
    );
    assert_eq!(order.status, OrderStatus::Paid);
}

#[tokio::test]
async fn a_cancelled_order_is_order_moved_and_charges_nothing() {
    let world = MemoryWorld::default();
    order_at(&world, "o1", "tok_visa", OrderStatus::Validated).await;
    world
        .orders
        .transition(
            "o1",
            &[OrderStatus::Validated],
            OrderStatus::Cancelled,
            "customer",
            world.clock.now(),
        )
        .await
        .unwrap();
    let err = handle(&step(&world), event("o1")).await.unwrap_err();
    assert_eq!(err.error_type(), "OrderMoved");
    assert_eq!(world.payments.record("o1"), None);
    assert_eq!(status_of(&world, "o1").await, OrderStatus::Cancelled);
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn a_processing_error_is_transient_and_the_retry_charges_once() {
    let world = MemoryWorld::default();
    order_at(&world, "o1", "tok_processingError", OrderStatus::Validated).await;
    let s = step(&world);
    assert_eq!(
        handle(&s, event("o1")).await.unwrap_err().error_type(),
        "Transient"
    );
    let charged = handle(&s, event("o1")).await.unwrap();
    assert_eq!(charged.last4, "0119");
    let record = world.payments.record("o1").unwrap();
    assert_eq!(record.state, PaymentState::Authorized);
    assert_eq!(
        record.charge.unwrap().transaction_id,
        charged.transaction_id
    );
    let order = world.orders.get("o1").await.unwrap().unwrap();
    let paying = order
        .timeline
        .iter()
        .filter(|e| e.status == OrderStatus::Paying)
        .count();
    assert_eq!(paying, 1, "the retry found the order paying and left it");
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
