use reserve_inventory::ReserveInventory;
use shared::adapters::memory::{sample_order, MemoryWorld};
use shared::ports::{InventoryStore, OrderStore, ReservationState};
use shared::step::{event_for as event, handle};

fn step(world: &MemoryWorld) -> ReserveInventory {
    ReserveInventory {
        orders: world.orders.clone(),
        inventory: world.catalog.clone(),
        clock: world.clock.clone(),
    }
}

async fn order_of(world: &MemoryWorld, id: &str, lines: &[(&str, u32)]) {
    let lines: Vec<(&str, u32, i64)> = lines.iter().map(|(p, q)| (*p, *q, 100)).collect();
    world
        .orders
        .create(&sample_order(id, &lines, "94102", "tok_visa"))
        .await
        .unwrap();
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

    let again = handle(&s, event("o1")).await.unwrap();
    assert_eq!(again.lines, out.lines);
    assert_eq!(
        world.catalog.stock("prod-001"),
        Some(45),
        "a retry must not reserve twice"
    );
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
