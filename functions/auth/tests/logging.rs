use auth::AuthService;
use lambda_http::http::Method;
use shared::adapters::memory::MemoryWorld;
use shared::http::testing::{body_json, request};
use shared::http::Api;
use shared::telemetry::capture;

#[tokio::test(flavor = "current_thread")]
async fn passwords_and_tokens_never_reach_the_logs() {
    let world = MemoryWorld::default();
    let svc = AuthService::in_memory(&world);
    let password = "Pa55word-that-must-stay-secret";
    let register =
        format!(r#"{{"email":"alice@example.com","password":"{password}","name":"Alice"}}"#);
    let login = format!(r#"{{"email":"alice@example.com","password":"{password}"}}"#);
    let wrong = r#"{"email":"alice@example.com","password":"wrong-password-123"}"#;

    let (logs, guard) = capture::start();
    let registered = svc
        .handle(request(
            Method::POST,
            "/api/auth/register",
            Some(&register),
            None,
        ))
        .await;
    let logged_in = svc
        .handle(request(Method::POST, "/api/auth/login", Some(&login), None))
        .await;
    svc.handle(request(Method::POST, "/api/auth/login", Some(wrong), None))
        .await;
    let token = body_json(&logged_in)["token"].as_str().unwrap().to_string();
    svc.handle(request(
        Method::GET,
        "/api/auth/profile",
        None,
        Some(&format!("{token}x")),
    ))
    .await;
    drop(guard);

    let text = logs.text();
    assert!(
        text.contains("user registered"),
        "the registration is logged:\n{text}"
    );
    let first_token = body_json(&registered)["token"]
        .as_str()
        .unwrap()
        .to_string();
    for secret in [
        password,
        "wrong-password-123",
        token.as_str(),
        first_token.as_str(),
        "$argon2id$",
    ] {
        assert!(!text.contains(secret), "logs leak {secret:?}:\n{text}");
    }
}
