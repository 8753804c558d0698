use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use lambda_runtime::{Context, LambdaEvent};
use notify::Notify;
use serde_json::json;
use shared::adapters::memory::MemoryWorld;
use shared::domain::User;
use shared::ports::UserStore;

fn notify(world: &MemoryWorld) -> Notify {
    Notify {
        users: world.users.clone(),
        orders: world.orders.clone(),
        dedupe: world.idempotency.clone(),
        notifier: world.notifier.clone(),
        clock: world.clock.clone(),
    }
}

/// A customer whose address is verified (the only kind that gets order mail).
async fn with_user(world: &MemoryWorld, id: &str, email: &str) {
    let mut user = User::new(id, email, "Alice", String::new(), chrono::Utc::now());
    user.email_verified = true;
    world.users.create(&user).await.unwrap();
}

fn envelope(event_id: &str, detail_type: &str, user_id: &str) -> String {
    json!({
        "version": "0",
        "id": "eb-1",
        "detail-type": detail_type,
        "source": "store.order-pipeline",
        "account": "000000000000",
        "time": "2026-11-21T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "version": 1,
            "eventId": event_id,
            "orderId": "order-1234567890",
            "userId": user_id,
            "status": "paid",
            "occurredAt": "2026-11-21T10:00:00Z",
            "correlationId": "corr-1"
        }
    })
    .to_string()
}

fn batch(bodies: &[(&str, String)]) -> LambdaEvent<SqsEvent> {
    let mut event = SqsEvent::default();
    for (id, body) in bodies {
        let mut message = SqsMessage::default();
        message.message_id = Some((*id).to_string());
        message.body = Some(body.clone());
        event.records.push(message);
    }
    LambdaEvent::new(event, Context::default())
}

fn failed_ids(response: &aws_lambda_events::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn sends_one_mail_per_event_id_even_when_delivered_twice() {
    let world = MemoryWorld::default();
    with_user(&world, "u1", "alice@example.com").await;
    let n = notify(&world);
    let body = envelope("evt-1", "order.paid", "u1");
    let response = n
        .handle(batch(&[("m1", body.clone()), ("m2", body.clone())]))
        .await;
    assert!(failed_ids(&response).is_empty());
    let response = n.handle(batch(&[("m3", body)])).await;
    assert!(failed_ids(&response).is_empty());

    let sent = world.notifier.sent();
    assert_eq!(sent.len(), 1, "three deliveries of one event, one mail");
    assert_eq!(sent[0].to, "alice@example.com");
    assert_eq!(sent[0].subject, "Payment received for order 34567890");
    assert!(sent[0].body.contains("order-1234567890"));
}

#[tokio::test]
async fn different_events_each_send() {
    let world = MemoryWorld::default();
    with_user(&world, "u1", "alice@example.com").await;
    let response = notify(&world)
        .handle(batch(&[
            ("m1", envelope("evt-1", "order.created", "u1")),
            ("m2", envelope("evt-2", "order.shipped", "u1")),
            ("m3", envelope("evt-3", "order.inventory_released", "u1")),
        ]))
        .await;
    assert!(failed_ids(&response).is_empty());
    let subjects: Vec<_> = world
        .notifier
        .sent()
        .into_iter()
        .map(|n| n.subject)
        .collect();
    assert_eq!(
        subjects,
        [
            "We received your order 34567890",
            "Order 34567890 has shipped"
        ],
        "operator events mail nobody"
    );
}

#[tokio::test]
async fn poison_messages_fail_alone_and_the_rest_of_the_batch_succeeds() {
    let world = MemoryWorld::default();
    with_user(&world, "u1", "alice@example.com").await;
    let response = notify(&world)
        .handle(batch(&[
            ("bad-json", "{not json".to_string()),
            ("good", envelope("evt-1", "order.delivered", "u1")),
            ("bad-type", envelope("evt-2", "order.exploded", "u1")),
            (
                "bad-detail",
                json!({"detail-type": "order.paid", "detail": {"orderId": 5}}).to_string(),
            ),
        ]))
        .await;
    assert_eq!(
        failed_ids(&response),
        ["bad-json", "bad-type", "bad-detail"]
    );
    assert_eq!(world.notifier.sent().len(), 1);
}

#[tokio::test]
async fn a_failed_send_is_retried_and_then_sent_once() {
    let world = MemoryWorld::default();
    with_user(&world, "u1", "alice@example.com").await;
    let n = notify(&world);
    let body = envelope("evt-1", "order.paid", "u1");

    world.notifier.fail_for(Some("alice@example.com"));
    let response = n.handle(batch(&[("m1", body.clone())])).await;
    assert_eq!(failed_ids(&response), ["m1"]);
    assert!(world.notifier.sent().is_empty());

    world.notifier.fail_for(None);
    let response = n.handle(batch(&[("m1", body)])).await;
    assert!(failed_ids(&response).is_empty());
    assert_eq!(
        world.notifier.sent().len(),
        1,
        "the retry sends: the failed attempt released its claim"
    );
}

#[tokio::test]
async fn a_claim_left_by_a_crashed_worker_is_taken_over_after_its_lease() {
    use shared::ports::{IdempotencyRecord, IdempotencyStore};
    let world = MemoryWorld::default();
    with_user(&world, "u1", "alice@example.com").await;
    let now = shared::ports::Clock::now(&*world.clock);
    world
        .idempotency
        .claim(
            &IdempotencyRecord {
                key: "notify#evt-1".into(),
                fingerprint: "order.paid".into(),
                value: "order-1234567890".into(),
                completed: false,
                lease_expires_at: now.timestamp() + 120,
                expires_at: now.timestamp() + 86400,
            },
            now,
        )
        .await
        .unwrap();
    let n = notify(&world);
    let body = envelope("evt-1", "order.paid", "u1");
    n.handle(batch(&[("m1", body.clone())])).await;
    assert!(
        world.notifier.sent().is_empty(),
        "inside the lease the other worker owns it"
    );
    world.clock.advance(chrono::Duration::seconds(121));
    n.handle(batch(&[("m1", body)])).await;
    assert_eq!(world.notifier.sent().len(), 1);
}

#[tokio::test]
async fn an_event_for_an_unknown_user_fails_until_the_user_exists() {
    let world = MemoryWorld::default();
    let n = notify(&world);
    let body = envelope("evt-1", "order.paid", "restored");
    let response = n.handle(batch(&[("m1", body.clone())])).await;
    assert_eq!(
        failed_ids(&response),
        ["m1"],
        "kept for the DLQ, not dropped"
    );
    assert!(world.notifier.sent().is_empty());

    with_user(&world, "restored", "restored@example.com").await;
    let response = n.handle(batch(&[("m1", body)])).await;
    assert!(failed_ids(&response).is_empty());
    assert_eq!(world.notifier.sent()[0].to, "restored@example.com");
}

#[tokio::test]
async fn an_unverified_address_gets_no_order_mail_and_the_message_is_done() {
    let world = MemoryWorld::default();
    let user = User::new(
        "u2",
        "new@example.com",
        "New",
        String::new(),
        chrono::Utc::now(),
    );
    world.users.create(&user).await.unwrap();
    let n = notify(&world);
    let body = envelope("evt-9", "order.paid", "u2");
    let response = n.handle(batch(&[("m1", body.clone())])).await;
    assert!(
        failed_ids(&response).is_empty(),
        "not retried, not dead-lettered"
    );
    assert!(world.notifier.sent().is_empty());
    assert_eq!(n.process(&body).await.unwrap(), notify::Outcome::Duplicate);
}
