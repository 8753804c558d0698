//! What the auth tests share: the service on the in-memory world, calls,
//! and reading the codes out of the mails it sent.
#![allow(dead_code)]

use auth::AuthService;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::http::testing::{body_json, request};
use shared::http::Api;

pub const PASSWORD: &str = "secret123";

pub fn service(world: &MemoryWorld) -> AuthService {
    AuthService {
        allowed_origin: "https://shop.example.com".into(),
        ..AuthService::in_memory(world)
    }
}

pub async fn call(
    svc: &AuthService,
    method: Method,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> (StatusCode, Value, Response<Body>) {
    let body = body.map(Value::to_string);
    let response = svc
        .handle(request(method, path, body.as_deref(), token))
        .await;
    (response.status(), body_json(&response), response)
}

pub async fn post(
    svc: &AuthService,
    path: &str,
    body: Value,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let (status, json, _) = call(svc, Method::POST, path, Some(&body), token).await;
    (status, json)
}

/// Registers `email` with `PASSWORD`; the 201 body.
pub async fn register(svc: &AuthService, email: &str) -> Value {
    let (status, json) = post(
        svc,
        "/api/auth/register",
        json!({"email": email, "password": PASSWORD, "name": "Alice"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    json
}

/// The six-digit code of the last mail to `to`.
pub fn last_code(world: &MemoryWorld, to: &str) -> String {
    let mail = world
        .notifier
        .sent()
        .into_iter()
        .rev()
        .find(|n| n.to == to)
        .unwrap_or_else(|| panic!("no mail to {to}"));
    mail.body
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("no code in {:?}", mail.body))
        .to_string()
}

/// Registers and verifies `email`; the registration's body.
pub async fn verified(svc: &AuthService, world: &MemoryWorld, email: &str) -> Value {
    let registered = register(svc, email).await;
    let code = last_code(world, email);
    let (status, json) = post(
        svc,
        "/api/auth/verify-email",
        json!({"email": email, "code": code}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    registered
}

pub async fn login(svc: &AuthService, email: &str, password: &str) -> (StatusCode, Value) {
    post(
        svc,
        "/api/auth/login",
        json!({"email": email, "password": password}),
        None,
    )
    .await
}

pub fn error_of(json: &Value) -> &str {
    json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {json}"))
}
