//! Test helpers that are not adapters: files generated from the code.

use std::path::PathBuf;

/// Checks that a file generated from the code (`path`, from the repository
/// root) is committed as `contents`; with `BLESS=1` writes it instead. The
/// JavaScript checks read these files, so a table changed in Rust but not
/// where it is copied fails one test or the other.
pub fn check_generated(path: &str, contents: &str) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    if std::env::var("BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&file, contents).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == contents,
        "{path} is out of date with the code. Rewrite it with BLESS=1 and the \
         same cargo test command, then fix what its checks (scripts/check-infra.sh) \
         find.\n--- generated ---\n{contents}"
    );
}

/// The order stores' shared contract, run against every adapter (the
/// in-memory one in shared's unit tests, DynamoDB in the end-to-end suite):
/// from each status, exactly the moves the domain allows go through, and a
/// refused move leaves the order as it was. `prefix` keeps the ids apart.
pub async fn order_store_contract(store: &dyn crate::ports::OrderStore, prefix: &str) {
    use crate::adapters::memory::sample_order;
    use crate::domain::OrderStatus;
    use crate::ports::StoreError;

    let at = chrono::Utc::now();
    let place = |id: &str, status: OrderStatus| {
        let mut order = sample_order(id, &[("prod-001", 1, 14999)], "94102", "tok_visa");
        order.status = status;
        order
    };
    for from in OrderStatus::ALL {
        for to in OrderStatus::ALL {
            let id = format!("{prefix}-{from}-{to}");
            store.create(&place(&id, from)).await.expect("create");
            // Every status expected: only the domain's table can refuse.
            let result = store
                .transition(&id, &OrderStatus::ALL, to, "contract", at)
                .await;
            let stored = store.get(&id).await.expect("get").expect("stored");
            if from.can_become(to) {
                let moved = result.unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                assert_eq!(moved.status, to, "{from} -> {to}");
                assert_eq!(stored.status, to, "{from} -> {to}");
                assert_eq!(stored.timeline.len(), 2, "{from} -> {to}: one entry added");
            } else {
                assert_eq!(result, Err(StoreError::ConditionFailed), "{from} -> {to}");
                assert_eq!(stored.status, from, "{from} -> {to} changed the order");
                assert_eq!(stored.timeline.len(), 1, "{from} -> {to} added an entry");
            }
        }
    }
    // A legal move from a status the caller did not expect is refused too.
    let id = format!("{prefix}-unexpected");
    store
        .create(&place(&id, OrderStatus::Validating))
        .await
        .expect("create");
    assert_eq!(
        store
            .transition(
                &id,
                &[OrderStatus::New],
                OrderStatus::Validated,
                "contract",
                at
            )
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        store
            .transition(
                &format!("{prefix}-missing"),
                &[OrderStatus::New],
                OrderStatus::Validating,
                "contract",
                at
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.create(&place(&id, OrderStatus::New)).await,
        Err(StoreError::AlreadyExists)
    );
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_in_memory_order_store_keeps_the_contract() {
        let store = crate::adapters::memory::MemoryOrderStore::default();
        super::order_store_contract(&store, "memory").await;
    }
}
