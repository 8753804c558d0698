use release_inventory::ReleaseInventory;
use shared::adapters::memory::MemoryWorld;
use shared::ports::{InventoryStore, ReservedLine};
use shared::step::{event_for as event, handle};

fn step(world: &MemoryWorld) -> ReleaseInventory {
    ReleaseInventory {
        inventory: world.catalog.clone(),
        clock: world.clock.clone(),
    }
}

#[tokio::test]
async fn gives_back_exactly_what_was_reserved_once() {
    let world = MemoryWorld::default();
    let lines = vec![
        ReservedLine {
            product_id: "prod-001".into(),
            quantity: 4,
        },
        ReservedLine {
            product_id: "prod-005".into(),
            quantity: 20,
        },
    ];
    world
        .catalog
        .reserve("o1", &lines, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(world.catalog.stock("prod-001"), Some(46));
    let s = step(&world);

    let first = handle(&s, event("o1")).await.unwrap();
    assert!(first.released);
    assert_eq!(world.catalog.stock("prod-001"), Some(50));
    assert_eq!(world.catalog.stock("prod-005"), Some(120));

    let second = handle(&s, event("o1")).await.unwrap();
    assert!(!second.released, "a second release gives nothing back");
    assert_eq!(world.catalog.stock("prod-001"), Some(50));
}

#[tokio::test]
async fn releasing_an_order_that_reserved_nothing_is_a_no_op() {
    let world = MemoryWorld::default();
    let out = handle(&step(&world), event("never-reserved"))
        .await
        .unwrap();
    assert_eq!(out.order_id, "never-reserved");
    assert!(!out.released);
    assert_eq!(world.catalog.stock("prod-001"), Some(50));
}
