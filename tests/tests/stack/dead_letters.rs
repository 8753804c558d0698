//! A notification that cannot be sent ends in the dead-letter queue, and the
//! repository's replay command moves it back once the cause is fixed.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::Stack;
use serde_json::json;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(120);

/// Whether any message in the DLQ carries `event_id`. Reads every message
/// (each hidden for a moment, so that a queue holding more than one
/// receive's worth is read whole: a stack used before may hold many), then
/// makes them all visible again.
async fn dlq_holds(stack: &Stack, event_id: &str) -> bool {
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    let url = stack.output("NotificationDlqUrl");
    let (mut found, mut handles) = (false, Vec::new());
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if received.messages().is_empty() {
            break;
        }
        for message in received.messages() {
            found |= message.body().unwrap_or_default().contains(event_id);
            handles.extend(message.receipt_handle().map(str::to_string));
        }
    }
    for handle in handles {
        sqs.change_message_visibility()
            .queue_url(url)
            .receipt_handle(handle)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    found
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn a_poison_notification_goes_to_the_dlq_and_is_replayed_once_fixed() {
    let stack = Stack::load().await;
    let user_id = format!("it-ghost-{}", uuid::Uuid::new_v4());
    let email = format!("{user_id}@store.test");
    let event_id = uuid::Uuid::new_v4().to_string();
    let detail = json!({
        "version": 1, "eventId": event_id, "orderId": format!("it-order-{}", uuid::Uuid::new_v4()),
        "userId": user_id, "status": "new", "occurredAt": "2026-11-21T10:00:00Z", "correlationId": "it-dlq"
    });
    let events = aws_sdk_eventbridge::Client::new(&stack.aws);
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(stack.output("EventBusName"))
        .source("store.orders")
        .detail_type("order.created")
        .detail(detail.to_string())
        .build();
    let put = events.put_events().entries(entry).send().await.unwrap();
    assert_eq!(put.failed_entry_count(), 0);

    // notify cannot find the user: after NotificationMaxReceiveCount tries
    // the message is moved to the DLQ.
    let start = Instant::now();
    while !dlq_holds(&stack, &event_id).await {
        assert!(
            start.elapsed() < DEADLINE,
            "the poison message never reached the DLQ"
        );
    }
    assert!(stack.mail_to(&email).await.is_empty());

    // The fix: the missing user record is restored.
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.aws);
    dynamo
        .put_item()
        .table_name(stack.output("UsersTableName"))
        .item("pk", AttributeValue::S(format!("USER#{user_id}")))
        .item("id", AttributeValue::S(user_id.clone()))
        .item("email", AttributeValue::S(email.clone()))
        .item("name", AttributeValue::S("Restored".into()))
        .item("role", AttributeValue::S("customer".into()))
        .item("passwordHash", AttributeValue::S(String::new()))
        // Order mail goes to verified addresses only.
        .item("emailVerified", AttributeValue::Bool(true))
        .item(
            "createdAt",
            AttributeValue::S("2026-11-21T09:00:00Z".into()),
        )
        .send()
        .await
        .unwrap();

    // Built by scripts/up.sh with the other binaries (profile `local`).
    let replay = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/local/replay-dlq");
    let output = std::process::Command::new(replay)
        .args([
            "--from",
            stack.output("NotificationDlqUrl"),
            "--to",
            stack.output("NotificationQueueUrl"),
        ])
        .env("AWS_ENDPOINT_URL", &stack.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .expect("target/local/replay-dlq is built by scripts/up.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("replayed"), "{stdout}");

    let mail = stack.await_mail(&email, 1, DEADLINE).await;
    assert_eq!(mail.len(), 1, "the replayed event is sent once");
    assert!(!dlq_holds(&stack, &event_id).await, "and is no longer dead");
}
