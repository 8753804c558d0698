mod common;

use chrono::Duration;
use common::*;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use shared::adapters::memory::MemoryWorld;

#[tokio::test]
async fn registration_mails_a_code_and_the_code_verifies_the_address_once() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;
    let mails = world.notifier.sent();
    assert_eq!(mails.len(), 1, "only the verification mail");
    assert_eq!(mails[0].to, "alice@example.com");
    assert_eq!(mails[0].subject, "Confirm your email address");
    assert!(
        !mails[0].body.contains("Alice"),
        "no user-supplied text in it"
    );
    let code = last_code(&world, "alice@example.com");

    let (status, json) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "Alice@Example.com", "code": code}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["emailVerified"], true);
    let token = registered["token"].as_str().unwrap();
    let (_, profile, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(token)).await;
    assert_eq!(profile["emailVerified"], true);
    // The code is spent; the address stays verified.
    let (status, _) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "alice@example.com", "code": code}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn five_wrong_tries_burn_the_code() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    register(&svc, "alice@example.com").await;
    let code = last_code(&world, "alice@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, json) = post(
            &svc,
            "/api/auth/verify-email",
            json!({"email": "alice@example.com", "code": wrong}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error_of(&json).contains("not right or has expired"));
    }
    let (status, _) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "alice@example.com", "code": code}),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the right code is burnt too"
    );
}

#[tokio::test]
async fn a_code_expires_after_thirty_minutes_and_a_new_one_can_be_asked_for() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;
    let token = registered["token"].as_str().unwrap();
    let first = last_code(&world, "alice@example.com");
    // Asking again at once is refused, with the wait.
    let (status, json, response) = call(
        &svc,
        Method::POST,
        "/api/auth/verify-email/resend",
        None,
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{json}");
    assert!(response.headers().contains_key("retry-after"));

    world.clock.advance(Duration::minutes(31));
    let (status, _) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "alice@example.com", "code": first}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "expired");
    let (status, _, _) = call(
        &svc,
        Method::POST,
        "/api/auth/verify-email/resend",
        None,
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second = last_code(&world, "alice@example.com");
    let (status, _) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "alice@example.com", "code": second}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_as_a_wrong_code() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    register(&svc, "alice@example.com").await;
    let (s1, j1) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "bob@example.com", "code": "123456"}),
        None,
    )
    .await;
    let (s2, j2) = post(
        &svc,
        "/api/auth/verify-email",
        json!({"email": "alice@example.com", "code": "12345x"}),
        None,
    )
    .await;
    assert_eq!((s1, &j1), (s2, &j2));
}
