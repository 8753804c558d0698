mod common;

use common::*;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use shared::adapters::memory::MemoryWorld;
use shared::domain::Role;
use shared::http::testing::{request, token_for, tokens};
use shared::http::Api;

#[tokio::test]
async fn register_returns_working_tokens_and_the_user_without_secrets() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let json = register(&svc, "  Alice@Example.com ").await;
    assert_eq!(json["user"]["email"], "alice@example.com");
    assert_eq!(json["user"]["name"], "Alice");
    assert_eq!(json["user"]["role"], "customer");
    assert_eq!(json["user"]["emailVerified"], false);
    assert!(json["user"].get("passwordHash").is_none());
    assert_eq!(json["expiresIn"], 900);
    assert!(json["refreshToken"].as_str().unwrap().contains('.'));
    let principal = tokens().verify(json["token"].as_str().unwrap()).unwrap();
    assert_eq!(principal.user_id, json["user"]["id"]);
    assert_eq!(principal.role, Role::Customer);
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    register(&svc, "alice@example.com").await;
    let (status, json) = post(
        &svc,
        "/api/auth/register",
        json!({"email": "ALICE@example.com", "password": "another123", "name": "Al"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_of(&json).contains("already exists"));
}

#[tokio::test]
async fn registering_an_address_never_makes_an_admin() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    // The address the local stack's admin uses, registered by anyone.
    let json = register(&svc, "admin@store.test").await;
    assert_eq!(json["user"]["role"], "customer");
}

#[tokio::test]
async fn bad_registrations_are_400_with_a_reason() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let big = format!(
        r#"{{"email":"a@example.com","password":"secret123","name":"{}"}}"#,
        "x".repeat(70_000)
    );
    let phishing = json!({
        "email": "a@example.com", "password": "secret123",
        "name": "Bob,\r\n\r\nYour card was declined. Re-enter it at http://evil.test",
    })
    .to_string();
    let cases: Vec<(String, &str)> = vec![
        (
            r#"{"email":"a@example.com","password":"short","name":"A"}"#.into(),
            "at least 8",
        ),
        (
            r#"{"email":"not-an-email","password":"secret123","name":"A"}"#.into(),
            "valid address",
        ),
        (
            r#"{"email":"a@store.test,victim@example.com","password":"secret123","name":"A"}"#
                .into(),
            "valid address",
        ),
        (
            r#"{"email":"a@@store.test","password":"secret123","name":"A"}"#.into(),
            "valid address",
        ),
        (
            r#"{"email":"a@example.com","password":"secret123"}"#.into(),
            "missing field `name`",
        ),
        (
            r#"{"email":"a@example.com","password":"secret123","name":"A","role":"admin"}"#.into(),
            "unknown field `role`",
        ),
        (
            r#"{"email":"a@example.com","password":12345678,"name":"A"}"#.into(),
            "invalid type",
        ),
        (
            r#"{"email":"a@example.com","password":"secret123","name":"   "}"#.into(),
            "name must be",
        ),
        (phishing, "without line breaks"),
        (r#"{"email": "a@example.com", "#.into(), "invalid JSON"),
        (String::new(), "body is required"),
        (big, "too large"),
    ];
    for (body, expected) in cases {
        let response = svc
            .handle(request(
                Method::POST,
                "/api/auth/register",
                Some(&body),
                None,
            ))
            .await;
        let json = shared::http::testing::body_json(&response);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body:.80}");
        assert!(error_of(&json).contains(expected), "{body:.80} -> {json}");
    }
    assert!(world.notifier.sent().is_empty(), "nothing mailed for them");
}

#[tokio::test]
async fn login_succeeds_with_the_password_and_fails_the_same_way_otherwise() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;

    let (status, json) = login(&svc, "ALICE@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["user"]["id"], registered["user"]["id"]);
    assert!(tokens().verify(json["token"].as_str().unwrap()).is_ok());

    let (s1, j1) = login(&svc, "alice@example.com", "secret124").await;
    let (s2, j2) = login(&svc, "bob@example.com", PASSWORD).await;
    let (s3, j3) = login(&svc, "not an address", PASSWORD).await;
    assert_eq!(
        (s1, s2, s3),
        (
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED
        )
    );
    assert_eq!(j1, j2, "the two failures must be indistinguishable");
    assert_eq!(j1, j3);
}

#[tokio::test]
async fn profile_needs_a_valid_token_and_says_whether_the_email_is_verified() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;
    let token = registered["token"].as_str().unwrap();

    let (status, json, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        json!({
            "id": registered["user"]["id"], "email": "alice@example.com", "name": "Alice",
            "role": "customer", "emailVerified": false, "totpEnabled": false,
        })
    );

    let tampered = format!("{token}x");
    for bad in [None, Some("garbage"), Some(tampered.as_str())] {
        let (status, json, _) = call(&svc, Method::GET, "/api/auth/profile", None, bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(error_of(&json), "missing or invalid token");
    }
    // A valid token for a user that does not exist (deleted) is not a session.
    let ghost = token_for("ghost", Role::Customer);
    let (status, _, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(&ghost)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn profile_update_changes_the_name_only() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;
    let token = registered["token"].as_str().unwrap();

    let (status, json, _) = call(
        &svc,
        Method::PUT,
        "/api/auth/profile",
        Some(&json!({"name": " Alice B. "})),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["name"], "Alice B.");
    let (_, json, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(token)).await;
    assert_eq!(json["name"], "Alice B.");

    for (body, expected) in [
        (
            json!({"name": "A", "email": "x@y.z"}),
            "unknown field `email`",
        ),
        (json!({"name": "Eve\nSupport"}), "without line breaks"),
    ] {
        let (status, json, _) = call(
            &svc,
            Method::PUT,
            "/api/auth/profile",
            Some(&body),
            Some(token),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error_of(&json).contains(expected), "{json}");
    }
    let (status, _, _) = call(
        &svc,
        Method::PUT,
        "/api/auth/profile",
        Some(&json!({"name": "A"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_routes_and_methods_and_cors() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let (status, _, _) = call(&svc, Method::GET, "/api/auth/register", None, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, json, response) = call(&svc, Method::GET, "/api/auth/nothing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(json["error"].is_string());
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    let response = svc
        .handle(request(Method::OPTIONS, "/api/auth/login", None, None))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response
        .headers()
        .contains_key("access-control-allow-headers"));
}
