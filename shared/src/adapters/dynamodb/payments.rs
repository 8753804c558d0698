use super::{from_item, get_one, n, s, to_av, update, Expr};
use crate::ports::{
    Charge, PaymentLedger, PaymentRecord, PaymentState, PendingIntent, Refund, StoreError,
    StoreResult,
};
use async_trait::async_trait;
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
        let counted = Expr::default()
            .name("#state", "state")
            .value(":attempted", s("attempted"))
            .value(":one", n(1));
        let set = "SET #state = if_not_exists(#state, :attempted) ADD attempts :one";
        let item = update(
            &self.client,
            &self.table,
            ("orderId", order_id),
            set,
            counted,
        )
        .await?;
        let record: PaymentRecord = from_item(item)?;
        Ok(record.attempts)
    }

    async fn record_intent(
        &self,
        order_id: &str,
        intent: &PendingIntent,
    ) -> StoreResult<PaymentRecord> {
        let newer = Expr::when(
            "attribute_not_exists(charge) AND (attribute_not_exists(intent) OR intent.attempt < :attempt)",
        )
        .name("#state", "state")
        .value(":intent", to_av(intent)?)
        .value(":attempt", n(intent.attempt))
        .value(":attempted", s("attempted"))
        .value(":zero", n(0));
        let set = "SET intent = :intent, #state = if_not_exists(#state, :attempted), attempts = if_not_exists(attempts, :zero)";
        match update(&self.client, &self.table, ("orderId", order_id), set, newer).await {
            Ok(item) => from_item(item),
            // Noted before (or authorised): the record that won.
            Err(StoreError::ConditionFailed) => {
                self.get(order_id).await?.ok_or(StoreError::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    async fn record_authorization(
        &self,
        order_id: &str,
        charge: &Charge,
    ) -> StoreResult<PaymentRecord> {
        let first = Expr::when("attribute_not_exists(charge)")
            .name("#state", "state")
            .value(":charge", to_av(charge)?)
            .value(":authorized", s("authorized"))
            .value(":zero", n(0));
        let set =
            "SET charge = :charge, #state = :authorized, attempts = if_not_exists(attempts, :zero)";
        match update(&self.client, &self.table, ("orderId", order_id), set, first).await {
            Ok(item) => from_item(item),
            // Authorised before: the authorisation that won.
            Err(StoreError::ConditionFailed) => {
                self.get(order_id).await?.ok_or(StoreError::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    async fn settle(&self, order_id: &str, to: PaymentState) -> StoreResult<PaymentRecord> {
        let target = state_name(to);
        let authorized = Expr::when("#state = :authorized")
            .name("#state", "state")
            .value(":authorized", s("authorized"))
            .value(":to", s(target));
        let set = "SET #state = :to";
        match update(
            &self.client,
            &self.table,
            ("orderId", order_id),
            set,
            authorized,
        )
        .await
        {
            Ok(item) => from_item(item),
            Err(StoreError::ConditionFailed) => match self.get(order_id).await? {
                Some(record) if record.state == to => Ok(record),
                Some(_) => Err(StoreError::ConditionFailed),
                None => Err(StoreError::NotFound),
            },
            Err(e) => Err(e),
        }
    }

    async fn record_refund(&self, order_id: &str, refund: &Refund) -> StoreResult<PaymentRecord> {
        let charged = Expr::when("#state = :charged")
            .name("#state", "state")
            .value(":refund", to_av(refund)?)
            .value(":refunded", s("refunded"))
            .value(":charged", s("charged"));
        let set = "SET refund = :refund, #state = :refunded";
        match update(
            &self.client,
            &self.table,
            ("orderId", order_id),
            set,
            charged,
        )
        .await
        {
            Ok(item) => from_item(item),
            Err(StoreError::ConditionFailed) => match self.get(order_id).await? {
                Some(record) if record.state == PaymentState::Refunded => Ok(record),
                _ => Err(StoreError::NotFound),
            },
            Err(e) => Err(e),
        }
    }
}

/// The stored name of a payment state (its serde name).
fn state_name(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Attempted => "attempted",
        PaymentState::Authorized => "authorized",
        PaymentState::Charged => "charged",
        PaymentState::Voided => "voided",
        PaymentState::Refunded => "refunded",
    }
}

#[cfg(test)]
mod tests {
    use super::state_name;
    use crate::ports::PaymentState;

    #[test]
    fn state_names_are_the_serde_names() {
        for state in [
            PaymentState::Attempted,
            PaymentState::Authorized,
            PaymentState::Charged,
            PaymentState::Voided,
            PaymentState::Refunded,
        ] {
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::json!(state_name(state))
            );
        }
    }
}
