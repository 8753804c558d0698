//! What a client can send that must not hurt: ids no store takes, numbers
//! at the type limits, stock past its bounds, cursors of its own making.

use catalog::CatalogService;
use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::domain::{Role, MAX_STOCK};
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
    body: Option<Value>,
) -> (StatusCode, Value) {
    let admin = token_for("admin-1", Role::Admin);
    let body = body.map(|b| b.to_string());
    let response = svc
        .handle(request(method, path, body.as_deref(), Some(&admin)))
        .await;
    let status = response.status();
    (status, body_json(&response))
}

#[tokio::test]
async fn an_id_no_store_would_take_is_400_on_every_product_route() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let long = "p".repeat(2100);
    for (method, path, body) in [
        (Method::GET, format!("/api/products/{long}"), None),
        (
            Method::PUT,
            format!("/api/products/{long}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/products/{long}"), None),
        (
            Method::POST,
            format!("/api/products/{long}/stock"),
            Some(json!({"delta": 1})),
        ),
        (Method::GET, "/api/products/a%00b".to_string(), None),
    ] {
        let (status, json) = call(&svc, method.clone(), &path, body).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{method} {path:.40}: {json}"
        );
        assert!(json["error"].as_str().unwrap().contains("id must be"));
    }
}

#[tokio::test]
async fn stock_deltas_at_the_type_limits_are_400_and_never_panic() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    for delta in [
        i64::MIN,
        i64::MAX,
        -(i64::from(MAX_STOCK)) - 1,
        i64::from(MAX_STOCK) + 1,
    ] {
        let (status, json) = call(
            &svc,
            Method::POST,
            "/api/products/prod-001/stock",
            Some(json!({"delta": delta})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{delta}: {json}");
    }
    // A number past i64 is not a delta either.
    let (status, _) = call(
        &svc,
        Method::POST,
        "/api/products/prod-001/stock",
        Some(json!({"delta": 1e30})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn stock_stays_within_zero_and_the_maximum() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let (_, product) = call(&svc, Method::GET, "/api/products/prod-001", None).await;
    let stock = product["data"]["stock"].as_i64().unwrap();
    let to_max = i64::from(MAX_STOCK) - stock;
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/products/prod-001/stock",
        Some(json!({"delta": to_max})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["data"]["stock"], MAX_STOCK);
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/products/prod-001/stock",
        Some(json!({"delta": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    let (status, json) = call(
        &svc,
        Method::POST,
        "/api/products/prod-001/stock",
        Some(json!({"delta": -i64::from(MAX_STOCK)})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["data"]["stock"], 0);
    let (status, _) = call(
        &svc,
        Method::POST,
        "/api/products/prod-001/stock",
        Some(json!({"delta": -1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Creating past the maximum is refused too.
    let (status, _) = call(
        &svc,
        Method::POST,
        "/api/products",
        Some(json!({"name": "Big", "price": 1.0, "category": "Test", "stock": MAX_STOCK + 1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_listing_pages_with_an_opaque_cursor_and_keeps_the_array_without_one() {
    let world = MemoryWorld::default();
    let svc = service(&world);
    let mut seen = Vec::new();
    let mut path = "/api/products?limit=3".to_string();
    loop {
        let (status, page) = call(&svc, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_string()));
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/products?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "id order, no repeats");

    // No limit or cursor: the array the seed's clients read.
    let (_, all) = call(&svc, Method::GET, "/api/products", None).await;
    assert_eq!(all.as_array().unwrap().len(), 8);

    // A category filter pages through what matches.
    let (_, page) = call(
        &svc,
        Method::GET,
        "/api/products?category=Electronics&limit=100",
        None,
    )
    .await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["data"]["category"] == "Electronics"));
    assert!(page["nextCursor"].is_null());

    for bad in [
        "/api/products?limit=0",
        "/api/products?limit=101",
        "/api/products?limit=x",
        "/api/products?cursor=abc",
        "/api/products?cursor=p1.zz",
        &format!("/api/products?q={}", "x".repeat(101)),
    ] {
        let (status, json) = call(&svc, Method::GET, bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:.60}: {json}");
    }
}
