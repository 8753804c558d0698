//! The payment port on Stripe's PaymentIntents API: a manual-capture intent
//! is authorised when the order is paid, captured when it ships, cancelled
//! (voided) or refunded when it must be given back.
//!
//! Stripe's `Idempotency-Key` makes a repeated call return the first answer;
//! the store's own ledger is the guarantee besides (a fake Stripe may not
//! honour the header): each attempt's intent is created unconfirmed, noted
//! in the ledger, and only then confirmed, so a step retried after a timeout
//! confirms the intent it made instead of authorising a second one.
//! The store keeps Stripe's ids, amounts and the card's last four digits,
//! never card data; payment method ids are never logged.

use crate::adapters::https::{HttpAnswer, HttpCall, HttpSend};
use crate::adapters::payment_sim::ledger_error;
use crate::domain::Money;
use crate::http::percent_encode;
use crate::ports::{
    Charge, ChargeRequest, PaymentError, PaymentGateway, PaymentLedger, PaymentReconciler,
    PaymentRecord, PaymentState, PendingIntent, Reconciled, Refund, Release, StoreError,
};
use async_trait::async_trait;
use serde::Deserialize;
use std::sync::Arc;

/// The API version the adapter is written against, sent with every call so
/// an account's default version cannot change the answers under it.
pub const API_VERSION: &str = "2024-06-20";

/// The store's test tokens (what the simulated gateway takes and the seed's
/// clients imply) and the Stripe test payment methods that behave the same;
/// used with test keys only.
pub const TEST_PAYMENT_METHODS: [(&str, &str); 2] = [
    ("tok_visa", "pm_card_visa"),
    ("tok_chargeDeclined", "pm_card_chargeCustomerFail"),
];

pub struct StripeGateway {
    http: Arc<dyn HttpSend>,
    /// `https://api.stripe.com`, or a local fake.
    api_base: String,
    secret_key: String,
    ledger: Arc<dyn PaymentLedger>,
}

#[derive(Debug, Deserialize)]
struct Intent {
    id: String,
    status: String,
    amount: i64,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
    #[serde(default)]
    payment_method: Option<String>,
    #[serde(default)]
    last_payment_error: Option<ApiError>,
}

#[derive(Debug, Default, Deserialize)]
struct ApiError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ApiError,
}

#[derive(Debug, Deserialize)]
struct Card {
    last4: String,
}

#[derive(Debug, Deserialize)]
struct PaymentMethod {
    #[serde(default)]
    card: Option<Card>,
}

#[derive(Debug, Deserialize)]
struct StripeRefund {
    id: String,
    amount: i64,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
}

/// The metadata the store puts on a refund or a cancelled intent it gives
/// back itself. Stripe reports those to the webhook like any other; with
/// the mark, the webhook knows the pipeline has already said so.
const RELEASED_BY: (&str, &str) = ("releasedBy", "store");

fn released_by_store(metadata: &std::collections::HashMap<String, String>) -> bool {
    metadata.get(RELEASED_BY.0).map(String::as_str) == Some(RELEASED_BY.1)
}

fn released_by_store_form() -> (String, &'static str) {
    (format!("metadata[{}]", RELEASED_BY.0), RELEASED_BY.1)
}

#[derive(Debug, Deserialize)]
struct RefundList {
    data: Vec<StripeRefund>,
}

/// What Stripe said, sorted by what the store does about it.
enum Answer {
    Ok(Vec<u8>),
    /// 402: the card was declined; the code says why.
    Declined(String),
    /// Any other 4xx: this request will never work.
    Refused(u16, String),
}

impl StripeGateway {
    pub fn new(
        http: Arc<dyn HttpSend>,
        api_base: &str,
        secret_key: String,
        ledger: Arc<dyn PaymentLedger>,
    ) -> Self {
        StripeGateway {
            http,
            api_base: api_base.trim_end_matches('/').to_string(),
            secret_key,
            ledger,
        }
    }

    fn test_mode(&self) -> bool {
        self.secret_key.starts_with("sk_test_")
    }

    /// The payment method to charge for a client's token: a Stripe
    /// `pm_…` id as is; with test keys, the store's test tokens too.
    fn payment_method(&self, token: &str) -> Option<String> {
        if token.starts_with("pm_") && token.len() < 256 {
            return Some(token.to_string());
        }
        if !self.test_mode() {
            return None;
        }
        TEST_PAYMENT_METHODS
            .iter()
            .find(|(ours, _)| *ours == token)
            .map(|(_, stripe)| stripe.to_string())
    }

    async fn call(
        &self,
        method: &'static str,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: Option<&str>,
    ) -> Result<Answer, PaymentError> {
        let mut headers = vec![
            ("authorization", format!("Bearer {}", self.secret_key)),
            ("stripe-version", API_VERSION.to_string()),
        ];
        if method == "POST" {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key.to_string()));
        }
        let call = HttpCall {
            method,
            url: format!("{}{path}", self.api_base),
            headers,
            body: form_encode(form).into_bytes(),
        };
        let HttpAnswer { status, body } = self
            .http
            .send(call)
            .await
            .map_err(|e| PaymentError::Transient(format!("stripe: {e}")))?;
        let code = || {
            serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .and_then(|b| b.error.decline_code.or(b.error.code))
        };
        match status {
            200..=299 => Ok(Answer::Ok(body)),
            402 => Ok(Answer::Declined(
                code().unwrap_or_else(|| "card_declined".into()),
            )),
            // 409: the same idempotency key is in flight; 429: rate limited.
            409 | 429 | 500.. => Err(PaymentError::Transient(format!(
                "stripe answered {status} on {method} {}",
                route_of(path)
            ))),
            _ => Ok(Answer::Refused(
                status,
                code().unwrap_or_else(|| format!("status {status}")),
            )),
        }
    }

    async fn intent(&self, id: &str) -> Result<Intent, PaymentError> {
        match self
            .call("GET", &format!("/v1/payment_intents/{id}"), &[], None)
            .await?
        {
            Answer::Ok(body) => parse(&body),
            Answer::Declined(code) | Answer::Refused(_, code) => Err(PaymentError::Permanent(
                format!("stripe refused to read the intent: {code}"),
            )),
        }
    }

    async fn last4(&self, intent: &Intent) -> Result<String, PaymentError> {
        let Some(method) = &intent.payment_method else {
            return Ok(String::new());
        };
        match self
            .call("GET", &format!("/v1/payment_methods/{method}"), &[], None)
            .await?
        {
            Answer::Ok(body) => Ok(parse::<PaymentMethod>(&body)?
                .card
                .map(|c| c.last4)
                .unwrap_or_default()),
            Answer::Declined(_) | Answer::Refused(..) => Ok(String::new()),
        }
    }

    /// An intent that holds the money: recorded as the order's
    /// authorisation (the first recorded wins).
    async fn authorized(&self, order_id: &str, intent: &Intent) -> Result<Charge, PaymentError> {
        let charge = Charge {
            transaction_id: intent.id.clone(),
            last4: self.last4(intent).await?,
            amount: Money::from_cents(intent.amount),
        };
        let record = self
            .ledger
            .record_authorization(order_id, &charge)
            .await
            .map_err(ledger_error)?;
        record
            .charge
            .ok_or_else(|| PaymentError::Transient("ledger lost the authorisation".into()))
    }

    /// Carries an intent from wherever an earlier try left it to held.
    async fn confirm(
        &self,
        order_id: &str,
        intent: Intent,
        attempt: u32,
    ) -> Result<Charge, PaymentError> {
        match intent.status.as_str() {
            "requires_capture" | "succeeded" => return self.authorized(order_id, &intent).await,
            "requires_confirmation" => {}
            "requires_payment_method" => {
                let reason = intent
                    .last_payment_error
                    .and_then(|e| e.decline_code.or(e.code))
                    .unwrap_or_else(|| "card_declined".into());
                return Err(PaymentError::Declined(reason));
            }
            // 3-D Secure needs the customer in the browser: this server-side
            // flow cannot complete it.
            "requires_action" => {
                return Err(PaymentError::Declined("authentication_required".into()))
            }
            "processing" => {
                return Err(PaymentError::Transient("the payment is processing".into()))
            }
            other => return Err(PaymentError::Permanent(format!("the intent is {other}"))),
        }
        let key = format!("{order_id}-confirm-{attempt}");
        let path = format!("/v1/payment_intents/{}/confirm", intent.id);
        match self.call("POST", &path, &[], Some(&key)).await? {
            Answer::Ok(body) => {
                let confirmed: Intent = parse(&body)?;
                if confirmed.status == "requires_confirmation" {
                    return Err(PaymentError::Permanent(
                        "the intent stayed unconfirmed".into(),
                    ));
                }
                Box::pin(self.confirm(order_id, confirmed, attempt)).await
            }
            Answer::Declined(code) => Err(PaymentError::Declined(code)),
            // Confirmed before (a retried call): read where it is.
            Answer::Refused(400, _) => {
                let now = self.intent(&intent.id).await?;
                if now.status == "requires_confirmation" {
                    return Err(PaymentError::Permanent("stripe refused to confirm".into()));
                }
                Box::pin(self.confirm(order_id, now, attempt)).await
            }
            Answer::Refused(_, code) => Err(PaymentError::Permanent(code)),
        }
    }

    async fn create_intent(
        &self,
        request: &ChargeRequest,
        payment_method: &str,
    ) -> Result<Intent, PaymentError> {
        let amount = request.amount.cents().to_string();
        let form = [
            ("amount", amount.as_str()),
            ("currency", request.currency.as_str()),
            ("capture_method", "manual"),
            ("payment_method", payment_method),
            ("payment_method_types[0]", "card"),
            ("metadata[orderId]", request.order_id.as_str()),
        ];
        let key = format!("{}-authorize-{}", request.order_id, request.attempt);
        match self
            .call("POST", "/v1/payment_intents", &form, Some(&key))
            .await?
        {
            Answer::Ok(body) => parse(&body),
            Answer::Declined(code) => Err(PaymentError::Declined(code)),
            // An unknown or unusable payment method is the client's token.
            Answer::Refused(404, _) => Err(PaymentError::Declined("invalid_payment_method".into())),
            Answer::Refused(_, code) => Err(PaymentError::Permanent(code)),
        }
    }

    async fn record(&self, order_id: &str) -> Result<Option<PaymentRecord>, PaymentError> {
        self.ledger.get(order_id).await.map_err(ledger_error)
    }

    async fn settle(&self, order_id: &str, to: PaymentState) -> Result<(), PaymentError> {
        self.ledger
            .settle(order_id, to)
            .await
            .map(|_| ())
            .map_err(ledger_error)
    }

    /// Cancels a held intent, marked as the store's own release first (the
    /// cancel call takes no metadata); one cancelled before is fine.
    async fn void(&self, order_id: &str, intent_id: &str) -> Result<(), PaymentError> {
        let (mark, store) = released_by_store_form();
        let path = format!("/v1/payment_intents/{intent_id}");
        let key = format!("{order_id}-mark-release");
        if let Answer::Declined(code) | Answer::Refused(_, code) = self
            .call("POST", &path, &[(mark.as_str(), store)], Some(&key))
            .await?
        {
            // Only the webhook's timeline note depends on the mark.
            tracing::warn!(
                code = code.as_str(),
                "stripe refused to mark the intent; cancelling anyway"
            );
        }
        let path = format!("/v1/payment_intents/{intent_id}/cancel");
        let key = format!("{order_id}-cancel");
        match self.call("POST", &path, &[], Some(&key)).await? {
            Answer::Ok(_) => Ok(()),
            Answer::Declined(code) | Answer::Refused(_, code) => {
                match self.intent(intent_id).await?.status.as_str() {
                    "canceled" => Ok(()),
                    status => Err(PaymentError::Permanent(format!(
                        "could not cancel an intent that is {status}: {code}"
                    ))),
                }
            }
        }
    }
}

/// Reports from Stripe's webhook, checked against Stripe's API (the report
/// says where to look; the API says what is true) and then the ledger.
impl StripeGateway {
    /// The order an intent was made for, if it is one of this store's and
    /// the ledger holds it.
    async fn order_of(&self, intent: &Intent) -> Result<Option<PaymentRecord>, PaymentError> {
        let Some(order_id) = intent.metadata.get("orderId") else {
            return Ok(None);
        };
        let record = self.record(order_id).await?;
        Ok(record.filter(|r| {
            r.charge
                .as_ref()
                .is_some_and(|c| c.transaction_id == intent.id)
        }))
    }

    async fn reconcile_refund(&self, intent_id: &str) -> Result<Reconciled, PaymentError> {
        if !is_intent_id(intent_id) {
            return Ok(Reconciled::Nothing);
        }
        let intent = self.intent(intent_id).await?;
        let Some(record) = self.order_of(&intent).await? else {
            return Ok(Reconciled::Nothing);
        };
        if !matches!(record.state, PaymentState::Charged | PaymentState::Refunded) {
            return Ok(Reconciled::Nothing);
        }
        let path = format!("/v1/refunds?payment_intent={}", intent.id);
        let refunds = match self.call("GET", &path, &[], None).await? {
            Answer::Ok(body) => parse::<RefundList>(&body)?.data,
            Answer::Declined(code) | Answer::Refused(_, code) => {
                return Err(PaymentError::Permanent(format!(
                    "stripe refused to list refunds: {code}"
                )))
            }
        };
        // The refund step's own refunds are the pipeline's to report.
        let made_in_stripe: Vec<_> = refunds
            .iter()
            .filter(|r| !released_by_store(&r.metadata))
            .collect();
        let Some(first) = made_in_stripe.first() else {
            return Ok(Reconciled::Nothing);
        };
        if record.state == PaymentState::Refunded {
            // Recorded by an earlier delivery that did not finish: finish it.
            return Ok(match record.refund {
                Some(refund) if made_in_stripe.iter().any(|r| r.id == refund.refund_id) => {
                    Reconciled::Refunded {
                        order_id: record.order_id,
                        refund,
                    }
                }
                _ => Reconciled::Nothing,
            });
        }
        let refund = Refund {
            refund_id: first.id.clone(),
            amount: Money::from_cents(made_in_stripe.iter().map(|r| r.amount).sum()),
        };
        self.ledger
            .record_refund(&record.order_id, &refund)
            .await
            .map_err(ledger_error)?;
        Ok(Reconciled::Refunded {
            order_id: record.order_id,
            refund,
        })
    }

    async fn reconcile_cancel(&self, intent_id: &str) -> Result<Reconciled, PaymentError> {
        if !is_intent_id(intent_id) {
            return Ok(Reconciled::Nothing);
        }
        let intent = self.intent(intent_id).await?;
        if intent.status != "canceled" || released_by_store(&intent.metadata) {
            return Ok(Reconciled::Nothing);
        }
        let Some(record) = self.order_of(&intent).await? else {
            return Ok(Reconciled::Nothing);
        };
        match record.state {
            PaymentState::Authorized => self.settle(&record.order_id, PaymentState::Voided).await?,
            PaymentState::Voided => {}
            _ => return Ok(Reconciled::Nothing),
        }
        Ok(Reconciled::Voided {
            order_id: record.order_id,
        })
    }
}

#[async_trait]
impl PaymentReconciler for StripeGateway {
    async fn refunded(&self, intent_id: &str) -> Result<Reconciled, PaymentError> {
        self.reconcile_refund(intent_id).await
    }

    async fn cancelled(&self, intent_id: &str) -> Result<Reconciled, PaymentError> {
        self.reconcile_cancel(intent_id).await
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    async fn authorize(&self, request: &ChargeRequest) -> Result<Charge, PaymentError> {
        let record = self.record(&request.order_id).await?;
        if let Some(charge) = record.as_ref().and_then(|r| r.charge.clone()) {
            return Ok(charge);
        }
        let noted = record
            .and_then(|r| r.intent)
            .filter(|i| i.attempt == request.attempt);
        let intent = match noted {
            Some(pending) => self.intent(&pending.id).await?,
            None => {
                let method = self
                    .payment_method(&request.payment_token)
                    .ok_or_else(|| PaymentError::Declined("invalid_payment_token".into()))?;
                let created = self.create_intent(request, &method).await?;
                let pending = PendingIntent {
                    attempt: request.attempt,
                    id: created.id.clone(),
                };
                let record = self
                    .ledger
                    .record_intent(&request.order_id, &pending)
                    .await
                    .map_err(ledger_error)?;
                match record.intent {
                    // Another invocation of this attempt noted its own first.
                    Some(winner) if winner.id != created.id => self.intent(&winner.id).await?,
                    _ => created,
                }
            }
        };
        self.confirm(&request.order_id, intent, request.attempt)
            .await
    }

    async fn capture(&self, order_id: &str) -> Result<Charge, PaymentError> {
        let record = self.record(order_id).await?;
        let Some((state, charge)) = record.and_then(|r| r.charge.map(|c| (r.state, c))) else {
            return Err(PaymentError::Permanent(
                "nothing authorised to capture".into(),
            ));
        };
        match state {
            PaymentState::Charged | PaymentState::Refunded => return Ok(charge),
            PaymentState::Authorized => {}
            other => {
                return Err(PaymentError::Permanent(format!(
                    "cannot capture a payment that is {other:?}"
                )))
            }
        }
        let path = format!("/v1/payment_intents/{}/capture", charge.transaction_id);
        let key = format!("{order_id}-capture");
        match self.call("POST", &path, &[], Some(&key)).await? {
            Answer::Ok(_) => {}
            Answer::Declined(code) | Answer::Refused(_, code) => {
                // Captured by an earlier try whose answer was lost?
                let intent = self.intent(&charge.transaction_id).await?;
                if intent.status != "succeeded" {
                    return Err(PaymentError::Permanent(format!(
                        "stripe refused the capture: {code}"
                    )));
                }
            }
        }
        self.settle(order_id, PaymentState::Charged).await?;
        Ok(charge)
    }

    async fn release(&self, order_id: &str) -> Result<Option<Release>, PaymentError> {
        let Some(record) = self.record(order_id).await? else {
            return Ok(None);
        };
        let Some(charge) = record.charge else {
            // An intent confirmed by a try whose answer was lost may hold
            // money the ledger never saw: cancel it too.
            if let Some(pending) = record.intent {
                if self.intent(&pending.id).await?.status == "requires_capture" {
                    self.void(order_id, &pending.id).await?;
                    return Ok(Some(Release::Voided {
                        transaction_id: pending.id,
                    }));
                }
            }
            return Ok(None);
        };
        match record.state {
            PaymentState::Voided => Ok(Some(Release::Voided {
                transaction_id: charge.transaction_id,
            })),
            PaymentState::Authorized => {
                self.void(order_id, &charge.transaction_id).await?;
                self.settle(order_id, PaymentState::Voided).await?;
                Ok(Some(Release::Voided {
                    transaction_id: charge.transaction_id,
                }))
            }
            PaymentState::Refunded => Ok(record.refund.map(Release::Refunded)),
            PaymentState::Charged => {
                let (mark, store) = released_by_store_form();
                let form = [
                    ("payment_intent", charge.transaction_id.as_str()),
                    ("metadata[orderId]", order_id),
                    (mark.as_str(), store),
                ];
                let key = format!("{order_id}-refund");
                let refund = match self.call("POST", "/v1/refunds", &form, Some(&key)).await? {
                    Answer::Ok(body) => parse::<StripeRefund>(&body)?,
                    Answer::Declined(code) | Answer::Refused(_, code) => {
                        return Err(PaymentError::Permanent(format!(
                            "stripe refused the refund: {code}"
                        )))
                    }
                };
                let refund = Refund {
                    refund_id: refund.id,
                    amount: Money::from_cents(refund.amount),
                };
                let record =
                    self.ledger
                        .record_refund(order_id, &refund)
                        .await
                        .map_err(|e| match e {
                            StoreError::NotFound => {
                                PaymentError::Permanent("the ledger has no capture".into())
                            }
                            other => ledger_error(other),
                        })?;
                Ok(record.refund.map(Release::Refunded))
            }
            PaymentState::Attempted => Ok(None),
        }
    }
}

/// `pi_` and letters and digits: safe to put in a URL path.
pub fn is_intent_id(text: &str) -> bool {
    text.strip_prefix("pi_").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 250 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PaymentError> {
    serde_json::from_slice(body)
        .map_err(|e| PaymentError::Permanent(format!("unexpected answer from stripe: {e}")))
}

/// The path without ids, for messages that must not carry them.
fn route_of(path: &str) -> String {
    path.split('/')
        .map(|part| match part.split_once('_') {
            // Stripe ids are a short prefix, `_`, then the id: `pi_…`, `pm_…`.
            Some((prefix, _)) if prefix.len() <= 5 => "{id}",
            _ => part,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `application/x-www-form-urlencoded`, as Stripe takes its parameters.
fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests;
