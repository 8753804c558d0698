use super::{from_item, get_one, n, s, store_error, to_av};
use crate::ports::{
    Charge, PaymentLedger, PaymentRecord, PaymentState, Refund, StoreError, StoreResult,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;

/// The payment ledger: attempts, the charge and its refund per order.
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
