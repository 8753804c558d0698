//! Accounts end to end on the local stack: the mails come from LocalStack's
//! SES store, the admin role from the operator's `store-admin` command.

use integration_tests::{totp_now, Stack, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn post(stack: &Stack, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
    stack.call("POST", path, token, Some(&body), &[]).await
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn registration_is_verified_with_the_mailed_code_and_nothing_else_reaches_an_unverified_address(
) {
    let stack = Stack::load().await;
    let (token, _, email) = stack.new_unverified_customer().await;
    let mail = stack.await_mail(&email, 1, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["Subject"], "Confirm your email address");
    let (_, profile) = stack
        .call("GET", "/api/auth/profile", Some(&token), None, &[])
        .await;
    assert_eq!(profile["emailVerified"], false);

    // An order of the unverified account goes all the way, unmailed.
    let product = stack.new_product(5, 12.5).await;
    let (status, placed) = stack
        .place_order(&token, &[(&product, 1)], "94102", "tok_visa")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = stack
        .await_final(&token, placed["id"].as_str().unwrap())
        .await;
    assert_eq!(order["state"], "delivered");
    // Once notify has handled all five events of the order, count the mail.
    stack
        .await_notified(placed["id"].as_str().unwrap(), 5)
        .await;
    let mail = stack.mail_to(&email).await;
    assert_eq!(mail.len(), 1, "only the verification mail: {mail:?}");

    let code = stack.mailed_code(&email).await;
    let (status, json) = post(
        &stack,
        "/api/auth/verify-email",
        json!({"email": email, "code": code}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["emailVerified"], true);
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn the_admin_role_comes_only_from_the_command_and_an_admin_signs_in_with_totp() {
    let stack = Stack::load().await;
    // A verified customer cannot be granted without a second factor.
    let (_, _, email) = stack.new_customer().await;
    let refused = stack.store_admin(&["grant", &email]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("verified email and a second factor"));

    let admin = stack.new_admin().await;
    let listed = stack.store_admin(&["list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&admin.email));
    let (status, json) = post(
        &stack,
        "/api/auth/login",
        json!({"email": admin.email, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["mfaRequired"], true);
    let (status, users) = stack
        .call("GET", "/api/admin/users", Some(&admin.token), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{users}");
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["email"] == admin.email.as_str()));

    let revoked = stack.store_admin(&["revoke", &admin.email]);
    assert!(revoked.status.success(), "{revoked:?}");
    let token = stack.sign_in_with_totp(&admin.email, &admin.secret).await;
    let (status, _) = stack
        .call("GET", "/api/admin/users", Some(&token), None, &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A code is good once: the one just used does not sign in again.
    let replay =
        json!({"email": admin.email, "password": PASSWORD, "totpCode": totp_now(&admin.secret)});
    let (status, _) = post(&stack, "/api/auth/login", replay, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn five_failed_sign_ins_lock_the_account_with_429_and_retry_after() {
    let stack = Stack::load().await;
    let (_, _, email) = stack.new_customer().await;
    for i in 1..=5 {
        let (status, _) = post(
            &stack,
            "/api/auth/login",
            json!({"email": email, "password": "wrong-password"}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let response = stack
        .http
        .post(format!("{}/api/auth/login", stack.api))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=900).contains(&wait), "Retry-After {wait}");
    let notices = stack.await_mail(&email, 2, Duration::from_secs(20)).await;
    assert!(
        notices
            .iter()
            .any(|m| m["Subject"] == "Sign-ins to your account are paused"),
        "the owner is told: {notices:?}"
    );
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn refresh_tokens_rotate_a_reused_one_ends_the_family_and_logout_ends_a_session() {
    let stack = Stack::load().await;
    let (_, _, email) = stack.new_customer().await;
    let (_, first) = post(
        &stack,
        "/api/auth/login",
        json!({"email": email, "password": PASSWORD}),
        None,
    )
    .await;
    let (status, second) = post(
        &stack,
        "/api/auth/refresh",
        json!({"refreshToken": first["refreshToken"]}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    let (status, _) = post(
        &stack,
        "/api/auth/refresh",
        json!({"refreshToken": first["refreshToken"]}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "reused");
    let (status, _) = post(
        &stack,
        "/api/auth/refresh",
        json!({"refreshToken": second["refreshToken"]}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the whole family ended");

    let (_, other) = post(
        &stack,
        "/api/auth/login",
        json!({"email": email, "password": PASSWORD}),
        None,
    )
    .await;
    let token = other["token"].as_str().unwrap();
    let (status, _) = post(
        &stack,
        "/api/auth/logout",
        json!({"refreshToken": other["refreshToken"]}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &stack,
        "/api/auth/refresh",
        json!({"refreshToken": other["refreshToken"]}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn a_forgotten_password_is_reset_with_the_mailed_code_and_every_session_ends() {
    let stack = Stack::load().await;
    let (_, _, email) = stack.new_customer().await;
    let (_, session) = post(
        &stack,
        "/api/auth/login",
        json!({"email": email, "password": PASSWORD}),
        None,
    )
    .await;
    // Sessions revoked by a reset are those begun in an earlier second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = post(
        &stack,
        "/api/auth/forgot-password",
        json!({"email": email}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = stack.await_mail(&email, 2, Duration::from_secs(20)).await;
    assert_eq!(mail.last().unwrap()["Subject"], "Your password reset code");
    let code = stack.mailed_code(&email).await;
    let (status, json) = post(
        &stack,
        "/api/auth/reset-password",
        json!({"email": email, "code": code, "newPassword": "a-fresh-password"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, _) = post(
        &stack,
        "/api/auth/refresh",
        json!({"refreshToken": session["refreshToken"]}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post(
        &stack,
        "/api/auth/login",
        json!({"email": email, "password": "a-fresh-password"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
