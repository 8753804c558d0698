use refund_payment::RefundPayment;
use shared::adapters::memory::MemoryWorld;
use shared::domain::Money;
use shared::ports::{PaymentGateway, PaymentState};
use shared::step::{event_for as event, handle};

#[tokio::test]
async fn refunds_a_capture_once() {
    let world = MemoryWorld::default();
    world.authorise("o1", Money::from_cents(500)).await;
    let gateway = world.gateway();
    gateway.capture("o1").await.unwrap();
    let step = RefundPayment { gateway };

    let first = handle(&step, event("o1")).await.unwrap();
    assert!(first.refunded);
    assert_eq!(first.released, "refunded");
    let refund_id = first.refund_id.clone().unwrap();
    let second = handle(&step, event("o1")).await.unwrap();
    assert_eq!(
        second.refund_id,
        Some(refund_id),
        "a second refund is the first one"
    );
    let record = world.payments.record("o1").unwrap();
    assert_eq!(record.state, PaymentState::Refunded);
    assert_eq!(record.refund.unwrap().amount, Money::from_cents(500));
}

#[tokio::test]
async fn nothing_charged_means_nothing_refunded() {
    let world = MemoryWorld::default();
    let step = RefundPayment {
        gateway: world.gateway(),
    };
    let out = handle(&step, event("never-charged")).await.unwrap();
    assert!(!out.refunded);
    assert_eq!(out.released, "none");
    assert_eq!(out.refund_id, None);
    assert_eq!(world.payments.record("never-charged"), None);
}

#[tokio::test]
async fn an_authorisation_not_yet_captured_is_voided_not_refunded() {
    let world = MemoryWorld::default();
    world.authorise("o1", Money::from_cents(500)).await;
    let gateway = world.gateway();
    let step = RefundPayment { gateway };
    let out = handle(&step, event("o1")).await.unwrap();
    assert_eq!((out.released, out.refunded), ("voided", false));
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        serde_json::json!({"orderId": "o1", "released": "voided", "refunded": false, "refundId": null}),
        "refundId is there, null, for the machine's ResultSelector"
    );
    let record = world.payments.record("o1").unwrap();
    assert_eq!(record.state, PaymentState::Voided);
    assert_eq!(record.refund, None, "nothing was taken, nothing refunded");
}
