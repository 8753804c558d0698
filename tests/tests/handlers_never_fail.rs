//! Whatever a client sends, every HTTP handler answers: never a panic,
//! never a 5xx, and an error is `{"error": "..."}`. Arbitrary JSON, numbers
//! at the type limits and odd strings go to every route of the HTTP
//! functions, in process on the in-memory adapters (no network).

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use proptest::prelude::*;
use serde_json::{json, Value};
use shared::adapters::memory::MemoryWorld;
use shared::domain::Role;
use shared::http::testing::{request, token_for, tokens};
use shared::http::Api;
use std::sync::Arc;

const WEBHOOK_SECRET: &[u8] = b"webhook-secret";

/// The HTTP functions, each on a world of its own.
struct Functions {
    auth: auth::AuthService,
    catalog: catalog::CatalogService,
    orders: orders::OrdersService,
    webhook: shipping_webhook::ShippingWebhook,
    payments: payment_webhook::PaymentWebhook,
}

impl Functions {
    fn new() -> Self {
        let world = MemoryWorld::default();
        Functions {
            auth: auth::AuthService::in_memory(&world),
            catalog: catalog::CatalogService {
                products: world.catalog.clone(),
                tokens: Arc::new(tokens()),
                ids: world.ids.clone(),
                allowed_origin: "*".into(),
            },
            orders: orders::OrdersService::in_memory(&world),
            webhook: shipping_webhook::ShippingWebhook {
                shipments: world.shipments.clone(),
                events: world.idempotency.clone(),
                tasks: world.tasks.clone(),
                progress: world.progress(),
                secret: WEBHOOK_SECRET.to_vec(),
                clock: world.clock.clone(),
                allowed_origin: "*".into(),
            },
            payments: payment_webhook::PaymentWebhook {
                reconciler: Arc::new(shared::adapters::memory::UnknownPayments),
                orders: world.orders.clone(),
                events: world.idempotency.clone(),
                publisher: world.publisher.clone(),
                secret: WEBHOOK_SECRET.to_vec(),
                clock: world.clock.clone(),
                allowed_origin: "*".into(),
            },
        }
    }

    fn service(&self, function: &str) -> &dyn Api {
        match function {
            "auth" => &self.auth,
            "catalog" => &self.catalog,
            "orders" => &self.orders,
            "payment-webhook" => &self.payments,
            _ => &self.webhook,
        }
    }
}

/// Every (function, method, path) the route tables declare.
fn all_routes() -> Vec<(&'static str, String, String)> {
    let tables = [
        ("auth", auth::routes()),
        ("catalog", catalog::routes()),
        ("orders", orders::routes()),
        ("shipping-webhook", shipping_webhook::routes()),
        ("payment-webhook", payment_webhook::routes()),
    ];
    tables
        .into_iter()
        .flat_map(|(function, routes)| {
            routes
                .into_iter()
                .map(move |(method, path)| (function, method, path))
        })
        .collect()
}

/// A body the route would take, for mutation into nearly valid ones.
fn template(path: &str) -> Value {
    match path {
        "/api/auth/register" => {
            json!({"email": "a@store.test", "password": "secret123", "name": "A"})
        }
        "/api/auth/login" => {
            json!({"email": "a@store.test", "password": "secret123", "totpCode": "123456"})
        }
        "/api/auth/refresh" => {
            json!({"refreshToken": format!("{}.{}", "a".repeat(32), "b".repeat(64))})
        }
        "/api/auth/verify-email" => json!({"email": "a@store.test", "code": "123456"}),
        "/api/auth/password" => json!({"currentPassword": "secret123", "newPassword": "secret456"}),
        "/api/auth/reset-password" => {
            json!({"email": "a@store.test", "code": "123456", "newPassword": "secret456"})
        }
        "/api/auth/forgot-password" => json!({"email": "a@store.test"}),
        "/api/admin/users/grant" | "/api/admin/users/revoke" => json!({"email": "a@store.test"}),
        "/api/products" => json!({"name": "N", "price": 1.5, "category": "C", "stock": 3}),
        "/api/products/{id}" => json!({"name": "N", "price": 2.5, "state": "active"}),
        "/api/products/{id}/stock" => json!({"delta": 1}),
        "/api/orders" => json!({
            "items": [{"productId": "prod-001", "quantity": 1}],
            "shipping": {"address": "1 Main St", "city": "SF", "state": "CA", "zip": "94102"},
            "paymentToken": "tok_visa",
        }),
        "/api/shipping/webhook" => json!({
            "eventId": "e1", "trackingNumber": "1Z", "status": "delivered",
            "occurredAt": "2026-11-22T09:30:00Z",
        }),
        "/api/payments/stripe/webhook" => json!({
            "id": "evt_1", "type": "charge.refunded",
            "data": {"object": {"id": "ch_1", "payment_intent": "pi_1"}},
        }),
        _ => json!({"name": "N", "code": "123456", "password": "secret123"}),
    }
}

fn nasty_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(0.001)),
        Just(json!(null)),
        Just(json!([])),
        Just(json!({})),
        Just(json!(true)),
        Just(json!("")),
        Just(json!("x".repeat(70_000))),
        Just(json!("\u{0}\r\n\u{202E}🦀")),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,300}".prop_map(|s| json!(s)),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The template with one field (at any depth) replaced, or a field added.
fn mutate(mut body: Value, choice: usize, value: Value) -> Value {
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                let here = format!("{at}/{k}");
                out.push(here.clone());
                pointers(v, here, out)
            }),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                let here = format!("{at}/{i}");
                out.push(here.clone());
                pointers(v, here, out)
            }),
            _ => {}
        }
    }
    let mut slots = Vec::new();
    pointers(&body, String::new(), &mut slots);
    match slots.get(choice % (slots.len() + 1)) {
        Some(pointer) => {
            if let Some(slot) = body.pointer_mut(pointer) {
                *slot = value;
            }
        }
        None => {
            if let Value::Object(map) = &mut body {
                map.insert("unexpected".into(), value);
            }
        }
    }
    body
}

#[derive(Debug, Clone)]
enum Payload {
    None,
    Json(Value),
    Text(String),
}

fn payload(path: String) -> impl Strategy<Value = Payload> {
    let base = template(&path);
    prop_oneof![
        Just(Payload::None),
        any_json().prop_map(Payload::Json),
        "\\PC{0,200}".prop_map(Payload::Text),
        (any::<usize>(), nasty_value()).prop_map(move |(choice, value)| {
            Payload::Json(mutate(base.clone(), choice, value))
        }),
    ]
}

/// Path parameters: ids of every shape, escaped as a URI needs.
fn path_param() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("prod-001".to_string()),
        Just("id-1".to_string()),
        "[A-Za-z0-9_-]{1,80}",
        Just("p".repeat(2100)),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| {
            bytes
                .iter()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        }),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("limit"),
        Just("cursor"),
        Just("status"),
        Just("category"),
        Just("q"),
        Just("x")
    ];
    let value = prop_oneof![
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("18446744073709551616".to_string()),
        Just("p1.7a7a".to_string()),
        "[A-Za-z0-9._-]{0,120}",
    ];
    prop::collection::vec((key, value), 0..3).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[derive(Debug, Clone)]
enum Caller {
    Anonymous,
    Customer,
    Admin,
    Garbage(String),
}

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        Just(Caller::Anonymous),
        Just(Caller::Customer),
        Just(Caller::Admin),
        "[ -~]{0,60}".prop_map(Caller::Garbage),
    ]
}

fn build(
    method: &str,
    path: &str,
    query: &str,
    payload: &Payload,
    caller: &Caller,
    key: &Option<Vec<u8>>,
) -> Request {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let token = match caller {
        Caller::Anonymous => None,
        Caller::Customer => Some(token_for("alice", Role::Customer)),
        Caller::Admin => Some(token_for("admin-1", Role::Admin)),
        Caller::Garbage(text) => Some(text.clone()),
    };
    let body = match payload {
        Payload::None => None,
        Payload::Json(value) => Some(value.to_string()),
        Payload::Text(text) => Some(text.clone()),
    };
    let target = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let mut request = request(method, &target, body.as_deref(), None);
    if let Some(token) = token.and_then(|t| format!("Bearer {t}").parse().ok()) {
        request.headers_mut().insert("authorization", token);
    }
    if let Some(key) = key
        .as_ref()
        .and_then(|k| lambda_http::http::HeaderValue::from_bytes(k).ok())
    {
        request.headers_mut().insert("idempotency-key", key);
    }
    let signature_header = match path {
        "/api/shipping/webhook" => Some(shared::webhook::SIGNATURE_HEADER),
        "/api/payments/stripe/webhook" => Some(payment_webhook::SIGNATURE_HEADER),
        _ => None,
    };
    if let (Some(header), Some(body)) = (signature_header, &body) {
        let now = chrono::Utc::now().timestamp();
        let signature = shared::webhook::sign(WEBHOOK_SECRET, body.as_bytes(), now);
        request
            .headers_mut()
            .insert(header, signature.parse().unwrap());
    }
    request
}

fn check(response: &Response<Body>) -> Result<(), String> {
    let status = response.status();
    if status.is_server_error() {
        return Err(format!("answered {status}: {:?}", response.body()));
    }
    if status.is_client_error() && status != StatusCode::METHOD_NOT_ALLOWED {
        let text = match response.body() {
            Body::Text(text) => text.clone(),
            Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Body::Empty => String::new(),
            _ => String::new(),
        };
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{status}: not JSON ({e}): {text}"))?;
        if !json["error"].is_string() {
            return Err(format!("{status} without an error message: {json}"));
        }
    }
    Ok(())
}

/// A route and a request for it.
fn case() -> impl Strategy<Value = (usize, Payload, String, String, Caller, Option<Vec<u8>>)> {
    let routes = all_routes();
    (0..routes.len()).prop_flat_map(move |i| {
        let path = routes[i].2.clone();
        (
            Just(i),
            payload(path),
            path_param(),
            query(),
            caller(),
            proptest::option::of(prop::collection::vec(any::<u8>(), 0..300)),
        )
    })
}

/// Every field of every route's body set to each value at the limits, by an
/// admin and a customer: the random search below may miss a combination,
/// this does not.
#[test]
fn every_field_at_the_limits_on_every_route() {
    let limits = [
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(-1),
        json!(1e308),
        json!(-1e308),
        json!(null),
        json!([]),
        json!({}),
        json!(""),
        json!("x".repeat(70_000)),
        json!("\u{0}\r\n\u{202E}"),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let functions = Functions::new();
    let mut sent = 0;
    for (function, method, path) in all_routes() {
        let base = template(&path);
        let fields = {
            let mut count = 0;
            fn count_fields(v: &Value, n: &mut usize) {
                match v {
                    Value::Object(m) => m.values().for_each(|v| {
                        *n += 1;
                        count_fields(v, n)
                    }),
                    Value::Array(a) => a.iter().for_each(|v| {
                        *n += 1;
                        count_fields(v, n)
                    }),
                    _ => {}
                }
            }
            count_fields(&base, &mut count);
            count + 1
        };
        for field in 0..fields {
            for value in &limits {
                for caller in [Caller::Admin, Caller::Customer] {
                    let payload = Payload::Json(mutate(base.clone(), field, value.clone()));
                    let concrete = path.replace("{id}", "prod-001");
                    let request = build(&method, &concrete, "", &payload, &caller, &None);
                    let response = runtime.block_on(functions.service(function).handle(request));
                    if let Err(why) = check(&response) {
                        panic!("{method} {concrete} {payload:.200?}: {why}");
                    }
                    sent += 1;
                }
            }
        }
    }
    assert!(sent > 1000, "{sent} requests");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_request_gets_a_panic_or_a_5xx((route, payload, param, query, caller, key) in case()) {
        let routes = all_routes();
        let (function, method, path) = &routes[route];
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let concrete = path.replace("{id}", &param);
        let functions = Functions::new();
        let request = build(method, &concrete, &query, &payload, &caller, &key);
        let response = runtime.block_on(functions.service(function).handle(request));
        let verdict = check(&response);
        prop_assert!(verdict.is_ok(), "{} {:.80} {:.200?}: {}", method, concrete, payload, verdict.unwrap_err());
    }
}
