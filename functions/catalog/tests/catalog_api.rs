use catalog::CatalogService;
use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::domain::Role;
use shared::http::testing::{body_json, request, token_for, tokens};
use shared::http::Api;
use std::sync::Arc;

fn service(world: &MemoryWorld) -> CatalogService {
    CatalogService {
        products: world.catalog.clone(),
        tokens: Arc::new(tokens()),
        ids: world.ids.clone(),
        allowed_origin: "*".into(),
    }
}

async fn call(
    svc: &CatalogService,
    method: Method,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let response = svc.handle(request(method, path, body, token)).await;
    (response.status(), body_json(&response))
}

fn admin() -> String {
    token_for("admin-1", Role::Admin)
}

#[tokio::test]
async fn health_check() {
    let world = MemoryWorld::default();
    let (status, json) = call(&service(&world), Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"status": "healthy"}))
    );
}

#[tokio::test]
async fn lists_the_seed_catalog_in_the_contract_shape() {
    let world = MemoryWorld::default();
    let (status, json) = call(&service(&world), Method::GET, "/api/products", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let products = json.as_array().unwrap();
    assert_eq!(products.len(), 8);
    assert_eq!(
        products[0],
        json!({
            "id": "prod-001",
            "data": {
                "name": "Mechanical Keyboard",
                "price": 149.99,
                "category": "Electronics",
                "description": "Tenkeyless mechanical keyboard with hot-swappable tactile switches and PBT keycaps.",
                "image": "/images/prod-001.svg",
                "stock": 50
            },
            "state": "active"
        })
    );
}

#[tokio::test]
async fn filters_by_category_and_name() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let ids = |json: Value| -> Vec<String> {
        json.as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, json) = call(
        &svc,
        Method::GET,
        "/api/products?category=home office",
        None,
        None,
    )
    .await;
    assert_eq!(ids(json), ["prod-004", "prod-007"]);
    let (_, json) = call(&svc, Method::GET, "/api/products?q=MOUSE", None, None).await;
    assert_eq!(ids(json), ["prod-002"]);
    let (_, json) = call(
        &svc,
        Method::GET,
        "/api/products?category=electronics&q=hub",
        None,
        None,
    )
    .await;
    assert_eq!(ids(json), ["prod-003"]);
}

#[tokio::test]
async fn gets_one_product_or_404() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let (status, json) = call(&svc, Method::GET, "/api/products/prod-008", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["price"], 9.99);
    let (status, json) = call(&svc, Method::GET, "/api/products/prod-999", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"], "product prod-999 not found");
}

#[tokio::test]
async fn admin_creates_updates_archives_and_adjusts_stock() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let token = admin();
    let body = json!({"id": "prod-100", "name": "Webcam", "price": 64.5, "category": "Electronics", "stock": 3}).to_string();
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/products",
        Some(&body),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(json["data"]["price"], 64.5);

    let (status, _) = call(
        &svc,
        Method::POST,
        "/api/products",
        Some(&body),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, json) = call(
        &svc,
        Method::PUT,
        "/api/products/prod-100",
        Some(r#"{"price": 59.99, "name": "Webcam HD"}"#),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            json["data"]["price"].clone(),
            json["data"]["name"].clone(),
            json["data"]["stock"].clone()
        ),
        (json!(59.99), json!("Webcam HD"), json!(3))
    );

    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/products/prod-100/stock",
        Some(r#"{"delta": 7}"#),
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, json["data"]["stock"].clone()),
        (StatusCode::OK, json!(10))
    );
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/products/prod-100/stock",
        Some(r#"{"delta": -11}"#),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(json["error"], "stock cannot go below zero");
    assert_eq!(
        world.catalog.stock("prod-100"),
        Some(10),
        "a refused adjustment changes nothing"
    );

    let response = svc
        .handle(request(
            Method::DELETE,
            "/api/products/prod-100",
            None,
            Some(&token),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = call(&svc, Method::GET, "/api/products/prod-100", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, json) = call(&svc, Method::GET, "/api/products", None, None).await;
    assert_eq!(
        json.as_array().unwrap().len(),
        8,
        "archived products leave the catalog"
    );
}

#[tokio::test]
async fn admin_routes_refuse_customers_and_anonymous_callers() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let customer = token_for("cust-1", Role::Customer);
    let attempts = [
        (
            Method::POST,
            "/api/products",
            Some(r#"{"name":"X","price":1,"category":"C"}"#),
        ),
        (
            Method::PUT,
            "/api/products/prod-001",
            Some(r#"{"price":0.01}"#),
        ),
        (Method::DELETE, "/api/products/prod-001", None),
        (
            Method::POST,
            "/api/products/prod-001/stock",
            Some(r#"{"delta":-50}"#),
        ),
    ];
    for (method, path, body) in attempts {
        let (status, json) = call(&svc, method.clone(), path, body, Some(&customer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(json["error"], "admin role required");
        let (status, _) = call(&svc, method.clone(), path, body, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    assert_eq!(world.catalog.stock("prod-001"), Some(50));
    let (_, json) = call(&svc, Method::GET, "/api/products/prod-001", None, None).await;
    assert_eq!(json["data"]["price"], 149.99);
}

#[tokio::test]
async fn bad_product_input_is_400() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let token = admin();
    let cases = [
        (
            Method::POST,
            "/api/products",
            r#"{"name":"X","price":-1,"category":"C"}"#,
            "price must be",
        ),
        (
            Method::POST,
            "/api/products",
            r#"{"name":"X","price":1.234,"category":"C"}"#,
            "price must be",
        ),
        (
            Method::POST,
            "/api/products",
            r#"{"name":"","price":1,"category":"C"}"#,
            "name is required",
        ),
        (
            Method::POST,
            "/api/products",
            r#"{"id":"bad id!","name":"X","price":1,"category":"C"}"#,
            "id must be",
        ),
        (
            Method::POST,
            "/api/products",
            r#"{"name":"X","price":"1","category":"C"}"#,
            "invalid type",
        ),
        (
            Method::PUT,
            "/api/products/prod-001",
            r#"{"stock": 1}"#,
            "unknown field `stock`",
        ),
        (
            Method::POST,
            "/api/products/prod-001/stock",
            r#"{"delta": 1.5}"#,
            "invalid type",
        ),
        (
            Method::POST,
            "/api/products/prod-001/stock",
            r#"{}"#,
            "missing field `delta`",
        ),
    ];
    for (method, path, body, expected) in cases {
        let (status, json) = call(&svc, method, path, Some(body), Some(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            json["error"].as_str().unwrap().contains(expected),
            "{body} -> {json}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_are_405_and_unknown_paths_404() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let (status, _) = call(&svc, Method::PATCH, "/api/products/prod-001", None, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = call(&svc, Method::GET, "/api/nothing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
