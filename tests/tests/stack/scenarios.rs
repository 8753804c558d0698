//! The order pipeline end to end on the deployed stack. These need the
//! stack in LocalStack, so they are ignored by the offline unit run;
//! `scripts/test.sh` deploys and runs them with `--ignored`.

use integration_tests::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const EVENTS_DEADLINE: Duration = Duration::from_secs(60);

fn count(statuses: &[String], status: &str) -> usize {
    statuses.iter().filter(|s| *s == status).count()
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn happy_path_two_products_reach_delivered() {
    let stack = Stack::load().await;
    let (token, user_id, email) = stack.new_customer().await;
    let a = stack.new_product(10, 19.99).await;
    let b = stack.new_product(10, 5.25).await;
    let mut tap = EventTap::subscribe(&stack, &user_id).await;

    let (status, placed) = stack
        .place_order(&token, &[(&a, 2), (&b, 3)], "94102", "tok_visa")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(
        placed["data"]["total"], 55.73,
        "2 x 19.99 + 3 x 5.25, priced by the server"
    );
    let id = placed["id"].as_str().unwrap();

    let order = stack.await_final(&token, id).await;
    assert_eq!(order["state"], "delivered", "{order}");
    assert_eq!(
        timeline(&order),
        [
            "new",
            "validating",
            "validated",
            "paying",
            "paid",
            "shipping",
            "shipped",
            "delivered"
        ]
    );
    assert_eq!(order["data"]["payment"]["last4"], "4242");
    assert!(order["data"]["shipment"]["trackingNumber"]
        .as_str()
        .unwrap()
        .starts_with("1Z"));
    assert_eq!((stack.stock(&a).await, stack.stock(&b).await), (8, 7));
    let payment = stack.payment(id).await.expect("one charge");
    assert_eq!(payment["state"].as_s().unwrap(), "charged");
    if stack.pays_with_stripe() {
        let intents = stack.intents_of(id).await;
        assert_eq!(intents.len(), 1, "one intent: {intents:?}");
        let intent = &intents[0];
        assert_eq!(intent["status"], "succeeded", "captured: {intent}");
        assert_eq!(intent["amount"], 5573, "the order total, in cents");
        assert_eq!(
            intent["capture_method"], "manual",
            "authorised, then captured"
        );
        assert_eq!(
            payment["charge"].as_m().unwrap()["transactionId"]
                .as_s()
                .unwrap(),
            intent["id"].as_str().unwrap()
        );
    }

    let expected = [
        "order.created",
        "order.validated",
        "order.paid",
        "order.shipped",
        "order.delivered",
    ];
    let events = tap.await_events(id, &expected, EVENTS_DEADLINE).await;
    assert_eq!(in_time_order(events), expected);
    let mail = stack.await_order_mail(&email, id, 5, EVENTS_DEADLINE).await;
    let short = &id[id.len() - 8..];
    let mut subjects: Vec<String> = mail
        .iter()
        .map(|m| m["Subject"].as_str().unwrap_or_default().to_string())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            format!("Order {short} confirmed"),
            format!("Order {short} has shipped"),
            format!("Order {short} was delivered"),
            format!("Payment received for order {short}"),
            format!("We received your order {short}"),
        ],
        "one mail per customer event"
    );
    tap.close().await;
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn out_of_stock_fails_and_charges_nothing() {
    let stack = Stack::load().await;
    let (token, user_id, _) = stack.new_customer().await;
    let plenty = stack.new_product(10, 1.00).await;
    let scarce = stack.new_product(1, 1.00).await;
    let mut tap = EventTap::subscribe(&stack, &user_id).await;

    let (status, placed) = stack
        .place_order(&token, &[(&plenty, 1), (&scarce, 2)], "94102", "tok_visa")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = placed["id"].as_str().unwrap();
    let order = stack.await_final(&token, id).await;
    assert_eq!(order["state"], "failed", "{order}");
    assert_eq!(timeline(&order), ["new", "validating", "failed"]);
    assert_eq!(
        (stack.stock(&plenty).await, stack.stock(&scarce).await),
        (10, 1),
        "all or nothing"
    );
    assert!(stack.payment(id).await.is_none(), "nothing charged");
    let events = tap
        .await_events(id, &["order.created", "order.failed"], EVENTS_DEADLINE)
        .await;
    assert_eq!(in_time_order(events), ["order.created", "order.failed"]);
    tap.close().await;
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn a_declined_card_is_tried_three_times_then_released() {
    let stack = Stack::load().await;
    let (token, _, _) = stack.new_customer().await;
    let product = stack.new_product(10, 3.00).await;
    let (_, placed) = stack
        .place_order(&token, &[(&product, 4)], "94102", "tok_chargeDeclined")
        .await;
    let id = placed["id"].as_str().unwrap();
    let order = stack.await_final(&token, id).await;
    assert_eq!(order["state"], "failed", "{order}");
    let statuses = timeline(&order);
    assert_eq!(count(&statuses, "paying"), 3, "{statuses:?}");
    assert_eq!(count(&statuses, "payment_failed"), 3, "{statuses:?}");
    assert_eq!(stack.stock(&product).await, 10, "inventory released");
    assert!(stack.payment(id).await.is_none(), "nothing charged");
    if stack.pays_with_stripe() {
        let intents = stack.intents_of(id).await;
        assert_eq!(intents.len(), 3, "one intent per attempt: {intents:?}");
        for intent in &intents {
            assert_eq!(
                intent["status"], "requires_payment_method",
                "declined: {intent}"
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn a_transient_gateway_error_is_retried_and_charges_once() {
    let stack = Stack::load().await;
    let (token, _, _) = stack.new_customer().await;
    let product = stack.new_product(10, 7.00).await;
    let (_, placed) = stack
        .place_order(&token, &[(&product, 1)], "94102", "tok_processingError")
        .await;
    let id = placed["id"].as_str().unwrap();
    let order = stack.await_final(&token, id).await;
    if stack.pays_with_stripe() {
        // The simulated gateway's failing-once token is no Stripe payment
        // method: Stripe declines it before any intent is made (its 429s,
        // 5xx and timeouts are retried: adapters/stripe/tests.rs).
        assert_eq!(order["state"], "failed", "{order}");
        assert_eq!(count(&timeline(&order), "payment_failed"), 3);
        assert!(
            stack.intents_of(id).await.is_empty(),
            "no intent for a foreign token"
        );
        return;
    }
    assert_eq!(order["state"], "delivered", "{order}");
    assert_eq!(
        count(&timeline(&order), "paying"),
        1,
        "a transient error is retried inside the step"
    );
    let payment = stack.payment(id).await.expect("charged");
    assert_eq!(
        payment["attempts"].as_n().unwrap(),
        "2",
        "failed once, then captured once"
    );
    assert_eq!(order["data"]["payment"]["last4"], "0119");
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn a_failed_shipment_is_tried_three_times_then_voided_and_released() {
    let stack = Stack::load().await;
    let (token, user_id, _) = stack.new_customer().await;
    let product = stack.new_product(10, 12.00).await;
    let mut tap = EventTap::subscribe(&stack, &user_id).await;
    let (_, placed) = stack
        .place_order(&token, &[(&product, 2)], "00000", "tok_visa")
        .await;
    let id = placed["id"].as_str().unwrap();
    let order = stack.await_final(&token, id).await;
    assert_eq!(order["state"], "failed", "{order}");
    let statuses = timeline(&order);
    assert_eq!(count(&statuses, "ship_failed"), 3, "{statuses:?}");
    assert_eq!(stack.stock(&product).await, 10, "inventory released");
    let payment = stack.payment(id).await.expect("authorised before shipping");
    assert_eq!(
        payment["state"].as_s().unwrap(),
        "voided",
        "no label, no capture: the hold is cancelled"
    );
    if stack.pays_with_stripe() {
        let intents = stack.intents_of(id).await;
        assert_eq!(intents.len(), 1, "{intents:?}");
        assert_eq!(intents[0]["status"], "canceled", "nothing captured");
    }
    let expected = [
        "order.payment_voided",
        "order.inventory_released",
        "order.failed",
    ];
    let events = tap.await_events(id, &expected, EVENTS_DEADLINE).await;
    let types: Vec<_> = events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap().to_string())
        .collect();
    for t in expected {
        assert!(types.contains(&t.to_string()), "{t} missing from {types:?}");
    }
    assert!(
        !types.iter().any(|t| t == "order.payment_refunded"),
        "a cancelled hold is no refund: {types:?}"
    );
    tap.close().await;
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn cancelling_before_payment_restores_stock_and_after_payment_is_422() {
    let stack = Stack::load().await;
    let (token, _, _) = stack.new_customer().await;
    let product = stack.new_product(10, 2.00).await;
    // Cancel at once: the order is new, validating or validated, and the
    // state machine must notice and give back whatever it reserved.
    let (_, placed) = stack
        .place_order(&token, &[(&product, 3)], "94102", "tok_visa")
        .await;
    let id = placed["id"].as_str().unwrap();
    let (status, cancelled) = stack
        .call(
            "POST",
            &format!("/api/orders/{id}/cancel"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    let before_payment = ["new", "validating", "validated"];
    assert!(timeline(&cancelled)
        .iter()
        .rev()
        .skip(1)
        .all(|s| before_payment.contains(&s.as_str())));
    // The execution ends on its own; the stock comes back either way.
    let start = std::time::Instant::now();
    while stack.stock(&product).await != 10 {
        assert!(
            start.elapsed() < ORDER_DEADLINE,
            "stock not restored after cancel"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        stack.order(&token, id).await["state"],
        "cancelled",
        "nothing moves a cancelled order"
    );
    assert!(stack.payment(id).await.is_none());

    let (_, placed) = stack
        .place_order(&token, &[(&product, 1)], "94102", "tok_visa")
        .await;
    let id = placed["id"].as_str().unwrap();
    stack
        .await_order(&token, id, |o| timeline(o).iter().any(|s| s == "paid"))
        .await;
    let (status, json) = stack
        .call(
            "POST",
            &format!("/api/orders/{id}/cancel"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    assert_eq!(stack.await_final(&token, id).await["state"], "delivered");
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn the_same_idempotency_key_makes_one_order_and_one_execution() {
    let stack = Stack::load().await;
    let (token, _, _) = stack.new_customer().await;
    let product = stack.new_product(10, 4.00).await;
    let body = order_body(&[(&product, 1)], "94102", "tok_visa");
    let key = format!("it-{}", uuid::Uuid::new_v4());
    let headers = [("Idempotency-Key", key.as_str())];
    let (first, a) = stack
        .call("POST", "/api/orders", Some(&token), Some(&body), &headers)
        .await;
    let (second, b) = stack
        .call("POST", "/api/orders", Some(&token), Some(&body), &headers)
        .await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(a["id"], b["id"]);
    let other = order_body(&[(&product, 2)], "94102", "tok_visa");
    let (status, _) = stack
        .call("POST", "/api/orders", Some(&token), Some(&other), &headers)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let id = a["id"].as_str().unwrap();
    stack.await_final(&token, id).await;
    let (_, mine) = stack
        .call("GET", "/api/orders", Some(&token), None, &[])
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(stack.executions_named(id).await, 1);
    assert_eq!(stack.stock(&product).await, 9);
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn twenty_concurrent_orders_for_five_units_deliver_exactly_five() {
    let stack = Stack::load().await;
    let product = stack.new_product(5, 9.00).await;
    let mut customers = Vec::new();
    for _ in 0..20 {
        customers.push(stack.new_customer().await.0);
    }
    let lines = [(product.as_str(), 1)];
    let placed = join_all(
        customers
            .iter()
            .map(|token| {
                Box::pin(stack.place_order_with_retries(token, &lines, "94102", "tok_visa"))
            })
            .collect(),
    )
    .await;
    let mut finals = Vec::new();
    for ((status, order, tries), token) in placed.iter().zip(&customers) {
        // A retried POST finishes its first try's order: 200 when that one
        // was stored, 201 when it was not.
        let placed = *status == StatusCode::CREATED || (*tries > 1 && *status == StatusCode::OK);
        assert!(placed, "{status} after {tries} tries: {order}");
        finals.push(
            stack
                .await_final(token, order["id"].as_str().unwrap())
                .await["state"]
                .clone(),
        );
    }
    let delivered = finals.iter().filter(|s| *s == "delivered").count();
    let failed = finals.iter().filter(|s| *s == "failed").count();
    assert_eq!((delivered, failed), (5, 15), "{finals:?}");
    assert_eq!(stack.stock(&product).await, 0);
}

/// Polls every future concurrently on this task until all are done.
async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futures.iter_mut().enumerate() {
            if results[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future finished"))
        .collect()
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn security_tokens_ownership_roles_and_webhook_signature() {
    let stack = Stack::load().await;
    let (alice, _, _) = stack.new_customer().await;
    let (bob, _, _) = stack.new_customer().await;
    let product = stack.new_product(10, 1.00).await;
    let (_, placed) = stack
        .place_order(&alice, &[(&product, 1)], "94102", "tok_visa")
        .await;
    let id = placed["id"].as_str().unwrap();

    let (status, _) = stack.call("GET", "/api/orders", None, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let mut tampered = alice.clone();
    tampered.pop();
    tampered.push(if alice.ends_with('A') { 'B' } else { 'A' });
    let (status, _) = stack
        .call("GET", "/api/orders", Some(&tampered), None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "tampered signature");
    let parts: Vec<&str> = alice.split('.').collect();
    let none_alg = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    let (status, _) = stack
        .call("GET", "/api/orders", Some(&none_alg), None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "alg none");
    let hs512_header = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9";
    let wrong_alg = format!("{hs512_header}.{}.{}", parts[1], parts[2]);
    let (status, _) = stack
        .call("GET", "/api/orders", Some(&wrong_alg), None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "wrong algorithm");
    // A token that expired an hour ago, signed like a real one would be, is
    // out of reach without the key: an expired-looking payload with the old
    // signature must fail as well.
    let expired_payload = "eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIiwiaXNzIjoic2VydmVybGVzcy1zdG9yZSIsImF1ZCI6InNlcnZlcmxlc3Mtc3RvcmUtYXBpIiwiaWF0IjoxLCJleHAiOjJ9";
    let expired = format!("{}.{expired_payload}.{}", parts[0], parts[2]);
    let (status, _) = stack
        .call("GET", "/api/orders", Some(&expired), None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");

    let (status, _) = stack
        .call("GET", &format!("/api/orders/{id}"), Some(&bob), None, &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's order");
    let (status, _) = stack
        .call("GET", "/api/admin/orders", Some(&bob), None, &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "customer on an admin route");
    let body = json!({"delta": 100});
    let (status, _) = stack
        .call(
            "POST",
            &format!("/api/products/{product}/stock"),
            Some(&bob),
            Some(&body),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let webhook = json!({"trackingNumber": "1ZFAKE", "status": "delivered", "occurredAt": "2026-11-21T10:00:00Z"});
    let (status, json) = stack
        .call(
            "POST",
            "/api/shipping/webhook",
            None,
            Some(&webhook),
            &[("X-Carrier-Signature", "sha256=00")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    stack.await_final(&alice, id).await;
}

/// The orders function stores an order, then starts its execution. One that
/// died in between (its timeout, under load) left the order `new` with no
/// execution; the scheduled order-sweeper (every minute on this stack) starts
/// it, and it runs to delivered like any other.
#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn an_order_stored_but_never_started_is_started_by_the_sweeper() {
    use shared::adapters::dynamodb::DynamoOrderStore;
    use shared::domain::{Money, NewOrder, Order, OrderLine, ShippingAddress};
    use shared::ports::OrderStore;

    let stack = Stack::load().await;
    let (token, user_id, _) = stack.new_customer().await;
    let product = stack.new_product(5, 12.5).await;
    // What POST /api/orders had written when it died, 10 minutes ago.
    let order = Order::place(NewOrder {
        id: uuid::Uuid::now_v7().to_string(),
        user_id,
        items: vec![OrderLine {
            product_id: product.clone(),
            name: format!("Test item {product}"),
            quantity: 2,
            unit_price: Money::from_cents(1250),
            line_total: Money::from_cents(2500),
        }],
        shipping: ShippingAddress {
            address: "1 Main St".into(),
            city: "SF".into(),
            state: "CA".into(),
            zip: "94102".into(),
        },
        payment_token: "tok_visa".into(),
        correlation_id: uuid::Uuid::new_v4().to_string(),
        now: chrono::Utc::now() - chrono::Duration::minutes(10),
    })
    .unwrap();
    let orders = DynamoOrderStore::new(
        aws_sdk_dynamodb::Client::new(&stack.aws),
        stack.output("OrdersTableName").to_string(),
    );
    orders.create(&order).await.unwrap();
    assert_eq!(stack.executions_named(&order.id).await, 0);

    // A minute for the schedule, then the pipeline.
    let delivered = stack
        .await_order_for(
            &token,
            &order.id,
            |o| o["state"] == "delivered",
            Duration::from_secs(150),
        )
        .await;
    assert_eq!(
        timeline(&delivered).first().map(String::as_str),
        Some("new")
    );
    assert_eq!(stack.executions_named(&order.id).await, 1);
    assert_eq!(stack.stock(&product).await, 3);
}

/// A refund made on Stripe's side (its dashboard) reaches the order: the
/// webhook's event is checked with Stripe, noted on the timeline, published,
/// and a replay of it changes nothing. localstripe keeps refunds but sends
/// no `charge.refunded`, so the test sends the event Stripe would, signed
/// with the stack's webhook secret.
#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn a_refund_made_in_stripe_reaches_the_order_once() {
    let stack = Stack::load().await;
    if !stack.pays_with_stripe() {
        panic!("the test stack pays with Stripe (scripts/test.sh deploys it so)");
    }
    let (token, user_id, _) = stack.new_customer().await;
    let product = stack.new_product(10, 4.50).await;
    let mut tap = EventTap::subscribe(&stack, &user_id).await;
    let (_, placed) = stack
        .place_order(&token, &[(&product, 2)], "94102", "pm_card_visa")
        .await;
    let id = placed["id"].as_str().unwrap();
    let order = stack.await_final(&token, id).await;
    assert_eq!(order["state"], "delivered", "{order}");
    let intent = order["data"]["payment"]["transactionId"]
        .as_str()
        .unwrap()
        .to_string();

    let refund = stack
        .stripe(
            "POST",
            "/v1/refunds",
            &[("payment_intent", intent.as_str())],
        )
        .await;
    assert_eq!(refund["amount"], 900);
    let event = json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": "charge.refunded",
        "data": {"object": {"object": "charge", "id": refund["charge"], "payment_intent": intent, "amount_refunded": 900}},
    });
    let (status, json) = stack.send_stripe_event(&event).await;
    assert_eq!(
        (status, &json),
        (StatusCode::OK, &json!({"status": "recorded"}))
    );

    let (_, order) = stack
        .call("GET", &format!("/api/orders/{id}"), Some(&token), None, &[])
        .await;
    assert_eq!(order["state"], "delivered", "the status stays");
    assert_eq!(order["data"]["paymentState"], "refunded");
    let notes: Vec<_> = order["data"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .unwrap_or("")
                .starts_with("payment refunded in Stripe")
        })
        .cloned()
        .collect();
    assert_eq!(notes.len(), 1, "{order}");
    assert_eq!(notes[0]["status"], "delivered");
    let events = tap
        .await_events(id, &["order.payment_refunded"], EVENTS_DEADLINE)
        .await;
    let refunded = events
        .iter()
        .find(|e| e["detail-type"] == "order.payment_refunded")
        .expect("published");
    assert_eq!(refunded["source"], "store.payments");
    assert_eq!(refunded["detail"]["status"], "delivered");

    let (status, json) = stack.send_stripe_event(&event).await;
    assert_eq!(
        (status, &json),
        (StatusCode::OK, &json!({"status": "already processed"}))
    );
    let (_, again) = stack
        .call("GET", &format!("/api/orders/{id}"), Some(&token), None, &[])
        .await;
    assert_eq!(
        again["data"]["timeline"].as_array().unwrap().len(),
        order["data"]["timeline"].as_array().unwrap().len(),
        "a replayed event adds nothing"
    );
    let mut forged = event.clone();
    forged["id"] = json!("evt_forged");
    let body = forged.to_string();
    let (status, _) = stack
        .call(
            "POST",
            "/api/payments/stripe/webhook",
            None,
            Some(&forged),
            &[(
                "Stripe-Signature",
                &format!("t={},v1=00", chrono::Utc::now().timestamp()),
            )],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unsigned {body}");
    tap.close().await;
}
