mod common;

use chrono::Duration;
use common::*;
use lambda_http::http::StatusCode;
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::auth::totp;
use shared::domain::Role;
use shared::ports::{Clock, UserStore};

/// The current TOTP code of `user_id`'s stored secret.
async fn current_code(world: &MemoryWorld, user_id: &str) -> String {
    let user = world.users.get(user_id).await.unwrap().unwrap();
    let secret = hex::decode(user.totp.unwrap().secret).unwrap();
    totp::code_at(&secret, world.clock.now().timestamp() as u64)
}

/// Enrols and confirms TOTP for the account of `session`; its recovery codes.
async fn enrol(svc: &auth::AuthService, world: &MemoryWorld, session: &Value) -> Vec<String> {
    let token = session["token"].as_str().unwrap();
    let user_id = session["user"]["id"].as_str().unwrap();
    let (status, setup) = post(svc, "/api/auth/totp/setup", json!({}), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    assert!(setup["otpauthUri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    assert!(setup["qrSvg"].as_str().unwrap().contains("<svg"));
    assert_eq!(setup["secret"].as_str().unwrap().len(), 32);
    let code = current_code(world, user_id).await;
    let (status, confirmed) = post(
        svc,
        "/api/auth/totp/confirm",
        json!({"code": code}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    // The code that confirmed is spent: the next sign-in needs a later one.
    world.clock.advance(Duration::seconds(30));
    serde_json::from_value(confirmed["recoveryCodes"].clone()).unwrap()
}

#[tokio::test]
async fn after_enrolment_a_sign_in_needs_the_code_and_each_code_works_once() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let session = verified(&svc, &world, "alice@example.com").await;
    let user_id = session["user"]["id"].as_str().unwrap().to_string();
    let recovery = enrol(&svc, &world, &session).await;
    assert_eq!(recovery.len(), 10);

    let (status, json) = login(&svc, "alice@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["mfaRequired"], true);
    let code = current_code(&world, &user_id).await;
    let with_code = json!({"email": "alice@example.com", "password": PASSWORD, "totpCode": code});
    let (status, json) = post(&svc, "/api/auth/login", with_code.clone(), None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["user"]["totpEnabled"], true);
    let (status, json) = post(&svc, "/api/auth/login", with_code, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a replayed code: {json}");
    // A wrong password with a good code is still a wrong password.
    world.clock.advance(Duration::seconds(30));
    let code = current_code(&world, &user_id).await;
    let (status, json) = post(
        &svc,
        "/api/auth/login",
        json!({"email": "alice@example.com", "password": "wrong-password", "totpCode": code}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(json.get("mfaRequired").is_none());
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let session = verified(&svc, &world, "alice@example.com").await;
    let recovery = enrol(&svc, &world, &session).await;
    let with =
        json!({"email": "alice@example.com", "password": PASSWORD, "recoveryCode": recovery[3]});
    assert_eq!(
        post(&svc, "/api/auth/login", with.clone(), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        post(&svc, "/api/auth/login", with, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = json!({"email": "alice@example.com", "password": PASSWORD, "recoveryCode": recovery[4].to_uppercase()});
    assert_eq!(
        post(&svc, "/api/auth/login", other, None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let session = verified(&svc, &world, "alice@example.com").await;
    enrol(&svc, &world, &session).await;
    for _ in 0..5 {
        let (status, _) = post(
            &svc,
            "/api/auth/login",
            json!({"email": "alice@example.com", "password": PASSWORD, "totpCode": "000000"}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login(&svc, "alice@example.com", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_admin_role_needs_a_verified_address_and_totp_and_is_never_self_made() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let unverified = register(&svc, "eve@example.com").await;
    let boss = verified(&svc, &world, "boss@example.com").await;
    let store = world.users.as_ref();
    // The operator's rule (store-admin uses the same function).
    let refused = auth::admin::set_role(store, "eve@example.com", Role::Admin).await;
    assert_eq!(refused.unwrap_err(), auth::admin::RoleRefused::NotEligible);
    let refused = auth::admin::set_role(store, "boss@example.com", Role::Admin).await;
    assert_eq!(
        refused.unwrap_err(),
        auth::admin::RoleRefused::NotEligible,
        "no TOTP yet"
    );
    enrol(&svc, &world, &boss).await;
    let granted = auth::admin::set_role(store, "Boss@Example.com", Role::Admin)
        .await
        .unwrap();
    assert_eq!(granted.role, Role::Admin);
    assert_eq!(
        auth::admin::set_role(store, "nobody@example.com", Role::Admin)
            .await
            .unwrap_err(),
        auth::admin::RoleRefused::NoSuchUser
    );

    // The admin signs in with the code and manages roles through the API.
    let boss_id = boss["user"]["id"].as_str().unwrap();
    let code = current_code(&world, boss_id).await;
    let (status, admin) = post(
        &svc,
        "/api/auth/login",
        json!({"email": "boss@example.com", "password": PASSWORD, "totpCode": code}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(admin["user"]["role"], "admin");
    let token = admin["token"].as_str().unwrap();
    let (status, listed, _) = call(
        &svc,
        lambda_http::http::Method::GET,
        "/api/admin/users",
        None,
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (status, json) = post(
        &svc,
        "/api/admin/users/grant",
        json!({"email": "eve@example.com"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    let (status, _) = post(
        &svc,
        "/api/admin/users/revoke",
        json!({"email": "boss@example.com"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "not one's own role");
    let (status, _) = post(
        &svc,
        "/api/admin/users/grant",
        json!({"email": "nobody@example.com"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A customer cannot use these routes.
    let customer = unverified["token"].as_str().unwrap();
    let (status, _) = post(
        &svc,
        "/api/admin/users/grant",
        json!({"email": "eve@example.com"}),
        Some(customer),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An admin keeps the second factor.
    let (status, json) = post(
        &svc,
        "/api/auth/totp/disable",
        json!({"password": PASSWORD}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
}

#[tokio::test]
async fn a_customer_may_remove_the_second_factor_with_the_password() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let session = verified(&svc, &world, "alice@example.com").await;
    enrol(&svc, &world, &session).await;
    let token = session["token"].as_str().unwrap();
    let (status, _) = post(
        &svc,
        "/api/auth/totp/disable",
        json!({"password": "wrong-password"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, json) = post(
        &svc,
        "/api/auth/totp/disable",
        json!({"password": PASSWORD}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["totpEnabled"], false);
    assert_eq!(
        login(&svc, "alice@example.com", PASSWORD).await.0,
        StatusCode::OK
    );
}
