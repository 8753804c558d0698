mod common;

use chrono::Duration;
use common::*;
use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;

async fn refresh(svc: &auth::AuthService, token: &Value) -> (StatusCode, Value) {
    post(
        svc,
        "/api/auth/refresh",
        json!({"refreshToken": token}),
        None,
    )
    .await
}

#[tokio::test]
async fn a_refresh_token_is_good_once_and_gives_a_new_pair() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let first = register(&svc, "alice@example.com").await;
    world.clock.advance(Duration::minutes(10));
    let (status, second) = refresh(&svc, &first["refreshToken"]).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    assert_ne!(second["token"], first["token"]);
    assert_eq!(second["user"]["email"], "alice@example.com");
    let (status, third) = refresh(&svc, &second["refreshToken"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(third["refreshToken"], second["refreshToken"]);
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_whole_family() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let first = register(&svc, "alice@example.com").await;
    let (_, second) = refresh(&svc, &first["refreshToken"]).await;
    // The first token again: stolen, or replayed.
    let (status, json) = refresh(&svc, &first["refreshToken"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    // The newest token of the family is dead too.
    let (status, _) = refresh(&svc, &second["refreshToken"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another session of the same account is not touched.
    let (_, other) = login(&svc, "alice@example.com", PASSWORD).await;
    let (status, _) = refresh(&svc, &other["refreshToken"]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn garbage_and_forged_refresh_tokens_are_401() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let first = register(&svc, "alice@example.com").await;
    let real = first["refreshToken"].as_str().unwrap();
    let (id, _) = real.split_once('.').unwrap();
    for bad in [
        json!("garbage"),
        json!(format!("{id}.{}", "0".repeat(64))),
        json!(""),
        json!(format!("{}.{}", "f".repeat(32), "0".repeat(64))),
    ] {
        let (status, _) = refresh(&svc, &bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
    }
    let (status, _) = post(&svc, "/api/auth/refresh", json!({"refreshToken": 5}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_session_ends_after_thirty_days_however_often_it_is_refreshed() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let mut current = register(&svc, "alice@example.com").await;
    for _ in 0..3 {
        world.clock.advance(Duration::days(9));
        let (status, next) = refresh(&svc, &current["refreshToken"]).await;
        assert_eq!(status, StatusCode::OK);
        current = next;
    }
    world.clock.advance(Duration::days(4));
    let (status, _) = refresh(&svc, &current["refreshToken"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_this_session_only() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let here = register(&svc, "alice@example.com").await;
    let (_, elsewhere) = login(&svc, "alice@example.com", PASSWORD).await;
    let token = here["token"].as_str().unwrap();
    let (status, json) = post(
        &svc,
        "/api/auth/logout",
        json!({"refreshToken": here["refreshToken"]}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, _) = refresh(&svc, &here["refreshToken"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&svc, &elsewhere["refreshToken"]).await;
    assert_eq!(status, StatusCode::OK);
    // Without a token of either kind there is nothing to end.
    let (status, _) = post(&svc, "/api/auth/logout", json!({}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_the_profile_of_old_tokens() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let here = register(&svc, "alice@example.com").await;
    let (_, elsewhere) = login(&svc, "alice@example.com", PASSWORD).await;
    world.clock.advance(Duration::seconds(1));
    let token = here["token"].as_str().unwrap();
    let (status, _) = post(
        &svc,
        "/api/auth/logout",
        json!({"everywhere": true}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for session in [&here, &elsewhere] {
        let (status, _) = refresh(&svc, &session["refreshToken"]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the account's own routes refuse old tokens"
    );
    // A new sign-in works.
    world.clock.advance(Duration::seconds(1));
    let (status, _) = login(&svc, "alice@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(&svc, "/api/auth/logout", json!({"everywhere": true}), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "everywhere needs the access token"
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_revokes_every_other_session() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let here = verified(&svc, &world, "alice@example.com").await;
    let (_, elsewhere) = login(&svc, "alice@example.com", PASSWORD).await;
    world.clock.advance(Duration::seconds(1));
    let token = here["token"].as_str().unwrap();
    let (status, json) = post(
        &svc,
        "/api/auth/password",
        json!({"currentPassword": "not-it-1234", "newPassword": "brand-new-pass"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&json).contains("current password"));
    let (status, json) = post(
        &svc,
        "/api/auth/password",
        json!({"currentPassword": PASSWORD, "newPassword": "brand-new-pass"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(json["token"].is_string(), "this device gets a new session");
    for old in [&here, &elsewhere] {
        let (status, _) = refresh(&svc, &old["refreshToken"]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = refresh(&svc, &json["refreshToken"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        login(&svc, "alice@example.com", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&svc, "alice@example.com", "brand-new-pass").await.0,
        StatusCode::OK
    );
    let notice = world.notifier.sent().into_iter().last().unwrap();
    assert_eq!(notice.subject, "Your password was changed");
}
