//! Nothing private leaves the order: after a real order runs to delivered,
//! its execution history (with execution data) and every log group of the
//! stack hold no name, email, address or payment token of the customer,
//! and the delivery task's token appears only where the machine hands it
//! to await-delivery.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{Stack, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn no_personal_data_or_task_token_in_the_history_or_the_logs() {
    let stack = Stack::load().await;
    let started = chrono::Utc::now().timestamp_millis();
    let marker = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
    let name = format!("Privacy{marker} Person");
    let email = format!("privacy-{marker}@store.test");
    let address = format!("{marker} Secret Lane");
    let (status, registered) = stack
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(&json!({"email": email, "password": PASSWORD, "name": name})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let token = registered["token"].as_str().unwrap().to_string();
    let code = stack.mailed_code(&email).await;
    stack
        .call(
            "POST",
            "/api/auth/verify-email",
            None,
            Some(&json!({"email": email, "code": code})),
            &[],
        )
        .await;
    let product = stack.new_product(3, 9.5).await;
    // A payment method id is the customer's payment token: it must not leak.
    let payment_token = if stack.pays_with_stripe() {
        "pm_card_visa"
    } else {
        "tok_mastercard"
    };
    let body = json!({
        "items": [{"productId": product, "quantity": 1}],
        "shipping": {"address": address, "city": "Testville", "state": "CA", "zip": "94102"},
        "paymentToken": payment_token,
    });
    let (status, placed) = stack
        .call("POST", "/api/orders", Some(&token), Some(&body), &[])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order_id = placed["id"].as_str().unwrap().to_string();
    let order = stack.await_final(&token, &order_id).await;
    assert_eq!(order["state"], "delivered");
    stack.await_notified(&order_id, 5).await;
    let secrets = [
        name.as_str(),
        email.as_str(),
        address.as_str(),
        payment_token,
    ];

    // The delivery task's token, as await-delivery stored it.
    let tracking = order["data"]["shipment"]["trackingNumber"]
        .as_str()
        .expect("a tracking number")
        .to_string();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.aws);
    let delivery = dynamo
        .get_item()
        .table_name(stack.output("ShipmentsTableName"))
        .key("trackingNumber", AttributeValue::S(tracking))
        .send()
        .await
        .unwrap();
    let task_token = match delivery.item().and_then(|i| i.get("taskToken")) {
        Some(AttributeValue::S(t)) => t.clone(),
        other => panic!("no task token stored: {other:?}"),
    };

    // The execution history, with its data.
    let sfn = aws_sdk_sfn::Client::new(&stack.aws);
    let arn = stack
        .output("StateMachineArn")
        .replace(":stateMachine:", ":execution:")
        + ":"
        + &order_id;
    let mut events = Vec::new();
    let mut next = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(&arn)
            .include_execution_data(true)
            .set_next_token(next)
            .send()
            .await
            .expect("the execution's history");
        events.extend(page.events().iter().map(event_text));
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    assert!(events.len() > 5, "a history: {}", events.len());
    for event in &events {
        for secret in secrets {
            assert!(
                !event.contains(secret),
                "the history holds {secret:?}: {event:.400}"
            );
        }
    }
    let carrying_token: Vec<&String> = events.iter().filter(|e| e.contains(&task_token)).collect();
    assert!(
        carrying_token.len() <= 1 && carrying_token.iter().all(|e| e.contains("TaskScheduled")),
        "the task token beyond the one hand-over: {carrying_token:.600?}"
    );

    // Every log group of the stack, since the test began.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&stack.aws);
    let stack_name = std::env::var("STACK_NAME").unwrap_or_else(|_| "serverless-store".into());
    let mut groups = Vec::new();
    for prefix in [
        format!("/aws/lambda/{stack_name}-"),
        format!("/aws/vendedlogs/states/{stack_name}-"),
    ] {
        let listed = logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .send()
            .await
            .unwrap();
        groups.extend(
            listed
                .log_groups()
                .iter()
                .filter_map(|g| g.log_group_name().map(str::to_string)),
        );
    }
    assert!(groups.len() >= 10, "the stack's log groups: {groups:?}");
    let mut lines = 0;
    for group in &groups {
        let mut next = None;
        loop {
            let page = logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(started)
                .set_next_token(next)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{group}: {e}"));
            for message in page.events().iter().filter_map(|e| e.message()) {
                lines += 1;
                for secret in secrets.iter().chain([&task_token.as_str()]) {
                    assert!(
                        !message.contains(secret),
                        "{group} logs {secret:?}: {message:.400}"
                    );
                }
            }
            next = page.next_token().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
    }
    assert!(lines > 20, "the functions logged the order: {lines} lines");
}

/// What an event of the history carries: its type and the data its
/// details hold (the SDK redacts them from Debug, so they are read here).
fn event_text(event: &aws_sdk_sfn::types::HistoryEvent) -> String {
    let mut parts = vec![event.r#type().as_str().to_string()];
    let mut add = |value: Option<&str>| parts.extend(value.map(str::to_string));
    if let Some(d) = event.execution_started_event_details() {
        add(d.input());
    }
    if let Some(d) = event.execution_succeeded_event_details() {
        add(d.output());
    }
    if let Some(d) = event.execution_failed_event_details() {
        add(d.cause());
    }
    if let Some(d) = event.state_entered_event_details() {
        add(d.input());
    }
    if let Some(d) = event.state_exited_event_details() {
        add(d.output());
    }
    if let Some(d) = event.task_scheduled_event_details() {
        add(Some(d.parameters()));
    }
    if let Some(d) = event.task_succeeded_event_details() {
        add(d.output());
    }
    if let Some(d) = event.task_failed_event_details() {
        add(d.cause());
    }
    if let Some(d) = event.lambda_function_scheduled_event_details() {
        add(d.input());
    }
    if let Some(d) = event.lambda_function_succeeded_event_details() {
        add(d.output());
    }
    parts.join(" ")
}
