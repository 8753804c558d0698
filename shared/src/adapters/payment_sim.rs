//! A payment gateway that behaves like a real one in test mode: test tokens
//! decide the outcome, captures are idempotent per key, and its book is kept
//! in a `PaymentLedger` (DynamoDB in the cloud) so retries across invocations
//! never charge twice.

use crate::ports::{
    Charge, ChargeRequest, IdGenerator, PaymentError, PaymentGateway, PaymentLedger, PaymentState,
    Refund, StoreError,
};
use async_trait::async_trait;
use rand::Rng;
use std::sync::Arc;

/// What a test token does, after the test cards real gateways publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCard {
    Approve {
        last4: &'static str,
    },
    Decline {
        last4: &'static str,
        reason: &'static str,
    },
    /// Fails the first attempt of each order as a processing error (a
    /// gateway timeout), then approves: exercises the transient retry.
    FailFirstAttempt {
        last4: &'static str,
    },
}

/// A missing token pays with this, as the seed's clients send none.
pub const DEFAULT_TOKEN: &str = "tok_visa";

impl TestCard {
    pub fn from_token(token: &str) -> Option<TestCard> {
        Some(match token {
            "tok_visa" => TestCard::Approve { last4: "4242" },
            "tok_mastercard" => TestCard::Approve { last4: "4444" },
            "tok_chargeDeclined" => TestCard::Decline {
                last4: "0002",
                reason: "card_declined",
            },
            "tok_chargeDeclinedInsufficientFunds" => TestCard::Decline {
                last4: "9995",
                reason: "insufficient_funds",
            },
            "tok_processingError" => TestCard::FailFirstAttempt { last4: "0119" },
            _ => return None,
        })
    }
}

pub struct SimulatedGateway {
    ledger: Arc<dyn PaymentLedger>,
    ids: Arc<dyn IdGenerator>,
    /// Percent of calls that fail as transient errors at random (0 = never).
    chaos_percent: u8,
}

impl SimulatedGateway {
    pub fn new(
        ledger: Arc<dyn PaymentLedger>,
        ids: Arc<dyn IdGenerator>,
        chaos_percent: u8,
    ) -> Self {
        SimulatedGateway {
            ledger,
            ids,
            chaos_percent: chaos_percent.min(100),
        }
    }

    fn chaos_strikes(&self) -> bool {
        self.chaos_percent > 0 && rand::rng().random_range(0..100) < self.chaos_percent
    }
}

fn ledger_error(e: StoreError) -> PaymentError {
    PaymentError::Transient(format!("gateway ledger: {e}"))
}

#[async_trait]
impl PaymentGateway for SimulatedGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, PaymentError> {
        let key = &request.idempotency_key;
        if let Some(charge) = self
            .ledger
            .get(key)
            .await
            .map_err(ledger_error)?
            .and_then(|r| r.charge)
        {
            return Ok(charge);
        }
        if self.chaos_strikes() {
            return Err(PaymentError::Transient(
                "simulated gateway timeout (chaos)".into(),
            ));
        }
        let card = TestCard::from_token(&request.payment_token)
            .ok_or_else(|| PaymentError::Declined("invalid_payment_token".into()))?;
        let last4 = match card {
            TestCard::Approve { last4 } => last4,
            TestCard::Decline { reason, .. } => return Err(PaymentError::Declined(reason.into())),
            TestCard::FailFirstAttempt { last4 } => {
                let attempt = self
                    .ledger
                    .record_attempt(key)
                    .await
                    .map_err(ledger_error)?;
                if attempt == 1 {
                    return Err(PaymentError::Transient("processing_error".into()));
                }
                last4
            }
        };
        let charge = Charge {
            transaction_id: format!("txn_{}", self.ids.new_id()),
            last4: last4.to_string(),
            amount: request.amount,
        };
        let record = self
            .ledger
            .record_charge(key, &charge)
            .await
            .map_err(ledger_error)?;
        record
            .charge
            .ok_or_else(|| PaymentError::Transient("gateway lost the capture".into()))
    }

    async fn refund(&self, idempotency_key: &str) -> Result<Option<Refund>, PaymentError> {
        let Some(record) = self
            .ledger
            .get(idempotency_key)
            .await
            .map_err(ledger_error)?
        else {
            return Ok(None);
        };
        match (record.state, record.charge) {
            (PaymentState::Refunded, _) => Ok(record.refund),
            (PaymentState::Charged, Some(charge)) => {
                let refund = Refund {
                    refund_id: format!("re_{}", self.ids.new_id()),
                    amount: charge.amount,
                };
                let record = self
                    .ledger
                    .record_refund(idempotency_key, &refund)
                    .await
                    .map_err(ledger_error)?;
                Ok(record.refund)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::{MemoryPaymentLedger, SequentialIds};
    use crate::domain::Money;

    fn gateway() -> (SimulatedGateway, Arc<MemoryPaymentLedger>) {
        let ledger = Arc::new(MemoryPaymentLedger::default());
        let gw = SimulatedGateway::new(ledger.clone(), Arc::new(SequentialIds::default()), 0);
        (gw, ledger)
    }

    fn request(token: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: "order-1".into(),
            amount: Money::from_cents(1999),
            payment_token: token.into(),
        }
    }

    #[tokio::test]
    async fn approves_once_per_key() {
        let (gw, ledger) = gateway();
        let first = gw.charge(&request("tok_visa")).await.unwrap();
        let again = gw.charge(&request("tok_visa")).await.unwrap();
        assert_eq!(first, again, "a retried charge returns the first capture");
        assert_eq!(first.last4, "4242");
        assert_eq!(
            ledger.record("order-1").unwrap().state,
            PaymentState::Charged
        );
    }

    #[tokio::test]
    async fn declines_with_the_card_reason_and_records_nothing() {
        let (gw, ledger) = gateway();
        for (token, reason) in [
            ("tok_chargeDeclined", "card_declined"),
            ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
            ("tok_unknown", "invalid_payment_token"),
        ] {
            assert_eq!(
                gw.charge(&request(token)).await,
                Err(PaymentError::Declined(reason.into()))
            );
        }
        assert_eq!(ledger.record("order-1"), None);
    }

    #[tokio::test]
    async fn processing_error_fails_once_then_approves() {
        let (gw, _) = gateway();
        assert!(matches!(
            gw.charge(&request("tok_processingError")).await,
            Err(PaymentError::Transient(_))
        ));
        let charge = gw.charge(&request("tok_processingError")).await.unwrap();
        assert_eq!(charge.last4, "0119");
    }

    #[tokio::test]
    async fn refunds_once_and_only_what_was_charged() {
        let (gw, ledger) = gateway();
        assert_eq!(
            gw.refund("order-1").await,
            Ok(None),
            "nothing charged, nothing refunded"
        );
        gw.charge(&request("tok_visa")).await.unwrap();
        let refund = gw.refund("order-1").await.unwrap().unwrap();
        assert_eq!(refund.amount, Money::from_cents(1999));
        assert_eq!(
            gw.refund("order-1").await.unwrap(),
            Some(refund),
            "second refund is the first"
        );
        assert_eq!(
            ledger.record("order-1").unwrap().state,
            PaymentState::Refunded
        );
    }

    #[tokio::test]
    async fn full_chaos_fails_every_new_charge_transiently() {
        let ledger = Arc::new(MemoryPaymentLedger::default());
        let gw = SimulatedGateway::new(ledger, Arc::new(SequentialIds::default()), 100);
        assert!(matches!(
            gw.charge(&request("tok_visa")).await,
            Err(PaymentError::Transient(_))
        ));
    }
}
