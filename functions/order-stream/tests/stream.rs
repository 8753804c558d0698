//! The stream in process: its frames, ids and resume, the heartbeat, the
//! end at a final status and at the cap, and who may watch. Time is
//! scripted: each pause moves the world's clock and may change the order.

use http_body_util::BodyExt;
use lambda_http::http::{Method, StatusCode};
use order_stream::{OrderStream, Pause};
use shared::adapters::memory::{along_happy_path, sample_order, FixedClock, MemoryWorld};
use shared::domain::{Order, OrderRecord, OrderStatus, Role, ShipmentDetails};
use shared::http::testing::{request, token_for};
use shared::ports::OrderStore;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Step = Box<dyn FnOnce() + Send>;

/// Pauses that take no real time: the clock moves, then the next scripted
/// change (if any) happens.
struct Script {
    clock: Arc<FixedClock>,
    steps: Mutex<VecDeque<Step>>,
    pauses: Mutex<u32>,
}

#[async_trait::async_trait]
impl Pause for Script {
    async fn pause(&self, duration: Duration) {
        self.clock
            .advance(chrono::Duration::from_std(duration).unwrap());
        *self.pauses.lock().unwrap() += 1;
        let step = self.steps.lock().unwrap().pop_front();
        if let Some(step) = step {
            step();
        }
    }
}

fn script(world: &MemoryWorld, steps: Vec<Step>) -> Arc<Script> {
    Arc::new(Script {
        clock: world.clock.clone(),
        steps: Mutex::new(steps.into()),
        pauses: Mutex::new(0),
    })
}

/// Alice's order `o1`, moved along the happy path to `status`.
fn order_at(world: &MemoryWorld, status: OrderStatus) -> Order {
    let order = sample_order("o1", &[("prod-001", 1, 14999)], "94102", "tok_visa");
    let mut order = along_happy_path(
        Order {
            user_id: "alice".into(),
            ..order
        },
        status,
    );
    if status == OrderStatus::Shipped {
        order.keep(OrderRecord::Shipment(ShipmentDetails {
            carrier: "UPS".into(),
            tracking_number: "1Z42".into(),
            estimated_delivery: "2026-12-05".into(),
        }));
    }
    world.orders.put(order.clone());
    order
}

/// A step that moves `o1` on to `next`.
fn moves_to(world: &MemoryWorld, next: OrderStatus) -> Step {
    let orders = world.orders.clone();
    Box::new(move || {
        let mut order = futures_block(orders.get("o1")).unwrap().unwrap();
        order
            .transition(next, format!("to {next}"), order.updated_at)
            .unwrap();
        orders.put(order);
    })
}

/// Runs a future of the in-memory store, which answers at once.
fn futures_block<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the in-memory store never waits"),
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn watch(
    stream: &Arc<OrderStream>,
    token: Option<&str>,
    last_event_id: Option<&str>,
) -> Answer {
    let mut req = request(Method::GET, "/orders/o1/events", None, token);
    if let Some(id) = last_event_id {
        req.headers_mut()
            .insert("last-event-id", id.parse().unwrap());
    }
    req.headers_mut()
        .insert("origin", "https://shop.example.com".parse().unwrap());
    let response = stream.handle(req).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// (id, status) of each status event, and the end's reason.
fn events(body: &str) -> (Vec<(usize, String)>, Option<String>) {
    let mut statuses = Vec::new();
    let mut end = None;
    for frame in body.split("\n\n").filter(|f| !f.is_empty()) {
        let field = |name: &str| {
            frame
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .map(str::to_string)
        };
        match field("event").as_deref() {
            Some("status") => {
                let data: serde_json::Value =
                    serde_json::from_str(&field("data").unwrap()).unwrap();
                let id: usize = field("id").unwrap().parse().unwrap();
                assert_eq!(data["index"], id);
                statuses.push((id, data["status"].as_str().unwrap().to_string()));
            }
            Some("end") => {
                let data: serde_json::Value =
                    serde_json::from_str(&field("data").unwrap()).unwrap();
                end = Some(data["reason"].as_str().unwrap().to_string());
            }
            _ => {}
        }
    }
    (statuses, end)
}

fn alice() -> String {
    token_for("alice", Role::Customer)
}

#[tokio::test]
async fn every_timeline_entry_is_a_frame_and_the_stream_ends_at_a_final_status() {
    let world = MemoryWorld::default();
    order_at(&world, OrderStatus::Shipping);
    let steps = vec![
        moves_to(&world, OrderStatus::Shipped),
        Box::new(|| {}) as Step,
        moves_to(&world, OrderStatus::Delivered),
    ];
    let stream = Arc::new(OrderStream::in_memory(&world, script(&world, steps)));
    let answer = watch(&stream, Some(&alice()), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type, "text/event-stream");
    assert!(answer.body.starts_with("retry: "));
    let (statuses, end) = events(&answer.body);
    let names: Vec<&str> = statuses.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "new",
            "validating",
            "validated",
            "paying",
            "paid",
            "shipping",
            "shipped",
            "delivered"
        ]
    );
    let ids: Vec<usize> = statuses.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        ids,
        (0..8).collect::<Vec<_>>(),
        "ids are the entries' indexes"
    );
    assert_eq!(end.as_deref(), Some("final"));
}

#[tokio::test]
async fn processing_details_ride_along_once_known() {
    let world = MemoryWorld::default();
    order_at(&world, OrderStatus::Shipped);
    let steps = vec![moves_to(&world, OrderStatus::Delivered)];
    let stream = Arc::new(OrderStream::in_memory(&world, script(&world, steps)));
    let answer = watch(&stream, Some(&alice()), Some("5")).await;
    let frame = answer
        .body
        .split("\n\n")
        .find(|f| f.contains("event: status") && f.contains("\"delivered\""))
        .unwrap();
    assert!(frame.contains(r#""tracking_number":"1Z42""#), "{frame}");
    assert!(frame.contains(r#""carrier":"UPS""#));
    // Not on the entries before the parcel shipped.
    let answer = watch(&stream, Some(&alice()), None).await;
    let earlier = answer
        .body
        .split("\n\n")
        .find(|f| f.contains("\"status\":\"shipping\""))
        .unwrap();
    assert!(!earlier.contains("tracking_number"), "{earlier}");
}

#[tokio::test]
async fn last_event_id_resumes_without_repeats() {
    let world = MemoryWorld::default();
    order_at(&world, OrderStatus::Shipped);
    let steps = vec![moves_to(&world, OrderStatus::Delivered)];
    let stream = Arc::new(OrderStream::in_memory(&world, script(&world, steps)));
    let answer = watch(&stream, Some(&alice()), Some("5")).await;
    let (statuses, end) = events(&answer.body);
    assert_eq!(
        statuses,
        vec![(6, "shipped".into()), (7, "delivered".into())]
    );
    assert_eq!(end.as_deref(), Some("final"));
    // Resuming past a final status only ends.
    let answer = watch(&stream, Some(&alice()), Some("7")).await;
    let (statuses, end) = events(&answer.body);
    assert!(statuses.is_empty());
    assert_eq!(end.as_deref(), Some("final"));
}

#[tokio::test]
async fn a_quiet_order_gets_a_heartbeat_every_fifteen_seconds_and_the_stream_ends_at_the_cap() {
    let world = MemoryWorld::default();
    order_at(&world, OrderStatus::Shipped);
    let pause = script(&world, vec![]);
    let stream = Arc::new(OrderStream::in_memory(&world, pause.clone()));
    let answer = watch(&stream, Some(&alice()), None).await;
    let heartbeats = answer.body.matches(": heartbeat").count();
    assert_eq!(
        heartbeats, 3,
        "at 15, 30 and 45 s of a 60 s stream:\n{}",
        answer.body
    );
    let (statuses, end) = events(&answer.body);
    assert_eq!(statuses.len(), 7);
    assert_eq!(end.as_deref(), Some("cap"));
    assert_eq!(*pause.pauses.lock().unwrap(), 60, "one read a second");
}

#[tokio::test]
async fn someone_elses_order_is_404_and_no_token_is_401_but_an_admin_may_watch() {
    let world = MemoryWorld::default();
    order_at(&world, OrderStatus::Shipped);
    moves_to(&world, OrderStatus::Delivered)();
    let stream = Arc::new(OrderStream::in_memory(&world, script(&world, vec![])));
    let bob = token_for("bob", Role::Customer);
    let answer = watch(&stream, Some(&bob), None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("\"error\""));
    let answer = watch(&stream, None, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let admin = token_for("admin-1", Role::Admin);
    let answer = watch(&stream, Some(&admin), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = watch(&stream, Some(&alice()), Some("x")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn other_paths_and_methods_and_a_preflight() {
    let world = MemoryWorld::default();
    let stream = Arc::new(OrderStream::in_memory(&world, script(&world, vec![])));
    let response = stream
        .handle(request(Method::GET, "/orders/o1", None, Some(&alice())))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = stream
        .handle(request(
            Method::POST,
            "/orders/o1/events",
            None,
            Some(&alice()),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let mut preflight = request(Method::OPTIONS, "/orders/o1/events", None, None);
    preflight
        .headers_mut()
        .insert("origin", "https://shop.example.com".parse().unwrap());
    let response = stream.handle(preflight).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    // Another origin gets no CORS grant.
    let mut other = request(Method::OPTIONS, "/orders/o1/events", None, None);
    other
        .headers_mut()
        .insert("origin", "https://evil.test".parse().unwrap());
    let response = stream.handle(other).await;
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}
