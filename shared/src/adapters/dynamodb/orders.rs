use super::{
    collect_pages, condition_means, from_item, get_one, put, s, scan_all, store_error, to_av,
    to_item, update, Expr,
};
use crate::domain::{Order, OrderRecord, OrderStatus, TimelineEntry};
use crate::ports::{OrderStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

/// Lists never pull more than this many orders for one response.
const MAX_LISTED: usize = 200;

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
        collect_pages(limit, |start| {
            let page = query.clone().set_exclusive_start_key(start);
            async move { page.send().await.map_err(store_error) }
        })
        .await
    }
}

#[async_trait]
impl OrderStore for DynamoOrderStore {
    async fn create(&self, order: &Order) -> StoreResult<()> {
        let new = Expr::when("attribute_not_exists(id)");
        let created = put(&self.client, &self.table, to_item(order)?, new).await;
        condition_means(created, StoreError::AlreadyExists)
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
        let mut orders: Vec<Order> = scan_all(&self.client, &self.table, 10 * MAX_LISTED).await?;
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

    /// One `UpdateItem` conditional on the status read just before, so the
    /// entry carries the status the order has when it is written; a status
    /// change in between is retried.
    async fn note(&self, id: &str, reason: &str, at: DateTime<Utc>) -> StoreResult<Order> {
        for _ in 0..3 {
            let Some(order) = self.get(id).await? else {
                return Err(StoreError::NotFound);
            };
            let entry = TimelineEntry {
                status: order.status,
                at,
                reason: reason.to_string(),
            };
            let expr = Expr::when("#status = :status")
                .name("#status", "status")
                .value(":status", s(order.status.as_str()))
                .value(":now", to_av(&at)?)
                .value(":entry", to_av(&vec![entry])?);
            let set = "SET updatedAt = :now, timeline = list_append(timeline, :entry)";
            match update(&self.client, &self.table, ("id", id), set, expr).await {
                Ok(item) => return from_item(item),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::ConditionFailed)
    }

    /// One conditional `UpdateItem`: the status, its timeline entry and, if
    /// given, what the step produced (the `payment` or `shipment` map). The
    /// condition admits only the expected statuses the domain lets reach
    /// `next`.
    async fn transition_keeping(
        &self,
        id: &str,
        expected: &[OrderStatus],
        next: OrderStatus,
        reason: &str,
        at: DateTime<Utc>,
        record: Option<&OrderRecord>,
    ) -> StoreResult<Order> {
        let from = next.legal_predecessors_among(expected);
        if from.is_empty() {
            return self.refused(id).await;
        }
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!(":e{i}")).collect();
        let entry = TimelineEntry {
            status: next,
            at,
            reason: reason.to_string(),
        };
        let mut set =
            "SET #status = :next, updatedAt = :now, timeline = list_append(timeline, :entry)"
                .to_string();
        let mut expr = Expr::when(format!(
            "attribute_exists(id) AND #status IN ({})",
            placeholders.join(", ")
        ))
        .name("#status", "status")
        .value(":next", s(next.as_str()))
        .value(":now", to_av(&at)?)
        .value(":entry", to_av(&vec![entry])?);
        for (placeholder, status) in placeholders.iter().zip(&from) {
            expr = expr.value(placeholder, s(status.as_str()));
        }
        let kept = match record {
            Some(OrderRecord::Payment(payment)) => Some(("payment", to_av(payment)?)),
            Some(OrderRecord::Shipment(shipment)) => Some(("shipment", to_av(shipment)?)),
            None => None,
        };
        if let Some((attribute, value)) = kept {
            set.push_str(&format!(", #{attribute} = :{attribute}"));
            expr = expr
                .name(&format!("#{attribute}"), attribute)
                .value(format!(":{attribute}"), value);
        }
        match update(&self.client, &self.table, ("id", id), &set, expr).await {
            Ok(item) => from_item(item),
            Err(StoreError::ConditionFailed) => self.refused(id).await,
            Err(e) => Err(e),
        }
    }
}

impl DynamoOrderStore {
    /// Why a status write did not happen: no such order, or not in a status
    /// that may move there.
    async fn refused(&self, id: &str) -> StoreResult<Order> {
        match self.get(id).await? {
            None => Err(StoreError::NotFound),
            Some(_) => Err(StoreError::ConditionFailed),
        }
    }
}
