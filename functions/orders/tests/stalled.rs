use chrono::Duration;
use lambda_http::http::{Method, StatusCode};
use orders::stalled::{StalledOrders, SweepReport, STALLED_AFTER};
use orders::OrdersService;
use serde_json::json;
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::domain::{OrderStatus, Role};
use shared::http::testing::{request, token_for};
use shared::http::Api;
use shared::ports::{Clock, OrderStore};

fn sweeper(world: &MemoryWorld) -> StalledOrders {
    StalledOrders {
        orders: world.orders.clone(),
        workflow: world.workflow.clone(),
        clock: world.clock.clone(),
    }
}

fn report(started: &[&str], not_started: &[&str]) -> SweepReport {
    SweepReport {
        started: started.iter().map(|s| s.to_string()).collect(),
        not_started: not_started.iter().map(|s| s.to_string()).collect(),
    }
}

/// An order stored `ago` before the world's now, in `status`.
fn stored(world: &MemoryWorld, id: &str, status: OrderStatus, ago: Duration) {
    let mut order = along_happy_path(
        sample_order(id, &[("prod-001", 1, 999)], "94102", "tok_visa"),
        status,
    );
    order.created_at = world.clock.now() - ago;
    world.orders.put(order);
}

/// The case it exists for: the POST stored the order and the start failed
/// (here: Step Functions down; in the field also a timeout that killed the
/// function), and the client never retried with its key.
#[tokio::test]
async fn an_order_whose_start_failed_is_started_once_it_is_old_enough() {
    let world = MemoryWorld::default();
    let api = OrdersService::in_memory(&world);
    world.workflow.fail(true);
    let body = json!({
        "items": [{"productId": "prod-001", "quantity": 1}],
        "shipping": {"address": "1 Main St", "city": "SF", "state": "CA", "zip": "94102"},
        "paymentToken": "tok_visa"
    })
    .to_string();
    let mut req = request(
        Method::POST,
        "/api/orders",
        Some(&body),
        Some(&token_for("alice", Role::Customer)),
    );
    req.headers_mut()
        .insert("idempotency-key", "key-1".parse().unwrap());
    assert_eq!(
        api.handle(req).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let order = world.orders.all().remove(0);
    assert_eq!(order.status, OrderStatus::New);
    world.workflow.fail(false);

    let sweeper = sweeper(&world);
    assert_eq!(
        sweeper.start_stalled().await.unwrap(),
        report(&[], &[]),
        "a request may still be working on a young order"
    );
    world.clock.advance(STALLED_AFTER + Duration::seconds(1));
    assert_eq!(
        sweeper.start_stalled().await.unwrap(),
        report(&[&order.id], &[])
    );
    assert_eq!(world.workflow.started(), vec![order.id]);
}

#[tokio::test]
async fn only_new_orders_past_the_cutoff_and_not_flagged_are_started() {
    let world = MemoryWorld::default();
    let old = STALLED_AFTER + Duration::minutes(1);
    stored(&world, "stalled-1", OrderStatus::New, old);
    stored(
        &world,
        "stalled-2",
        OrderStatus::New,
        old + Duration::hours(5),
    );
    stored(&world, "young", OrderStatus::New, Duration::seconds(20));
    stored(&world, "running", OrderStatus::Paid, old);
    stored(&world, "flagged", OrderStatus::New, old);
    let mut flagged = world.orders.get("flagged").await.unwrap().unwrap();
    flagged.needs_attention = true;
    world.orders.put(flagged);

    let done = sweeper(&world).start_stalled().await.unwrap();
    assert_eq!(
        done,
        report(&["stalled-2", "stalled-1"], &[]),
        "oldest first"
    );
    let mut started = world.workflow.started();
    started.sort();
    assert_eq!(started, vec!["stalled-1", "stalled-2"]);
}

#[tokio::test]
async fn a_failed_start_is_reported_and_left_for_the_next_run() {
    let world = MemoryWorld::default();
    stored(&world, "stalled-1", OrderStatus::New, STALLED_AFTER * 2);
    let sweeper = sweeper(&world);
    world.workflow.fail(true);
    assert_eq!(
        sweeper.start_stalled().await.unwrap(),
        report(&[], &["stalled-1"])
    );
    world.workflow.fail(false);
    assert_eq!(
        sweeper.start_stalled().await.unwrap(),
        report(&["stalled-1"], &[])
    );
}
