use super::{
    collect_pages, from_item, get_one, s, store_error, store_error_as, to_av, to_item, Page,
};
use crate::domain::{Order, OrderRecord, OrderStatus, TimelineEntry};
use crate::ports::{OrderStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValue;
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
            async move {
                let output = page.send().await.map_err(store_error)?;
                Ok(Page {
                    items: output.items.unwrap_or_default(),
                    next: output.last_evaluated_key,
                })
            }
        })
        .await
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
            .map_err(store_error_as(StoreError::AlreadyExists))?;
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
        let scan = self.client.scan().table_name(&self.table);
        let mut orders: Vec<Order> = collect_pages(10 * MAX_LISTED, |start| {
            let page = scan.clone().set_exclusive_start_key(start);
            async move {
                let output = page.send().await.map_err(store_error)?;
                Ok(Page {
                    items: output.items.unwrap_or_default(),
                    next: output.last_evaluated_key,
                })
            }
        })
        .await?;
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
        for (placeholder, status) in placeholders.iter().zip(&from) {
            request = request.expression_attribute_values(placeholder, s(status.as_str()));
        }
        if let Some((attribute, value)) = kept {
            request = request
                .expression_attribute_names(format!("#{attribute}"), attribute)
                .expression_attribute_values(format!(":{attribute}"), value);
        }
        match request.send().await.map_err(store_error) {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
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
