mod common;

use chrono::Duration;
use common::*;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use shared::adapters::memory::MemoryWorld;
use shared::http::testing::{body_json, request};
use shared::http::Api;

#[tokio::test]
async fn five_failures_lock_the_account_for_a_right_password_too() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    verified(&svc, &world, "alice@example.com").await;
    for i in 1..=5 {
        let (status, _) = login(&svc, "alice@example.com", "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let body = json!({"email": "alice@example.com", "password": PASSWORD}).to_string();
    let response = svc
        .handle(request(Method::POST, "/api/auth/login", Some(&body), None))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((850..=900).contains(&retry_after), "{retry_after}");
    let json = body_json(&response);
    assert_eq!(json["retryAfter"], retry_after);
    assert!(error_of(&json).contains("try again in 15 minutes"));
    // The owner is told once, however many more tries come.
    for _ in 0..3 {
        login(&svc, "alice@example.com", "wrong-password").await;
    }
    let notices: Vec<_> = world
        .notifier
        .sent()
        .into_iter()
        .filter(|n| n.subject.contains("paused"))
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].to, "alice@example.com");
    // After the lock, the right password works and the count starts over.
    world.clock.advance(Duration::minutes(16));
    assert_eq!(
        login(&svc, "alice@example.com", PASSWORD).await.0,
        StatusCode::OK
    );
    for _ in 0..4 {
        login(&svc, "alice@example.com", "wrong-password").await;
    }
    assert_eq!(
        login(&svc, "alice@example.com", PASSWORD).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_next_lockout_lasts_longer() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    register(&svc, "alice@example.com").await;
    for _ in 0..5 {
        login(&svc, "alice@example.com", "wrong-password").await;
    }
    world.clock.advance(Duration::minutes(16));
    for _ in 0..5 {
        login(&svc, "alice@example.com", "wrong-password").await;
    }
    let (status, json) = login(&svc, "alice@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(json["retryAfter"].as_i64().unwrap() > 1700, "{json}");
}

#[tokio::test]
async fn unknown_emails_lock_the_same_way_and_nobody_is_mailed() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    register(&svc, "alice@example.com").await;
    let before = world.notifier.sent().len();
    let mut known = vec![];
    let mut unknown = vec![];
    for _ in 0..6 {
        known.push(login(&svc, "alice@example.com", "wrong-password").await);
        unknown.push(login(&svc, "nobody@example.com", "wrong-password").await);
    }
    let statuses = |answers: &[(StatusCode, serde_json::Value)]| {
        answers.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    };
    assert_eq!(statuses(&known), statuses(&unknown));
    assert_eq!(known.last().unwrap().0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        world.notifier.sent().len(),
        before,
        "an unverified owner is not mailed"
    );
}

#[tokio::test]
async fn one_client_address_is_limited_across_accounts() {
    let world = MemoryWorld::default();
    let svc = auth::AuthService {
        throttle: auth::ThrottlePolicy {
            client_failures: 8,
            ..auth::ThrottlePolicy::default()
        },
        ..service(&world)
    };
    register(&svc, "alice@example.com").await;
    for i in 0..8 {
        login(&svc, &format!("guess{i}@example.com"), "wrong-password").await;
    }
    let (status, _) = login(&svc, "alice@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
