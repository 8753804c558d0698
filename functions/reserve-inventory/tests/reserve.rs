use reserve_inventory::ReserveInventory;
use shared::adapters::memory::{along_happy_path, sample_order, MemoryWorld};
use shared::domain::{LifecycleEventKind, OrderStatus};
use shared::milestone::MilestoneInput;
use shared::ports::{Clock, InventoryStore, OrderStore, ReservationState};
use shared::step::handle;

fn step(world: &MemoryWorld) -> ReserveInventory {
    ReserveInventory {
        progress: world.progress(),
        inventory: world.catalog.clone(),
    }
}

fn event(order_id: &str) -> lambda_runtime::LambdaEvent<MilestoneInput> {
    MilestoneInput::event(order_id, "event-validated", 1)
}

/// An order as the state machine hands it to the step: `validating`.
async fn order_of(world: &MemoryWorld, id: &str, lines: &[(&str, u32)]) {
    let lines: Vec<(&str, u32, i64)> = lines.iter().map(|(p, q)| (*p, *q, 100)).collect();
    let order = sample_order(id, &lines, "94102", "tok_visa");
    world
        .orders
        .create(&along_happy_path(order, OrderStatus::Validating))
        .await
        .unwrap();
}

async fn status_of(world: &MemoryWorld, id: &str) -> OrderStatus {
    world.orders.get(id).await.unwrap().unwrap().status
}

#[tokio::test]
async fn reserves_every_line_once_even_when_retried() {
    let world = MemoryWorld::default();
    order_of(
        &world,
        "o1",
        &[("prod-001", 2), ("prod-002", 1), ("prod-001", 3)],
    )
    .await;
    let s = step(&world);
    let out = handle(&s, event("o1")).await.unwrap();
    assert_eq!(out.order_id, "o1");
    let lines: Vec<_> = out
        .lines
        .iter()
        .map(|l| (l.product_id.as_str(), l.quantity))
        .collect();
    assert_eq!(
        lines,
        vec![("prod-001", 5), ("prod-002", 1)],
        "repeated products merge"
    );
    assert_eq!(world.catalog.stock("prod-001"), Some(45));
    assert_eq!(world.catalog.stock("prod-002"), Some(99));

    let order = world.orders.get("o1").await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Validated);
    assert_eq!(order.timeline.last().unwrap().reason, "inventory reserved");
    let events = world.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, LifecycleEventKind::Validated);
    assert_eq!(
        (events[0].1.event_id.as_str(), events[0].1.status),
        ("event-validated", OrderStatus::Validated)
    );

    let again = handle(&s, event("o1")).await.unwrap();
    assert_eq!(again.lines, out.lines);
    assert_eq!(
        world.catalog.stock("prod-001"),
        Some(45),
        "a retry must not reserve twice"
    );
    let events = world.publisher.events();
    assert_eq!(events.len(), 2, "a retry publishes again, with the same id");
    assert_eq!(events[1].1.event_id, "event-validated");
}

#[tokio::test]
async fn a_publish_failure_is_transient_and_keeps_the_reservation_for_the_retry() {
    let world = MemoryWorld::default();
    order_of(&world, "o1", &[("prod-001", 2)]).await;
    let s = step(&world);
    world.publisher.fail(true);
    assert_eq!(
        handle(&s, event("o1")).await.unwrap_err().error_type(),
        "Transient"
    );
    assert_eq!(status_of(&world, "o1").await, OrderStatus::Validated);
    world.publisher.fail(false);
    handle(&s, event("o1")).await.unwrap();
    assert_eq!(world.catalog.stock("prod-001"), Some(48));
    assert_eq!(world.publisher.events().len(), 1);
}

#[tokio::test]
async fn a_cancelled_order_is_order_moved_and_takes_no_stock() {
    let world = MemoryWorld::default();
    order_of(&world, "o1", &[("prod-001", 2)]).await;
    world
        .orders
        .transition(
            "o1",
            &[OrderStatus::Validating],
            OrderStatus::Cancelled,
            "customer",
            world.clock.now(),
        )
        .await
        .unwrap();
    let err = handle(&step(&world), event("o1")).await.unwrap_err();
    assert_eq!(err.error_type(), "OrderMoved");
    assert_eq!(world.catalog.stock("prod-001"), Some(50));
    assert_eq!(world.catalog.get("o1").await.unwrap(), None);
    assert!(world.publisher.events().is_empty());
}

#[tokio::test]
async fn out_of_stock_reserves_nothing_and_names_the_product() {
    let world = MemoryWorld::default();
    order_of(&world, "o1", &[("prod-002", 1), ("prod-004", 41)]).await;
    let err = handle(&step(&world), event("o1")).await.unwrap_err();
    assert_eq!(err.error_type(), "OutOfStock");
    assert!(err.to_string().contains("prod-004"));
    assert_eq!(world.catalog.stock("prod-002"), Some(100), "all or nothing");
    assert_eq!(world.catalog.stock("prod-004"), Some(40));
    assert_eq!(world.catalog.get("o1").await.unwrap(), None);
}

#[tokio::test]
async fn the_last_units_go_to_exactly_one_order() {
    let world = MemoryWorld::default();
    order_of(&world, "a", &[("prod-004", 40)]).await;
    order_of(&world, "b", &[("prod-004", 1)]).await;
    let s = step(&world);
    assert!(handle(&s, event("a")).await.is_ok());
    assert_eq!(
        handle(&s, event("b")).await.unwrap_err().error_type(),
        "OutOfStock"
    );
    assert_eq!(world.catalog.stock("prod-004"), Some(0));
}

#[tokio::test]
async fn after_a_release_the_order_cannot_reserve_again() {
    let world = MemoryWorld::default();
    order_of(&world, "o1", &[("prod-001", 1)]).await;
    world
        .catalog
        .release("o1", chrono::Utc::now())
        .await
        .unwrap();
    let err = handle(&step(&world), event("o1")).await.unwrap_err();
    assert_eq!(err.error_type(), "ReservationReleased");
    assert_eq!(world.catalog.stock("prod-001"), Some(50));
    assert_eq!(
        world.catalog.get("o1").await.unwrap().unwrap().state,
        ReservationState::Released
    );
}

#[tokio::test]
async fn an_unknown_order_is_order_not_found() {
    let world = MemoryWorld::default();
    let err = handle(&step(&world), event("missing")).await.unwrap_err();
    assert_eq!(err.error_type(), "OrderNotFound");
}
