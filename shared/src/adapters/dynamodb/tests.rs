//! The adapters against canned DynamoDB answers: how each kind of failure
//! maps onto the store's errors, and what the conditional writes ask for.

use super::*;
use crate::adapters::canned::{Answer, Canned};
use crate::adapters::memory::sample_order;
use crate::domain::{OrderStatus, MAX_STOCK};
use crate::http::ApiError;
use crate::ports::{
    Claim, IdempotencyRecord, IdempotencyStore, InventoryStore, OrderStore, ProductStore,
    ReservedLine,
};
use crate::step::StepError;
use serde_json::{json, Value};

/// DynamoDB's wire JSON for an attribute value.
fn wire(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::L(list) => json!({ "L": list.iter().map(wire).collect::<Vec<_>>() }),
        AttributeValue::M(map) => json!({ "M": wire_item(map) }),
        other => panic!("no wire form for {other:?} in these tests"),
    }
}

fn wire_item(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), wire(v))).collect())
}

fn order_item(status: OrderStatus) -> Value {
    let mut order = sample_order("o1", &[("prod-001", 1, 100)], "94102", "tok_visa");
    order.status = status;
    wire_item(&to_item(&order).unwrap())
}

fn orders(canned: &Canned) -> DynamoOrderStore {
    DynamoOrderStore::new(canned.dynamodb(), "orders".into())
}

#[tokio::test]
async fn a_request_dynamodb_refuses_is_rejected_never_transient() {
    // A key over 2,048 bytes, a missing permission, a missing table: the
    // same request fails the same way every time.
    for code in [
        "ValidationException",
        "AccessDeniedException",
        "ResourceNotFoundException",
    ] {
        let canned = Canned::new([Answer::error(400, code)]);
        let error = orders(&canned).get(&"x".repeat(2100)).await.unwrap_err();
        assert!(
            matches!(error, StoreError::Rejected(_)),
            "{code}: {error:?}"
        );
        assert_eq!(
            ApiError::from_store("reading", error.clone()).status,
            500,
            "{code}: a client is never told to retry it"
        );
        assert_eq!(StepError::from_store(error).error_type(), "Internal");
    }
}

#[tokio::test]
async fn throttling_server_errors_and_lost_connections_are_transient() {
    for answer in [
        Answer::error(400, "ProvisionedThroughputExceededException"),
        Answer::error(400, "ThrottlingException"),
        Answer::error(400, "RequestLimitExceeded"),
        Answer::error(500, "InternalServerError"),
        Answer::Json(503, "{}".into()),
        Answer::ConnectionRefused,
    ] {
        let canned = Canned::new([answer.clone()]);
        let error = orders(&canned).get("o1").await.unwrap_err();
        assert!(
            matches!(error, StoreError::Transient(_)),
            "{answer:?}: {error:?}"
        );
        assert_eq!(ApiError::from_store("reading", error.clone()).status, 503);
        assert_eq!(StepError::from_store(error).error_type(), "Transient");
    }
}

#[tokio::test]
async fn a_failed_condition_on_create_means_the_id_is_taken() {
    let canned = Canned::new([Answer::error(400, "ConditionalCheckFailedException")]);
    let order = sample_order("o1", &[("prod-001", 1, 100)], "94102", "tok_visa");
    assert_eq!(
        orders(&canned).create(&order).await,
        Err(StoreError::AlreadyExists)
    );
}

#[tokio::test]
async fn a_status_write_admits_only_the_legal_predecessors_of_its_target() {
    let canned = Canned::new([Answer::ok(
        json!({ "Attributes": order_item(OrderStatus::Validated) }),
    )]);
    let expected = [
        OrderStatus::New,
        OrderStatus::Validating,
        OrderStatus::Shipped,
    ];
    let order = orders(&canned)
        .transition(
            "o1",
            &expected,
            OrderStatus::Validated,
            "reserved",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Validated);
    let request = &canned.requests()[0];
    assert_eq!(
        request["ConditionExpression"],
        "attribute_exists(id) AND #status IN (:e0)"
    );
    assert_eq!(
        request["ExpressionAttributeValues"][":e0"],
        json!({"S": "validating"})
    );
}

#[tokio::test]
async fn a_move_the_domain_forbids_is_never_sent() {
    // Only the read that tells a refused move from a missing order.
    let canned = Canned::new([Answer::ok(
        json!({ "Item": order_item(OrderStatus::Delivered) }),
    )]);
    let result = orders(&canned)
        .transition(
            "o1",
            &[OrderStatus::Delivered, OrderStatus::Cancelled],
            OrderStatus::Paid,
            "illegal",
            chrono::Utc::now(),
        )
        .await;
    assert_eq!(result.unwrap_err(), StoreError::ConditionFailed);
    let requests = canned.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].get("UpdateExpression").is_none(),
        "{requests:?}"
    );
}

fn cancelled_transaction(reasons: &[&str]) -> Answer {
    let reasons: Vec<Value> = reasons.iter().map(|code| json!({ "Code": code })).collect();
    Answer::Json(
        400,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled",
            "CancellationReasons": reasons,
        })
        .to_string(),
    )
}

#[tokio::test]
async fn a_cancelled_reservation_says_why() {
    let lines = [
        ReservedLine {
            product_id: "prod-001".into(),
            quantity: 1,
        },
        ReservedLine {
            product_id: "prod-002".into(),
            quantity: 2,
        },
    ];
    let cases = [
        (
            cancelled_transaction(&["None", "None", "ConditionalCheckFailed"]),
            "out of stock",
        ),
        (
            cancelled_transaction(&["None", "TransactionConflict", "None"]),
            "transient",
        ),
        (
            cancelled_transaction(&["ValidationError", "None", "None"]),
            "rejected",
        ),
    ];
    for (answer, expected) in cases {
        let canned = Canned::new([Answer::ok(json!({})), answer]);
        let inventory =
            DynamoInventory::new(canned.dynamodb(), "products".into(), "reservations".into());
        let error = inventory
            .reserve("o1", &lines, chrono::Utc::now())
            .await
            .unwrap_err();
        match expected {
            "out of stock" => assert_eq!(
                error,
                StoreError::OutOfStock {
                    product_id: "prod-002".into()
                }
            ),
            "transient" => assert!(error.is_transient(), "{error:?}"),
            _ => assert!(matches!(error, StoreError::Rejected(_)), "{error:?}"),
        }
    }
}

#[tokio::test]
async fn stock_changes_stay_within_zero_and_the_maximum() {
    // A delta that can never fit is refused without a request.
    let canned = Canned::new([]);
    let products = DynamoProductStore::new(canned.dynamodb(), "products".into());
    assert_eq!(
        products.adjust_stock("prod-001", i64::MIN).await,
        Err(StoreError::OutOfStock {
            product_id: "prod-001".into()
        })
    );
    assert_eq!(
        products.adjust_stock("prod-001", i64::MAX).await,
        Err(StoreError::ConditionFailed)
    );
    assert!(canned.requests().is_empty());

    let product = json!({
        "id": {"S": "prod-001"}, "name": {"S": "Headphones"}, "category": {"S": "Electronics"},
        "description": {"S": ""}, "image": {"S": ""}, "price": {"N": "14999"},
        "stock": {"N": "11"}, "state": {"S": "active"},
    });
    let canned = Canned::new([Answer::ok(json!({ "Attributes": product }))]);
    let products = DynamoProductStore::new(canned.dynamodb(), "products".into());
    assert_eq!(
        products.adjust_stock("prod-001", 1).await.unwrap().stock,
        11
    );
    let values = &canned.requests()[0]["ExpressionAttributeValues"];
    assert_eq!(values[":floor"], json!({"N": "0"}));
    assert_eq!(
        values[":ceiling"],
        json!({"N": (MAX_STOCK - 1).to_string()})
    );

    // At the maximum already: the refusal names the right end.
    let mut full = product.clone();
    full["stock"] = json!({"N": MAX_STOCK.to_string()});
    let canned = Canned::new([
        Answer::error(400, "ConditionalCheckFailedException"),
        Answer::ok(json!({ "Item": full })),
    ]);
    let products = DynamoProductStore::new(canned.dynamodb(), "products".into());
    assert_eq!(
        products.adjust_stock("prod-001", 5).await,
        Err(StoreError::ConditionFailed)
    );
}

#[tokio::test]
async fn idempotency_records_keep_their_stored_attribute_names() {
    let record = IdempotencyRecord {
        key: "orders#u1#key-1".into(),
        fingerprint: "abc".into(),
        value: "order-1".into(),
        completed: true,
        lease_expires_at: 100,
        expires_at: 200,
    };
    let stored = json!({
        "pk": {"S": "orders#u1#key-1"}, "fingerprint": {"S": "abc"}, "value": {"S": "order-1"},
        "completed": {"BOOL": true}, "leaseExpiresAt": {"N": "100"}, "expiresAt": {"N": "200"},
    });
    let canned = Canned::new([
        Answer::error(400, "ConditionalCheckFailedException"),
        Answer::ok(json!({ "Item": stored })),
    ]);
    let store = DynamoIdempotencyStore::new(canned.dynamodb(), "idempotency".into());
    let claim = store.claim(&record, chrono::Utc::now()).await.unwrap();
    assert_eq!(claim, Claim::Existing(record));
    assert_eq!(canned.requests()[0]["Item"], stored);
}
