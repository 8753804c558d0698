use super::*;
use crate::adapters::https::NoAnswer;
use crate::adapters::memory::MemoryPaymentLedger;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::Mutex;

/// The method and path a scripted answer expects, and the answer.
type Scripted = (&'static str, String, Result<HttpAnswer, NoAnswer>);

/// Answers calls from a script, in order, and keeps what was sent.
#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<Scripted>>,
    sent: Mutex<Vec<HttpCall>>,
}

impl Script {
    fn then(&self, method: &'static str, path: &str, status: u16, body: Value) -> &Self {
        let answer = HttpAnswer {
            status,
            body: body.to_string().into_bytes(),
        };
        self.answers
            .lock()
            .unwrap()
            .push_back((method, path.to_string(), Ok(answer)));
        self
    }

    fn then_no_answer(&self, method: &'static str, path: &str) -> &Self {
        self.answers.lock().unwrap().push_back((
            method,
            path.to_string(),
            Err(NoAnswer("timed out".into())),
        ));
        self
    }

    fn sent(&self) -> Vec<HttpCall> {
        self.sent.lock().unwrap().clone()
    }

    fn sent_to(&self, method: &str, path: &str) -> usize {
        let url = format!("{BASE}{path}");
        self.sent()
            .iter()
            .filter(|c| c.method == method && c.url == url)
            .count()
    }
}

#[async_trait]
impl HttpSend for Script {
    async fn send(&self, call: HttpCall) -> Result<HttpAnswer, NoAnswer> {
        self.sent.lock().unwrap().push(call.clone());
        let (method, path, answer) = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unscripted call {} {}", call.method, call.url));
        assert_eq!(
            (call.method, call.url.as_str()),
            (method, format!("{BASE}{path}").as_str())
        );
        answer
    }
}

const BASE: &str = "http://stripe.test";

fn gateway(key: &str) -> (StripeGateway, Arc<Script>, Arc<MemoryPaymentLedger>) {
    let script = Arc::new(Script::default());
    let ledger = Arc::new(MemoryPaymentLedger::default());
    let gw = StripeGateway::new(script.clone(), BASE, key.into(), ledger.clone());
    (gw, script, ledger)
}

fn request(attempt: u32) -> ChargeRequest {
    ChargeRequest {
        order_id: "order-1".into(),
        attempt,
        amount: Money::from_cents(5573),
        currency: "usd".into(),
        payment_token: "pm_card_visa".into(),
    }
}

fn intent(id: &str, status: &str) -> Value {
    json!({"id": id, "object": "payment_intent", "status": status, "amount": 5573,
           "currency": "usd", "payment_method": "pm_card_visa"})
}

fn visa() -> Value {
    json!({"id": "pm_card_visa", "card": {"last4": "4242", "brand": "visa"}})
}

/// Scripts a first attempt that Stripe authorises.
fn authorises(script: &Script) {
    script
        .then(
            "POST",
            "/v1/payment_intents",
            200,
            intent("pi_1", "requires_confirmation"),
        )
        .then(
            "POST",
            "/v1/payment_intents/pi_1/confirm",
            200,
            intent("pi_1", "requires_capture"),
        )
        .then("GET", "/v1/payment_methods/pm_card_visa", 200, visa());
}

fn header<'a>(call: &'a HttpCall, name: &str) -> Option<&'a str> {
    call.headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn approve_creates_a_manual_capture_intent_for_the_total_and_holds_it() {
    let (gw, script, ledger) = gateway("sk_test_123");
    authorises(&script);
    let charge = gw.authorize(&request(1)).await.unwrap();
    assert_eq!(
        charge,
        Charge {
            transaction_id: "pi_1".into(),
            last4: "4242".into(),
            amount: Money::from_cents(5573)
        }
    );
    let create = &script.sent()[0];
    let form = String::from_utf8(create.body.clone()).unwrap();
    assert_eq!(
        form,
        "amount=5573&currency=usd&capture_method=manual&payment_method=pm_card_visa\
         &payment_method_types%5B0%5D=card&metadata%5BorderId%5D=order-1"
    );
    assert_eq!(
        header(create, "idempotency-key"),
        Some("order-1-authorize-1")
    );
    assert_eq!(header(create, "authorization"), Some("Bearer sk_test_123"));
    assert_eq!(header(create, "stripe-version"), Some(API_VERSION));
    let record = ledger.record("order-1").unwrap();
    assert_eq!(record.state, PaymentState::Authorized);
    assert_eq!(record.intent.unwrap().id, "pi_1", "noted before confirming");

    assert_eq!(gw.authorize(&request(1)).await.unwrap(), charge);
    assert_eq!(script.sent().len(), 3, "a retried step makes no call");
}

#[tokio::test]
async fn a_decline_is_declined_with_stripes_reason_and_holds_nothing() {
    let (gw, script, ledger) = gateway("sk_test_123");
    script
        .then(
            "POST",
            "/v1/payment_intents",
            200,
            intent("pi_1", "requires_confirmation"),
        )
        .then(
            "POST",
            "/v1/payment_intents/pi_1/confirm",
            402,
            json!({"error": {"type": "card_error", "code": "card_declined",
                             "decline_code": "generic_decline"}}),
        );
    assert_eq!(
        gw.authorize(&request(1)).await,
        Err(PaymentError::Declined("generic_decline".into()))
    );
    assert_eq!(ledger.record("order-1").unwrap().charge, None);
}

#[tokio::test]
async fn a_second_attempt_after_a_decline_makes_a_new_intent() {
    let (gw, script, _) = gateway("sk_test_123");
    script
        .then(
            "POST",
            "/v1/payment_intents",
            200,
            intent("pi_1", "requires_confirmation"),
        )
        .then(
            "POST",
            "/v1/payment_intents/pi_1/confirm",
            402,
            json!({"error": {"code": "card_declined"}}),
        );
    assert!(gw.authorize(&request(1)).await.is_err());
    script
        .then(
            "POST",
            "/v1/payment_intents",
            200,
            intent("pi_2", "requires_confirmation"),
        )
        .then(
            "POST",
            "/v1/payment_intents/pi_2/confirm",
            200,
            intent("pi_2", "requires_capture"),
        )
        .then("GET", "/v1/payment_methods/pm_card_visa", 200, visa());
    let charge = gw.authorize(&request(2)).await.unwrap();
    assert_eq!(charge.transaction_id, "pi_2");
    assert_eq!(
        header(&script.sent()[2], "idempotency-key"),
        Some("order-1-authorize-2")
    );
}

#[tokio::test]
async fn rate_limited_then_approved_is_transient_then_held() {
    let (gw, script, _) = gateway("sk_test_123");
    script.then(
        "POST",
        "/v1/payment_intents",
        429,
        json!({"error": {"type": "invalid_request_error", "code": "rate_limit"}}),
    );
    assert!(matches!(
        gw.authorize(&request(1)).await,
        Err(PaymentError::Transient(_))
    ));
    authorises(&script);
    assert_eq!(
        gw.authorize(&request(1)).await.unwrap().transaction_id,
        "pi_1"
    );
}

#[tokio::test]
async fn a_timeout_after_the_intent_was_made_confirms_that_intent_not_a_second() {
    let (gw, script, _) = gateway("sk_test_123");
    script
        .then(
            "POST",
            "/v1/payment_intents",
            200,
            intent("pi_1", "requires_confirmation"),
        )
        .then_no_answer("POST", "/v1/payment_intents/pi_1/confirm");
    assert!(matches!(
        gw.authorize(&request(1)).await,
        Err(PaymentError::Transient(_))
    ));
    // Stripe had confirmed it before the answer was lost.
    script
        .then(
            "GET",
            "/v1/payment_intents/pi_1",
            200,
            intent("pi_1", "requires_capture"),
        )
        .then("GET", "/v1/payment_methods/pm_card_visa", 200, visa());
    assert_eq!(
        gw.authorize(&request(1)).await.unwrap().transaction_id,
        "pi_1"
    );
    assert_eq!(
        script.sent_to("POST", "/v1/payment_intents"),
        1,
        "one intent"
    );
}

#[tokio::test]
async fn server_errors_are_transient_and_other_refusals_permanent() {
    let (gw, script, _) = gateway("sk_test_123");
    script
        .then("POST", "/v1/payment_intents", 503, json!({}))
        .then(
            "POST",
            "/v1/payment_intents",
            401,
            json!({"error": {"type": "invalid_request_error", "code": "api_key_invalid"}}),
        );
    assert!(matches!(
        gw.authorize(&request(1)).await,
        Err(PaymentError::Transient(_))
    ));
    assert_eq!(
        gw.authorize(&request(1)).await,
        Err(PaymentError::Permanent("api_key_invalid".into()))
    );
}

#[tokio::test]
async fn test_tokens_map_to_stripe_test_methods_only_with_test_keys() {
    let (gw, script, _) = gateway("sk_live_123");
    let mut live = request(1);
    live.payment_token = "tok_visa".into();
    assert_eq!(
        gw.authorize(&live).await,
        Err(PaymentError::Declined("invalid_payment_token".into()))
    );
    assert!(
        script.sent().is_empty(),
        "nothing sent for a token Stripe cannot take"
    );

    let (gw, script, _) = gateway("sk_test_123");
    authorises(&script);
    gw.authorize(&live).await.unwrap();
    let form = String::from_utf8(script.sent()[0].body.clone()).unwrap();
    assert!(form.contains("payment_method=pm_card_visa&"), "{form}");
}

#[tokio::test]
async fn capture_takes_the_held_money_once() {
    let (gw, script, ledger) = gateway("sk_test_123");
    authorises(&script);
    gw.authorize(&request(1)).await.unwrap();
    script.then(
        "POST",
        "/v1/payment_intents/pi_1/capture",
        200,
        intent("pi_1", "succeeded"),
    );
    assert_eq!(gw.capture("order-1").await.unwrap().transaction_id, "pi_1");
    assert_eq!(gw.capture("order-1").await.unwrap().transaction_id, "pi_1");
    assert_eq!(
        script.sent_to("POST", "/v1/payment_intents/pi_1/capture"),
        1
    );
    assert_eq!(
        header(script.sent().last().unwrap(), "idempotency-key"),
        Some("order-1-capture")
    );
    assert_eq!(
        ledger.record("order-1").unwrap().state,
        PaymentState::Charged
    );
}

#[tokio::test]
async fn a_capture_whose_answer_was_lost_is_found_captured() {
    let (gw, script, ledger) = gateway("sk_test_123");
    authorises(&script);
    gw.authorize(&request(1)).await.unwrap();
    script
        .then(
            "POST",
            "/v1/payment_intents/pi_1/capture",
            400,
            json!({"error": {"code": "payment_intent_unexpected_state"}}),
        )
        .then(
            "GET",
            "/v1/payment_intents/pi_1",
            200,
            intent("pi_1", "succeeded"),
        );
    gw.capture("order-1").await.unwrap();
    assert_eq!(
        ledger.record("order-1").unwrap().state,
        PaymentState::Charged
    );
}

#[tokio::test]
async fn giving_back_a_held_payment_cancels_the_intent() {
    let (gw, script, ledger) = gateway("sk_test_123");
    authorises(&script);
    gw.authorize(&request(1)).await.unwrap();
    voids(&script);
    let voided = Some(Release::Voided {
        transaction_id: "pi_1".into(),
    });
    assert_eq!(gw.release("order-1").await.unwrap(), voided);
    assert_eq!(gw.release("order-1").await.unwrap(), voided);
    assert_eq!(script.sent_to("POST", "/v1/payment_intents/pi_1/cancel"), 1);
    let mark = &script.sent()[3];
    assert_eq!(
        (mark.url.as_str(), mark.body.as_slice()),
        (
            "http://stripe.test/v1/payment_intents/pi_1",
            &b"metadata%5BreleasedBy%5D=store"[..]
        ),
        "marked as the store's own release before the cancel"
    );
    assert_eq!(
        ledger.record("order-1").unwrap().state,
        PaymentState::Voided
    );
    assert!(matches!(
        gw.capture("order-1").await,
        Err(PaymentError::Permanent(_))
    ));
}

#[tokio::test]
async fn giving_back_a_captured_payment_refunds_it_by_intent_once() {
    let (gw, script, ledger) = gateway("sk_test_123");
    captured(&gw, &script).await;
    script.then(
        "POST",
        "/v1/refunds",
        200,
        json!({"id": "re_1", "object": "refund", "amount": 5573, "payment_intent": "pi_1"}),
    );
    let refunded = Some(Release::Refunded(Refund {
        refund_id: "re_1".into(),
        amount: Money::from_cents(5573),
    }));
    assert_eq!(gw.release("order-1").await.unwrap(), refunded);
    assert_eq!(gw.release("order-1").await.unwrap(), refunded);
    let refund = script
        .sent()
        .into_iter()
        .find(|c| c.url.ends_with("/v1/refunds"))
        .unwrap();
    assert_eq!(
        String::from_utf8(refund.body.clone()).unwrap(),
        "payment_intent=pi_1&metadata%5BorderId%5D=order-1&metadata%5BreleasedBy%5D=store"
    );
    assert_eq!(header(&refund, "idempotency-key"), Some("order-1-refund"));
    assert_eq!(
        ledger.record("order-1").unwrap().state,
        PaymentState::Refunded
    );
}

/// Scripts the store's own cancel of pi_1: marked, then cancelled.
fn voids(script: &Script) {
    script
        .then(
            "POST",
            "/v1/payment_intents/pi_1",
            200,
            intent("pi_1", "requires_capture"),
        )
        .then(
            "POST",
            "/v1/payment_intents/pi_1/cancel",
            200,
            intent("pi_1", "canceled"),
        );
}

/// pi_1 as Stripe's API shows it to the webhook, with the given metadata.
fn reported(status: &str, metadata: Value) -> Value {
    let mut intent = intent("pi_1", status);
    intent["metadata"] = metadata;
    intent
}

/// order-1 authorised and captured: the ledger holds pi_1 as charged.
async fn captured(gw: &StripeGateway, script: &Script) {
    authorises(script);
    gw.authorize(&request(1)).await.unwrap();
    script.then(
        "POST",
        "/v1/payment_intents/pi_1/capture",
        200,
        intent("pi_1", "succeeded"),
    );
    gw.capture("order-1").await.unwrap();
}

#[tokio::test]
async fn a_refund_made_in_stripe_is_recorded_and_reported_once_it_is_read() {
    let (gw, script, ledger) = gateway("sk_test_123");
    captured(&gw, &script).await;
    let refunds = json!({"object": "list", "data": [
        {"id": "re_9", "object": "refund", "amount": 5573, "metadata": {}}
    ]});
    for _ in 0..2 {
        script
            .then(
                "GET",
                "/v1/payment_intents/pi_1",
                200,
                reported("succeeded", json!({"orderId": "order-1"})),
            )
            .then(
                "GET",
                "/v1/refunds?payment_intent=pi_1",
                200,
                refunds.clone(),
            );
    }
    let expected = Reconciled::Refunded {
        order_id: "order-1".into(),
        refund: Refund {
            refund_id: "re_9".into(),
            amount: Money::from_cents(5573),
        },
    };
    assert_eq!(gw.refunded("pi_1").await.unwrap(), expected);
    let record = ledger.record("order-1").unwrap();
    assert_eq!(record.state, PaymentState::Refunded);
    assert_eq!(record.refund.unwrap().refund_id, "re_9");
    // A delivery that recorded it but did not finish is finished again.
    assert_eq!(gw.refunded("pi_1").await.unwrap(), expected);
}

#[tokio::test]
async fn the_stores_own_refund_and_cancel_are_not_reported_again() {
    let (gw, script, _) = gateway("sk_test_123");
    captured(&gw, &script).await;
    let ours = json!({"object": "list", "data": [
        {"id": "re_1", "object": "refund", "amount": 5573,
         "metadata": {"orderId": "order-1", "releasedBy": "store"}}
    ]});
    script
        .then(
            "GET",
            "/v1/payment_intents/pi_1",
            200,
            reported("succeeded", json!({"orderId": "order-1"})),
        )
        .then("GET", "/v1/refunds?payment_intent=pi_1", 200, ours);
    assert_eq!(gw.refunded("pi_1").await.unwrap(), Reconciled::Nothing);

    let (gw, script, ledger) = gateway("sk_test_123");
    authorises(&script);
    gw.authorize(&request(1)).await.unwrap();
    let ours = json!({"orderId": "order-1", "releasedBy": "store"});
    script.then(
        "GET",
        "/v1/payment_intents/pi_1",
        200,
        reported("canceled", ours),
    );
    assert_eq!(gw.cancelled("pi_1").await.unwrap(), Reconciled::Nothing);
    assert_eq!(
        ledger.record("order-1").unwrap().state,
        PaymentState::Authorized,
        "the cancel step records its own void"
    );
    script.then(
        "GET",
        "/v1/payment_intents/pi_1",
        200,
        reported("canceled", json!({"orderId": "order-1"})),
    );
    assert_eq!(
        gw.cancelled("pi_1").await.unwrap(),
        Reconciled::Voided {
            order_id: "order-1".into()
        },
        "a cancel made in Stripe is"
    );
}

#[tokio::test]
async fn nothing_authorised_nothing_given_back() {
    let (gw, script, _) = gateway("sk_test_123");
    assert_eq!(gw.release("order-1").await, Ok(None));
    assert!(script.sent().is_empty());
}

#[test]
fn messages_name_routes_not_ids() {
    assert_eq!(
        route_of("/v1/payment_intents/pi_3Mtw2bLkdIwHu7ix/confirm"),
        "/v1/payment_intents/{id}/confirm"
    );
}
