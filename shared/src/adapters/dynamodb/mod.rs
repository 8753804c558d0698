//! DynamoDB adapters, one per store. Items are the domain types serialized
//! with serde_dynamo; every state change is a conditional write. What they
//! share is here: the error mapping, item conversion, consistent reads and
//! paging.

mod deliveries;
mod idempotency;
mod inventory;
mod orders;
mod payments;
mod products;
mod users;

pub use deliveries::DynamoShipmentStore;
pub use idempotency::DynamoIdempotencyStore;
pub use inventory::DynamoInventory;
pub use orders::DynamoOrderStore;
pub use payments::DynamoPaymentLedger;
pub use products::DynamoProductStore;
pub use users::DynamoUserStore;

use crate::adapters::aws::{classify, AwsFailure};
use crate::ports::{StoreError, StoreResult};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// The one mapping of a failed DynamoDB call onto the store's errors: a
/// failed condition is `ConditionFailed`, what may succeed later is
/// `Transient`, the rest is `Rejected` (never retried).
fn store_error<E>(err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if err.code() == Some("ConditionalCheckFailedException") {
        return StoreError::ConditionFailed;
    }
    match classify(err) {
        AwsFailure::Transient(message) => StoreError::Transient(message),
        AwsFailure::Rejected { message, .. } => StoreError::Rejected(message),
    }
}

/// `store_error`, for a write whose failed condition means the item is not
/// there (or, for a create, is there already).
fn store_error_as<E>(condition: StoreError) -> impl FnOnce(SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |err| match store_error(err) {
        StoreError::ConditionFailed => condition,
        other => other,
    }
}

/// How a cancelled `TransactWriteItems` went: which item's condition failed
/// first, or the store error it amounts to.
enum Cancelled {
    /// The condition of the item at this index (request order) failed.
    Condition(usize),
    Other(StoreError),
}

/// Reasons DynamoDB gives per item of a cancelled transaction that a retry
/// may get past.
const TRANSIENT_CANCELLATIONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

fn cancelled(err: SdkError<TransactWriteItemsError, HttpResponse>) -> Cancelled {
    let codes: Option<Vec<String>> = match &err {
        SdkError::ServiceError(service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(e) => Some(
                e.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    };
    let Some(codes) = codes else {
        return Cancelled::Other(store_error(err));
    };
    if let Some(i) = codes.iter().position(|c| c == "ConditionalCheckFailed") {
        return Cancelled::Condition(i);
    }
    let message = format!("transaction cancelled: {codes:?}");
    if codes
        .iter()
        .any(|c| TRANSIENT_CANCELLATIONS.contains(&c.as_str()))
    {
        Cancelled::Other(StoreError::Transient(message))
    } else {
        Cancelled::Other(StoreError::Rejected(message))
    }
}

fn to_item<T: Serialize>(value: &T) -> StoreResult<Item> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_item<T: DeserializeOwned>(item: Item) -> StoreResult<T> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn to_av<T: Serialize>(value: &T) -> StoreResult<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> StoreResult<T> {
    result.map_err(|e| StoreError::Rejected(format!("request build: {e}")))
}

/// A strongly consistent read of one item by its key, decoded.
async fn get_one<T: DeserializeOwned>(
    client: &Client,
    table: &str,
    key: &str,
    value: &str,
) -> StoreResult<Option<T>> {
    let output = client
        .get_item()
        .table_name(table)
        .key(key, s(value))
        .consistent_read(true)
        .send()
        .await
        .map_err(store_error)?;
    output.item.map(from_item).transpose()
}

/// One page of a Query or Scan: its items and where the next page starts.
struct Page {
    items: Vec<Item>,
    next: Option<Item>,
}

/// Reads pages (`fetch` is given where each starts) and decodes their items
/// until the table has no more or `limit` items are in.
async fn collect_pages<T, F, Fut>(limit: usize, mut fetch: F) -> StoreResult<Vec<T>>
where
    T: DeserializeOwned,
    F: FnMut(Option<Item>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Page>>,
{
    let mut decoded = Vec::new();
    let mut start = None;
    loop {
        let page = fetch(start.take()).await?;
        for item in page.items {
            decoded.push(from_item(item)?);
        }
        match page.next {
            Some(key) if decoded.len() < limit => start = Some(key),
            _ => break,
        }
    }
    decoded.truncate(limit);
    Ok(decoded)
}

#[cfg(test)]
mod tests;
