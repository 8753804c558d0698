//! DynamoDB adapters, one per store. Items are the domain types serialized
//! with serde_dynamo; every state change is a conditional write. What they
//! share is here: the error mapping, item conversion, consistent reads and
//! paging.

mod attempts;
mod codes;
mod deliveries;
mod idempotency;
mod inventory;
mod orders;
mod payments;
mod products;
mod sessions;
mod users;

pub use attempts::DynamoAttemptStore;
pub use codes::DynamoCodeStore;
pub use deliveries::DynamoShipmentStore;
pub use idempotency::DynamoIdempotencyStore;
pub use inventory::DynamoInventory;
pub use orders::DynamoOrderStore;
pub use payments::DynamoPaymentLedger;
pub use products::DynamoProductStore;
pub use sessions::DynamoSessionStore;
pub use users::DynamoUserStore;

use crate::adapters::aws::{classify, AwsFailure};
use crate::ports::{StoreError, StoreResult};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
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

/// `TransactWriteItems` of `items`, all or none.
async fn transact(client: &Client, items: Vec<TransactWriteItem>) -> Result<(), Cancelled> {
    client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .map(|_| ())
        .map_err(cancelled)
}

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

/// The condition of one write and the names and values its expressions use.
#[derive(Default)]
struct Expr {
    condition: Option<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn when(condition: impl Into<String>) -> Self {
        Expr {
            condition: Some(condition.into()),
            ..Expr::default()
        }
    }

    fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    fn value(mut self, placeholder: impl Into<String>, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    // DynamoDB refuses empty maps: an expression without names sends none.
    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// `UpdateItem` of the item whose `key` attribute is `id`: `set` on
/// `expr`'s condition; the item as it is after the write.
async fn update(
    client: &Client,
    table: &str,
    key: (&str, &str),
    set: &str,
    expr: Expr,
) -> StoreResult<Item> {
    let output = client
        .update_item()
        .table_name(table)
        .key(key.0, s(key.1))
        .update_expression(set)
        .set_condition_expression(expr.condition.clone())
        .set_expression_attribute_names(expr.names())
        .set_expression_attribute_values(expr.values())
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await
        .map_err(store_error)?;
    Ok(output.attributes.unwrap_or_default())
}

/// `PutItem` of `item` on `expr`'s condition.
async fn put(client: &Client, table: &str, item: Item, expr: Expr) -> StoreResult<()> {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(expr.condition.clone())
        .set_expression_attribute_names(expr.names())
        .set_expression_attribute_values(expr.values())
        .send()
        .await
        .map_err(store_error)?;
    Ok(())
}

/// `ConditionFailed` read as what it means for this write.
fn condition_means<T>(result: StoreResult<T>, meaning: StoreError) -> StoreResult<T> {
    match result {
        Err(StoreError::ConditionFailed) => Err(meaning),
        other => other,
    }
}

/// A Query's or Scan's page: its items and where the next page starts.
trait Paged {
    fn into_page(self) -> (Vec<Item>, Option<Item>);
}

impl Paged for aws_sdk_dynamodb::operation::query::QueryOutput {
    fn into_page(self) -> (Vec<Item>, Option<Item>) {
        (self.items.unwrap_or_default(), self.last_evaluated_key)
    }
}

impl Paged for aws_sdk_dynamodb::operation::scan::ScanOutput {
    fn into_page(self) -> (Vec<Item>, Option<Item>) {
        (self.items.unwrap_or_default(), self.last_evaluated_key)
    }
}

/// Reads pages (`fetch` is given where each starts) and decodes their items
/// until the table has no more or `limit` items are in.
async fn collect_pages<T, P, F, Fut>(limit: usize, mut fetch: F) -> StoreResult<Vec<T>>
where
    T: DeserializeOwned,
    P: Paged,
    F: FnMut(Option<Item>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<P>>,
{
    let mut decoded = Vec::new();
    let mut start = None;
    loop {
        let (items, next) = fetch(start.take()).await?.into_page();
        for item in items {
            decoded.push(from_item(item)?);
        }
        match next {
            Some(key) if decoded.len() < limit => start = Some(key),
            _ => break,
        }
    }
    decoded.truncate(limit);
    Ok(decoded)
}

/// Every item of `table` (at most `limit`), decoded.
async fn scan_all<T: DeserializeOwned>(
    client: &Client,
    table: &str,
    limit: usize,
) -> StoreResult<Vec<T>> {
    let scan = client.scan().table_name(table);
    collect_pages(limit, |start| {
        let page = scan.clone().set_exclusive_start_key(start);
        async move { page.send().await.map_err(store_error) }
    })
    .await
}

#[cfg(test)]
mod tests;
