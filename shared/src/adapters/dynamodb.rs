//! DynamoDB adapters. Items are the domain types serialized with
//! serde_dynamo; every state change is a conditional write.

use crate::domain::*;
use crate::ports::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// Lists never pull more than this many orders for one response.
const MAX_LISTED: usize = 200;

fn store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(service) = &err {
        if service.err().code() == Some("ConditionalCheckFailedException") {
            return StoreError::ConditionFailed;
        }
    }
    StoreError::Unavailable(DisplayErrorContext(err).to_string())
}

/// Why each item of a cancelled transaction failed, in request order.
fn cancellation_codes<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<String>> {
    match err {
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
    result.map_err(|e| StoreError::Corrupt(format!("request build: {e}")))
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

// ---------------------------------------------------------------- orders

pub struct DynamoOrderStore {
    client: Client,
    table: String,
}

impl DynamoOrderStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoOrderStore { client, table }
    }

    /// Newest first, at most `limit`, from an index whose sort key is
    /// `createdAt`.
    async fn query_index(
        &self,
        index: &str,
        key: &str,
        value: &str,
        limit: usize,
    ) -> StoreResult<Vec<Order>> {
        let query = self
            .client
            .query()
            .key_condition_expression("#k = :v")
            .scan_index_forward(false);
        self.query_pages(query, index, key, value, limit).await
    }

    async fn query_pages(
        &self,
        query: QueryFluentBuilder,
        index: &str,
        key: &str,
        value: &str,
        limit: usize,
    ) -> StoreResult<Vec<Order>> {
        let query = query
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_names("#k", key)
            .expression_attribute_values(":v", s(value));
        let mut orders = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in page.items.unwrap_or_default() {
                orders.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(key) if orders.len() < limit => start = Some(key),
                _ => break,
            }
        }
        orders.truncate(limit);
        Ok(orders)
    }
}

#[async_trait]
impl OrderStore for DynamoOrderStore {
    async fn create(&self, order: &Order) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(order)?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
            .map_err(|e| match store_error(e) {
                StoreError::ConditionFailed => StoreError::AlreadyExists,
                other => other,
            })?;
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Order>> {
        get_one(&self.client, &self.table, "id", id).await
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Order>> {
        self.query_index("byUser", "userId", user_id, MAX_LISTED)
            .await
    }

    async fn list_all(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>> {
        let limit = limit.min(MAX_LISTED);
        if let Some(status) = status {
            return self
                .query_index("byStatus", "status", status.as_str(), limit)
                .await;
        }
        // Without a status there is no sort key to query; an admin view
        // scans (bounded) and sorts.
        let mut orders: Vec<Order> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in page.items.unwrap_or_default() {
                orders.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(key) if orders.len() < 10 * MAX_LISTED => start = Some(key),
                _ => break,
            }
        }
        orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        orders.truncate(limit);
        Ok(orders)
    }

    async fn list_created_before(
        &self,
        status: OrderStatus,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Order>> {
        // createdAt is stored as RFC 3339 in UTC, so it sorts as a string.
        let query = self
            .client
            .query()
            .key_condition_expression("#k = :v AND createdAt < :before")
            .expression_attribute_values(":before", to_av(&before)?)
            .scan_index_forward(true);
        self.query_pages(query, "byStatus", "status", status.as_str(), limit)
            .await
    }

    /// One conditional `UpdateItem`: the status, its timeline entry and, if
    /// given, what the step produced (the `payment` or `shipment` map).
    async fn transition_keeping(
        &self,
        id: &str,
        expected: &[OrderStatus],
        next: OrderStatus,
        reason: &str,
        at: DateTime<Utc>,
        record: Option<&OrderRecord>,
    ) -> StoreResult<Order> {
        let placeholders: Vec<String> = (0..expected.len()).map(|i| format!(":e{i}")).collect();
        let entry = TimelineEntry {
            status: next,
            at,
            reason: reason.to_string(),
        };
        let mut update =
            "SET #status = :next, updatedAt = :now, timeline = list_append(timeline, :entry)"
                .to_string();
        let kept = match record {
            Some(OrderRecord::Payment(payment)) => Some(("payment", to_av(payment)?)),
            Some(OrderRecord::Shipment(shipment)) => Some(("shipment", to_av(shipment)?)),
            None => None,
        };
        if let Some((attribute, _)) = &kept {
            update.push_str(&format!(", #{attribute} = :{attribute}"));
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .update_expression(update)
            .condition_expression(format!(
                "attribute_exists(id) AND #status IN ({})",
                placeholders.join(", ")
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":next", s(next.as_str()))
            .expression_attribute_values(":now", to_av(&at)?)
            .expression_attribute_values(":entry", to_av(&vec![entry])?)
            .return_values(ReturnValue::AllNew);
        for (placeholder, status) in placeholders.iter().zip(expected) {
            request = request.expression_attribute_values(placeholder, s(status.as_str()));
        }
        if let Some((attribute, value)) = kept {
            request = request
                .expression_attribute_names(format!("#{attribute}"), attribute)
                .expression_attribute_values(format!(":{attribute}"), value);
        }
        match request.send().await.map_err(store_error) {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            Err(StoreError::ConditionFailed) => match self.get(id).await? {
                None => Err(StoreError::NotFound),
                Some(_) => Err(StoreError::ConditionFailed),
            },
            Err(e) => Err(e),
        }
    }
}

// -------------------------------------------------------------- products

pub struct DynamoCatalog {
    client: Client,
    products_table: String,
    reservations_table: String,
}

impl DynamoCatalog {
    pub fn new(client: Client, products_table: String, reservations_table: String) -> Self {
        DynamoCatalog {
            client,
            products_table,
            reservations_table,
        }
    }

    fn stock_update(
        &self,
        line: &ReservedLine,
        sign: &str,
        check_stock: bool,
    ) -> StoreResult<TransactWriteItem> {
        let mut update = Update::builder()
            .table_name(&self.products_table)
            .key("id", s(&line.product_id))
            .update_expression(format!("SET stock = stock {sign} :q"))
            .expression_attribute_values(":q", n(line.quantity));
        update = if check_stock {
            update
                .condition_expression("stock >= :q AND #state = :active")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":active", s("active"))
        } else {
            update.condition_expression("attribute_exists(id)")
        };
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    async fn get_reservation(&self, order_id: &str) -> StoreResult<Option<Reservation>> {
        get_one(&self.client, &self.reservations_table, "orderId", order_id).await
    }

    fn existing_reservation(existing: Option<Reservation>) -> StoreResult<Reservation> {
        match existing {
            Some(r) if r.state == ReservationState::Reserved => Ok(r),
            Some(_) => Err(StoreError::ConditionFailed),
            None => Err(StoreError::Unavailable(
                "reservation vanished during a race".into(),
            )),
        }
    }
}

#[async_trait]
impl ProductStore for DynamoCatalog {
    async fn list(&self) -> StoreResult<Vec<Product>> {
        let mut products: Vec<Product> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.products_table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in page.items.unwrap_or_default() {
                products.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        products.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(products)
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Product>> {
        get_one(&self.client, &self.products_table, "id", id).await
    }

    async fn create(&self, product: &Product) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.products_table)
            .set_item(Some(to_item(product)?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
            .map_err(|e| match store_error(e) {
                StoreError::ConditionFailed => StoreError::AlreadyExists,
                other => other,
            })?;
        Ok(())
    }

    async fn update_details(&self, product: &Product) -> StoreResult<Product> {
        let output = self
            .client
            .update_item()
            .table_name(&self.products_table)
            .key("id", s(&product.id))
            .update_expression(
                "SET #name = :name, category = :category, description = :description, \
                 image = :image, price = :price, #state = :state",
            )
            .condition_expression("attribute_exists(id)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":name", s(&product.name))
            .expression_attribute_values(":category", s(&product.category))
            .expression_attribute_values(":description", s(&product.description))
            .expression_attribute_values(":image", s(&product.image))
            .expression_attribute_values(":price", n(product.price.cents()))
            .expression_attribute_values(":state", to_av(&product.state)?)
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| match store_error(e) {
                StoreError::ConditionFailed => StoreError::NotFound,
                other => other,
            })?;
        from_item(output.attributes.unwrap_or_default())
    }

    async fn adjust_stock(&self, id: &str, delta: i64) -> StoreResult<Product> {
        let result = self
            .client
            .update_item()
            .table_name(&self.products_table)
            .key("id", s(id))
            .update_expression("SET stock = stock + :delta")
            .condition_expression("attribute_exists(id) AND stock >= :floor")
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":floor", n((-delta).max(0)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error);
        match result {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            Err(StoreError::ConditionFailed) => match ProductStore::get(self, id).await? {
                None => Err(StoreError::NotFound),
                Some(_) => Err(StoreError::OutOfStock {
                    product_id: id.to_string(),
                }),
            },
            Err(e) => Err(e),
        }
    }

    async fn seed(&self, products: &[Product]) -> StoreResult<usize> {
        let mut inserted = 0;
        for product in products {
            match ProductStore::create(self, product).await {
                Ok(()) => inserted += 1,
                Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(inserted)
    }
}

#[async_trait]
impl InventoryStore for DynamoCatalog {
    async fn reserve(
        &self,
        order_id: &str,
        lines: &[ReservedLine],
        at: DateTime<Utc>,
    ) -> StoreResult<Reservation> {
        if let Some(existing) = self.get_reservation(order_id).await? {
            return Self::existing_reservation(Some(existing));
        }
        let reservation = Reservation {
            order_id: order_id.to_string(),
            lines: lines.to_vec(),
            state: ReservationState::Reserved,
            updated_at: at,
        };
        let put = built(
            Put::builder()
                .table_name(&self.reservations_table)
                .set_item(Some(to_item(&reservation)?))
                .condition_expression("attribute_not_exists(orderId)")
                .build(),
        )?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        for line in lines {
            items.push(self.stock_update(line, "-", true)?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(reservation),
            Err(err) => match cancellation_codes(&err) {
                Some(codes) if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") => {
                    // Another attempt for this order got there first.
                    Self::existing_reservation(self.get_reservation(order_id).await?)
                }
                Some(codes) => match codes
                    .iter()
                    .skip(1)
                    .position(|c| c == "ConditionalCheckFailed")
                {
                    Some(i) => Err(StoreError::OutOfStock {
                        product_id: lines[i].product_id.clone(),
                    }),
                    None => Err(StoreError::Unavailable(format!(
                        "transaction cancelled: {codes:?}"
                    ))),
                },
                None => Err(store_error(err)),
            },
        }
    }

    async fn release(&self, order_id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let Some(reservation) = self.get_reservation(order_id).await? else {
            // Nothing reserved: leave a released marker so a reserve that
            // arrives late (after cancel) cannot take stock.
            let marker = Reservation {
                order_id: order_id.to_string(),
                lines: vec![],
                state: ReservationState::Released,
                updated_at: at,
            };
            let put = self
                .client
                .put_item()
                .table_name(&self.reservations_table)
                .set_item(Some(to_item(&marker)?))
                .condition_expression("attribute_not_exists(orderId)")
                .send()
                .await
                .map_err(store_error);
            return match put {
                Ok(_) => Ok(false),
                // A reserve won the race: release what it took.
                Err(StoreError::ConditionFailed) => Box::pin(self.release(order_id, at)).await,
                Err(e) => Err(e),
            };
        };
        if reservation.state == ReservationState::Released {
            return Ok(false);
        }
        let mark_released = built(
            Update::builder()
                .table_name(&self.reservations_table)
                .key("orderId", s(order_id))
                .update_expression("SET #state = :released, updatedAt = :now")
                .condition_expression("#state = :reserved")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":released", s("released"))
                .expression_attribute_values(":reserved", s("reserved"))
                .expression_attribute_values(":now", to_av(&at)?)
                .build(),
        )?;
        let mut items = vec![TransactWriteItem::builder().update(mark_released).build()];
        for line in &reservation.lines {
            items.push(self.stock_update(line, "+", false)?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match cancellation_codes(&err) {
                Some(codes) if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") => {
                    Ok(false)
                }
                Some(codes) => Err(StoreError::Unavailable(format!(
                    "release cancelled: {codes:?}"
                ))),
                None => Err(store_error(err)),
            },
        }
    }

    async fn get(&self, order_id: &str) -> StoreResult<Option<Reservation>> {
        self.get_reservation(order_id).await
    }
}

// ----------------------------------------------------------------- users

pub struct DynamoUserStore {
    client: Client,
    table: String,
}

impl DynamoUserStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoUserStore { client, table }
    }

    fn user_key(id: &str) -> String {
        format!("USER#{id}")
    }

    fn email_key(email: &str) -> String {
        format!("EMAIL#{email}")
    }
}

#[async_trait]
impl UserStore for DynamoUserStore {
    async fn create(&self, user: &User) -> StoreResult<()> {
        let mut profile = to_item(user)?;
        profile.insert("pk".into(), s(Self::user_key(&user.id)));
        let profile = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(profile))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        let email = built(
            Put::builder()
                .table_name(&self.table)
                .item("pk", s(Self::email_key(&user.email)))
                .item("userId", s(&user.id))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(profile).build())
            .transact_items(TransactWriteItem::builder().put(email).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match cancellation_codes(&err) {
                Some(codes) if codes.iter().any(|c| c == "ConditionalCheckFailed") => {
                    Err(StoreError::AlreadyExists)
                }
                Some(codes) => Err(StoreError::Unavailable(format!(
                    "registration cancelled: {codes:?}"
                ))),
                None => Err(store_error(err)),
            },
        }
    }

    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        get_one(&self.client, &self.table, "pk", &Self::user_key(id)).await
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(Self::email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        let user_id = match output.item.as_ref().and_then(|i| i.get("userId")) {
            Some(AttributeValue::S(id)) => id.clone(),
            Some(_) => return Err(StoreError::Corrupt("email pointer without userId".into())),
            None => return Ok(None),
        };
        self.get(&user_id).await
    }

    async fn update_name(&self, id: &str, name: &str) -> StoreResult<User> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(Self::user_key(id)))
            .update_expression("SET #name = :name")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":name", s(name))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| match store_error(e) {
                StoreError::ConditionFailed => StoreError::NotFound,
                other => other,
            })?;
        from_item(output.attributes.unwrap_or_default())
    }
}

// ----------------------------------------------------------- idempotency

pub struct DynamoIdempotencyStore {
    client: Client,
    table: String,
}

impl DynamoIdempotencyStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoIdempotencyStore { client, table }
    }
}

fn record_from_item(item: &Item) -> StoreResult<IdempotencyRecord> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Corrupt(format!(
            "idempotency record without {name}"
        ))),
    };
    let number = |name: &str| match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse::<i64>()
            .map_err(|e| StoreError::Corrupt(e.to_string())),
        _ => Ok(0),
    };
    Ok(IdempotencyRecord {
        key: text("pk")?,
        fingerprint: text("fingerprint")?,
        value: text("value")?,
        completed: matches!(item.get("completed"), Some(AttributeValue::Bool(true))),
        lease_expires_at: number("leaseExpiresAt")?,
        expires_at: number("expiresAt")?,
    })
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotencyStore {
    async fn claim(&self, record: &IdempotencyRecord, now: DateTime<Utc>) -> StoreResult<Claim> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&record.key))
            .item("fingerprint", s(&record.fingerprint))
            .item("value", s(&record.value))
            .item("completed", AttributeValue::Bool(record.completed))
            .item("leaseExpiresAt", n(record.lease_expires_at))
            .item("expiresAt", n(record.expires_at))
            // TTL deletion lags by hours, so expiry is checked here too.
            .condition_expression(
                "attribute_not_exists(pk) OR expiresAt <= :now \
                 OR (completed = :false AND leaseExpiresAt <= :now)",
            )
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(store_error);
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(StoreError::ConditionFailed) => {
                let output = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(&record.key))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(store_error)?;
                match output.item {
                    Some(item) => Ok(Claim::Existing(record_from_item(&item)?)),
                    None => Err(StoreError::Unavailable(
                        "idempotency record vanished".into(),
                    )),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn complete(&self, key: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("SET completed = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| match store_error(e) {
                StoreError::ConditionFailed => StoreError::NotFound,
                other => other,
            })?;
        Ok(())
    }

    async fn release(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

// -------------------------------------------------------------- payments

pub struct DynamoPaymentLedger {
    client: Client,
    table: String,
}

impl DynamoPaymentLedger {
    pub fn new(client: Client, table: String) -> Self {
        DynamoPaymentLedger { client, table }
    }
}

#[async_trait]
impl PaymentLedger for DynamoPaymentLedger {
    async fn get(&self, order_id: &str) -> StoreResult<Option<PaymentRecord>> {
        get_one(&self.client, &self.table, "orderId", order_id).await
    }

    async fn record_attempt(&self, order_id: &str) -> StoreResult<u32> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("orderId", s(order_id))
            .update_expression("SET #state = if_not_exists(#state, :attempted) ADD attempts :one")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":attempted", s("attempted"))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error)?;
        let record: PaymentRecord = from_item(output.attributes.unwrap_or_default())?;
        Ok(record.attempts)
    }

    async fn record_charge(&self, order_id: &str, charge: &Charge) -> StoreResult<PaymentRecord> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("orderId", s(order_id))
            .update_expression("SET charge = :charge, #state = :charged, attempts = if_not_exists(attempts, :zero)")
            .condition_expression("attribute_not_exists(charge)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":charge", to_av(charge)?)
            .expression_attribute_values(":charged", s("charged"))
            .expression_attribute_values(":zero", n(0))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error);
        match result {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            Err(StoreError::ConditionFailed) => {
                self.get(order_id).await?.ok_or(StoreError::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    async fn record_refund(&self, order_id: &str, refund: &Refund) -> StoreResult<PaymentRecord> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("orderId", s(order_id))
            .update_expression("SET refund = :refund, #state = :refunded")
            .condition_expression("#state = :charged")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":refund", to_av(refund)?)
            .expression_attribute_values(":refunded", s("refunded"))
            .expression_attribute_values(":charged", s("charged"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error);
        match result {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            Err(StoreError::ConditionFailed) => match self.get(order_id).await? {
                Some(record) if record.state == PaymentState::Refunded => Ok(record),
                _ => Err(StoreError::NotFound),
            },
            Err(e) => Err(e),
        }
    }
}

// ------------------------------------------------------------- shipments

pub struct DynamoShipmentStore {
    client: Client,
    table: String,
}

impl DynamoShipmentStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoShipmentStore { client, table }
    }
}

#[async_trait]
impl ShipmentStore for DynamoShipmentStore {
    async fn register(&self, delivery: &AwaitedDelivery) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(delivery)?))
            .condition_expression("attribute_not_exists(trackingNumber) OR #state = :awaiting")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":awaiting", s("awaiting"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, tracking_number: &str) -> StoreResult<Option<AwaitedDelivery>> {
        get_one(&self.client, &self.table, "trackingNumber", tracking_number).await
    }

    async fn complete(
        &self,
        tracking_number: &str,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("trackingNumber", s(tracking_number))
            .update_expression("SET #state = :state, completedAt = :at")
            .condition_expression("#state = :awaiting")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", to_av(&state)?)
            .expression_attribute_values(":at", to_av(&at)?)
            .expression_attribute_values(":awaiting", s("awaiting"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn reopen(&self, tracking_number: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("trackingNumber", s(tracking_number))
            .update_expression("SET #state = :awaiting REMOVE completedAt")
            .condition_expression("attribute_exists(trackingNumber)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":awaiting", s("awaiting"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
