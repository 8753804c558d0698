mod common;

use common::*;
use lambda_http::http::StatusCode;
use serde_json::json;
use shared::adapters::memory::MemoryWorld;

#[tokio::test]
async fn forgot_password_answers_the_same_and_mails_only_a_verified_address() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    verified(&svc, &world, "alice@example.com").await;
    register(&svc, "bob@example.com").await;
    let before = world.notifier.sent().len();
    let mut answers = vec![];
    for email in [
        "alice@example.com",
        "bob@example.com",
        "nobody@example.com",
        "x",
    ] {
        answers.push(
            post(
                &svc,
                "/api/auth/forgot-password",
                json!({"email": email}),
                None,
            )
            .await,
        );
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    let sent = world.notifier.sent();
    assert_eq!(sent.len(), before + 1);
    assert_eq!(sent.last().unwrap().to, "alice@example.com");
    assert_eq!(sent.last().unwrap().subject, "Your password reset code");
}

#[tokio::test]
async fn a_reset_code_sets_a_new_password_once_and_revokes_every_session() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let session = verified(&svc, &world, "alice@example.com").await;
    // A lockout is over once the owner proves they hold the mailbox.
    for _ in 0..5 {
        login(&svc, "alice@example.com", "wrong-password").await;
    }
    world.clock.advance(chrono::Duration::seconds(1));
    post(
        &svc,
        "/api/auth/forgot-password",
        json!({"email": "alice@example.com"}),
        None,
    )
    .await;
    let code = last_code(&world, "alice@example.com");
    let reset =
        json!({"email": "alice@example.com", "code": code, "newPassword": "fresh-password"});
    let (status, json) = post(&svc, "/api/auth/reset-password", reset.clone(), None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, _) = post(&svc, "/api/auth/reset-password", reset, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "single use");
    let (status, _) = post(
        &svc,
        "/api/auth/refresh",
        json!({"refreshToken": session["refreshToken"]}),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old session is revoked"
    );
    assert_eq!(
        login(&svc, "alice@example.com", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&svc, "alice@example.com", "fresh-password").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_codes_and_unknown_addresses_get_one_answer() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    verified(&svc, &world, "alice@example.com").await;
    post(
        &svc,
        "/api/auth/forgot-password",
        json!({"email": "alice@example.com"}),
        None,
    )
    .await;
    let code = last_code(&world, "alice@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let a = post(
        &svc,
        "/api/auth/reset-password",
        json!({"email": "alice@example.com", "code": wrong, "newPassword": "fresh-password"}),
        None,
    )
    .await;
    let b = post(
        &svc,
        "/api/auth/reset-password",
        json!({"email": "nobody@example.com", "code": wrong, "newPassword": "fresh-password"}),
        None,
    )
    .await;
    assert_eq!(a, b);
    assert_eq!(a.0, StatusCode::BAD_REQUEST);
    let (status, json) = post(
        &svc,
        "/api/auth/reset-password",
        json!({"email": "alice@example.com", "code": code, "newPassword": "short"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&json).contains("at least 8"));
}
