use auth::AuthService;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::domain::Role;
use shared::http::testing::{body_json, request, token_for, tokens};
use shared::http::Api;

fn service(world: &MemoryWorld) -> AuthService {
    AuthService {
        admin_emails: vec!["boss@example.com".into()],
        allowed_origin: "https://shop.example.com".into(),
        ..AuthService::in_memory(world)
    }
}

async fn call(
    svc: &AuthService,
    method: Method,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, Value, Response<Body>) {
    let response = svc.handle(request(method, path, body, token)).await;
    (response.status(), body_json(&response), response)
}

async fn register(svc: &AuthService, email: &str) -> Value {
    let body = json!({"email": email, "password": "secret123", "name": "Alice"}).to_string();
    let (status, json, _) = call(svc, Method::POST, "/api/auth/register", Some(&body), None).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    json
}

fn error_of(json: &Value) -> &str {
    json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {json}"))
}

#[tokio::test]
async fn register_returns_a_working_token_and_the_user_without_secrets() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let json = register(&svc, "  Alice@Example.com ").await;
    assert_eq!(json["user"]["email"], "alice@example.com");
    assert_eq!(json["user"]["name"], "Alice");
    assert_eq!(json["user"]["role"], "customer");
    assert!(json["user"].get("passwordHash").is_none());
    let principal = tokens().verify(json["token"].as_str().unwrap()).unwrap();
    assert_eq!(principal.user_id, json["user"]["id"]);
    assert_eq!(principal.role, Role::Customer);
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    register(&svc, "alice@example.com").await;
    let body =
        json!({"email": "ALICE@example.com", "password": "another123", "name": "Al"}).to_string();
    let (status, json, _) = call(&svc, Method::POST, "/api/auth/register", Some(&body), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_of(&json).contains("already exists"));
}

#[tokio::test]
async fn configured_admin_emails_get_the_admin_role() {
    let world = MemoryWorld::default();
    let json = register(&service(&world), "Boss@example.com").await;
    assert_eq!(json["user"]["role"], "admin");
}

#[tokio::test]
async fn bad_registrations_are_400_with_a_reason() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let big = format!(
        r#"{{"email":"a@example.com","password":"secret123","name":"{}"}}"#,
        "x".repeat(70_000)
    );
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
        (r#"{"email": "a@example.com", "#.into(), "invalid JSON"),
        (String::new(), "body is required"),
        (big, "too large"),
    ];
    for (body, expected) in cases {
        let (status, json, _) =
            call(&svc, Method::POST, "/api/auth/register", Some(&body), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.80}");
        assert!(error_of(&json).contains(expected), "{body:.80} -> {json}");
    }
}

#[tokio::test]
async fn login_succeeds_with_the_password_and_fails_the_same_way_otherwise() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;

    let good = json!({"email": "ALICE@example.com", "password": "secret123"}).to_string();
    let (status, json, _) = call(&svc, Method::POST, "/api/auth/login", Some(&good), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["user"]["id"], registered["user"]["id"]);
    assert!(tokens().verify(json["token"].as_str().unwrap()).is_ok());

    let wrong_password = json!({"email": "alice@example.com", "password": "secret124"}).to_string();
    let unknown_email = json!({"email": "bob@example.com", "password": "secret123"}).to_string();
    let (s1, j1, _) = call(
        &svc,
        Method::POST,
        "/api/auth/login",
        Some(&wrong_password),
        None,
    )
    .await;
    let (s2, j2, _) = call(
        &svc,
        Method::POST,
        "/api/auth/login",
        Some(&unknown_email),
        None,
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(j1, j2, "the two failures must be indistinguishable");
}

#[tokio::test]
async fn profile_needs_a_valid_token() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let registered = register(&svc, "alice@example.com").await;
    let token = registered["token"].as_str().unwrap();

    let (status, json, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        json!({"id": registered["user"]["id"], "email": "alice@example.com", "name": "Alice", "role": "customer"})
    );

    let tampered = format!("{}x", token);
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
        Some(r#"{"name":" Alice B. "}"#),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["name"], "Alice B.");
    let (_, json, _) = call(&svc, Method::GET, "/api/auth/profile", None, Some(token)).await;
    assert_eq!(json["name"], "Alice B.");

    let (status, json, _) = call(
        &svc,
        Method::PUT,
        "/api/auth/profile",
        Some(r#"{"name":"A","email":"x@y.z"}"#),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&json).contains("unknown field `email`"));
    let (status, _, _) = call(
        &svc,
        Method::PUT,
        "/api/auth/profile",
        Some(r#"{"name":"A"}"#),
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
