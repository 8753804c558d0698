//! What the logs say about an order, and what they never say.

use lambda_http::http::Method;
use orders::OrdersService;
use shared::adapters::memory::MemoryWorld;
use shared::domain::Role;
use shared::http::testing::{body_json, request, token_for};
use shared::http::Api;
use shared::telemetry::capture;

#[tokio::test(flavor = "current_thread")]
async fn order_logs_carry_ids_and_no_personal_or_secret_data() {
    let world = MemoryWorld::default();
    let svc = OrdersService::in_memory(&world);
    let token = token_for("alice", Role::Customer);
    let body = r#"{"items":[{"productId":"prod-001","quantity":1}],
        "shipping":{"address":"742 Evergreen Terrace","city":"Springfield","state":"OR","zip":"97475"},
        "paymentToken":"tok_mastercard"}"#;
    let mut req = request(Method::POST, "/api/orders", Some(body), Some(&token));
    req.headers_mut()
        .insert("x-correlation-id", "corr-42".parse().unwrap());

    let (logs, guard) = capture::start();
    let response = svc.handle(req).await;
    drop(guard);

    let order_id = body_json(&response)["id"].as_str().unwrap().to_string();
    let text = logs.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON log line"))
        .collect();
    let placed = lines
        .iter()
        .find(|l| l["message"] == "order placed")
        .expect("an 'order placed' line");
    let spans = placed["spans"].to_string();
    assert!(spans.contains("corr-42"), "{placed}");
    assert!(spans.contains(&order_id), "{placed}");
    for secret in [
        "742 Evergreen",
        "Springfield",
        "97475",
        "tok_mastercard",
        token.as_str(),
    ] {
        assert!(!text.contains(secret), "logs leak {secret:?}:\n{text}");
    }
}
