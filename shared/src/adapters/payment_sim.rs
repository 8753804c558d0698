//! A payment gateway that behaves like a real one in test mode: test tokens
//! decide the outcome, authorisations and captures are idempotent per
//! order, and its book is kept
//! in a `PaymentLedger` (DynamoDB in the cloud) so retries across invocations
//! never charge twice.

use crate::ports::{
    Charge, ChargeRequest, IdGenerator, PaymentError, PaymentGateway, PaymentLedger, PaymentState,
    Refund, Release, StoreError,
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

pub(crate) fn ledger_error(e: StoreError) -> PaymentError {
    PaymentError::Transient(format!("payment ledger: {e}"))
}

#[async_trait]
impl PaymentGateway for SimulatedGateway {
    async fn authorize(&self, request: &ChargeRequest) -> Result<Charge, PaymentError> {
        let key = &request.order_id;
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
            .record_authorization(key, &charge)
            .await
            .map_err(ledger_error)?;
        record
            .charge
            .ok_or_else(|| PaymentError::Transient("gateway lost the authorisation".into()))
    }

    async fn capture(&self, order_id: &str) -> Result<Charge, PaymentError> {
        let record = self
            .ledger
            .settle(order_id, PaymentState::Charged)
            .await
            .map_err(|e| match e {
                StoreError::NotFound | StoreError::ConditionFailed => {
                    PaymentError::Permanent("nothing authorised to capture".into())
                }
                other => ledger_error(other),
            })?;
        record
            .charge
            .ok_or_else(|| PaymentError::Permanent("nothing authorised to capture".into()))
    }

    async fn release(&self, order_id: &str) -> Result<Option<Release>, PaymentError> {
        let Some(record) = self.ledger.get(order_id).await.map_err(ledger_error)? else {
            return Ok(None);
        };
        let Some(charge) = record.charge else {
            return Ok(None);
        };
        match record.state {
            PaymentState::Authorized | PaymentState::Voided => {
                self.ledger
                    .settle(order_id, PaymentState::Voided)
                    .await
                    .map_err(ledger_error)?;
                Ok(Some(Release::Voided {
                    transaction_id: charge.transaction_id,
                }))
            }
            PaymentState::Refunded => Ok(record.refund.map(Release::Refunded)),
            PaymentState::Charged => {
                let refund = Refund {
                    refund_id: format!("re_{}", self.ids.new_id()),
                    amount: charge.amount,
                };
                let record = self
                    .ledger
                    .record_refund(order_id, &refund)
                    .await
                    .map_err(ledger_error)?;
                Ok(record.refund.map(Release::Refunded))
            }
            PaymentState::Attempted => Ok(None),
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
            order_id: "order-1".into(),
            attempt: 1,
            amount: Money::from_cents(1999),
            currency: "usd".into(),
            payment_token: token.into(),
        }
    }

    #[tokio::test]
    async fn authorises_once_per_order_and_captures_once() {
        let (gw, ledger) = gateway();
        let first = gw.authorize(&request("tok_visa")).await.unwrap();
        let again = gw.authorize(&request("tok_visa")).await.unwrap();
        assert_eq!(first, again, "a retried step gets the first authorisation");
        assert_eq!(first.last4, "4242");
        assert_eq!(
            ledger.record("order-1").unwrap().state,
            PaymentState::Authorized
        );
        assert_eq!(gw.capture("order-1").await.unwrap(), first);
        assert_eq!(gw.capture("order-1").await.unwrap(), first, "captured once");
        assert_eq!(
            ledger.record("order-1").unwrap().state,
            PaymentState::Charged
        );
    }

    #[tokio::test]
    async fn capturing_what_was_never_authorised_is_permanent() {
        let (gw, _) = gateway();
        assert!(matches!(
            gw.capture("order-1").await,
            Err(PaymentError::Permanent(_))
        ));
    }

    #[tokio::test]
    async fn an_authorisation_given_back_is_voided_not_refunded() {
        let (gw, ledger) = gateway();
        let held = gw.authorize(&request("tok_visa")).await.unwrap();
        let voided = Some(Release::Voided {
            transaction_id: held.transaction_id,
        });
        assert_eq!(gw.release("order-1").await.unwrap(), voided);
        assert_eq!(gw.release("order-1").await.unwrap(), voided, "voided once");
        assert_eq!(
            ledger.record("order-1").unwrap().state,
            PaymentState::Voided
        );
        assert!(
            matches!(gw.capture("order-1").await, Err(PaymentError::Permanent(_))),
            "a voided authorisation cannot be captured"
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
                gw.authorize(&request(token)).await,
                Err(PaymentError::Declined(reason.into()))
            );
        }
        assert_eq!(ledger.record("order-1"), None);
    }

    #[tokio::test]
    async fn processing_error_fails_once_then_approves() {
        let (gw, _) = gateway();
        assert!(matches!(
            gw.authorize(&request("tok_processingError")).await,
            Err(PaymentError::Transient(_))
        ));
        let charge = gw.authorize(&request("tok_processingError")).await.unwrap();
        assert_eq!(charge.last4, "0119");
    }

    #[tokio::test]
    async fn refunds_once_and_only_what_was_captured() {
        let (gw, ledger) = gateway();
        assert_eq!(
            gw.release("order-1").await,
            Ok(None),
            "nothing authorised, nothing to give back"
        );
        gw.authorize(&request("tok_visa")).await.unwrap();
        gw.capture("order-1").await.unwrap();
        let Some(Release::Refunded(refund)) = gw.release("order-1").await.unwrap() else {
            panic!("a capture is refunded");
        };
        assert_eq!(refund.amount, Money::from_cents(1999));
        assert_eq!(
            gw.release("order-1").await.unwrap(),
            Some(Release::Refunded(refund)),
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
            gw.authorize(&request("tok_visa")).await,
            Err(PaymentError::Transient(_))
        ));
    }
}
