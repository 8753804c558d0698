//! A client for the deployed store: its REST API (through LocalStack's
//! `/restapis/<id>/<stage>/_user_request_` path) and the AWS APIs behind it.
//! Every wait has a deadline and polls a condition; nothing sleeps blindly.

use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "customer-password";
/// How long one order may take to reach a final status on the local stack.
pub const ORDER_DEADLINE: Duration = Duration::from_secs(90);

/// An admin made by `Stack::new_admin`.
pub struct Admin {
    pub email: String,
    pub secret: Vec<u8>,
    pub token: String,
}

/// The TOTP code of `secret` now.
pub fn totp_now(secret: &[u8]) -> String {
    shared::auth::totp::code_at(secret, chrono::Utc::now().timestamp() as u64)
}

/// The deployed stack, described by the deploy script's outputs file.
pub struct Stack {
    pub api: String,
    pub endpoint: String,
    pub outputs: HashMap<String, String>,
    pub http: reqwest::Client,
    pub aws: shared::adapters::aws::SdkConfig,
}

impl Stack {
    /// Reads `$STACK_OUTPUTS`, by default the outputs of the tests' own stack
    /// (`.cache/localstack/stacks/serverless-store-test/stack-outputs.json`),
    /// so the tests never write into the demo store.
    pub async fn load() -> Stack {
        let path = std::env::var("STACK_OUTPUTS").unwrap_or_else(|_| {
            format!(
                "{}/../.cache/localstack/stacks/serverless-store-test/stack-outputs.json",
                env!("CARGO_MANIFEST_DIR")
            )
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{path}: {e}. Deploy the tests' stack first: scripts/test.sh does it")
        });
        let outputs: HashMap<String, String> = serde_json::from_str(&text).expect("outputs JSON");
        let endpoint =
            std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
        let api = format!(
            "{endpoint}/_aws/execute-api/{}/{}",
            outputs["ApiId"], outputs["StageName"]
        );
        // The functions' own SDK set-up: AWS_ENDPOINT_URL and credentials
        // come from the environment (localstack/env.sh).
        let aws = shared::adapters::aws::load_config().await;
        Stack {
            api,
            endpoint,
            outputs,
            http: reqwest::Client::new(),
            aws,
        }
    }

    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("stack output {name} missing"))
    }

    /// Any API call: returns the status and the JSON body (Null if none).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.api));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Registers a fresh customer and verifies its address with the mailed
    /// code (order mail goes to verified addresses only); returns (token,
    /// user id, email).
    pub async fn new_customer(&self) -> (String, String, String) {
        let (token, user_id, email) = self.new_unverified_customer().await;
        let code = self.mailed_code(&email).await;
        let (status, json) = self
            .call(
                "POST",
                "/api/auth/verify-email",
                None,
                Some(&json!({"email": email, "code": code})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "verify-email: {json}");
        (token, user_id, email)
    }

    /// Registers a fresh customer and signs in; its address stays unverified.
    pub async fn new_unverified_customer(&self) -> (String, String, String) {
        let email = format!("it-{}@store.test", uuid::Uuid::new_v4());
        let body = json!({"email": email, "password": PASSWORD, "name": "Integration Test"});
        let (status, json) = self
            .call("POST", "/api/auth/register", None, Some(&body), &[])
            .await;
        assert_eq!(status, StatusCode::CREATED, "register: {json}");
        let login = json!({"email": email, "password": PASSWORD});
        let (status, json) = self
            .call("POST", "/api/auth/login", None, Some(&login), &[])
            .await;
        assert_eq!(status, StatusCode::OK, "login: {json}");
        (
            json["token"].as_str().unwrap().to_string(),
            json["user"]["id"].as_str().unwrap().to_string(),
            email,
        )
    }

    /// The six-digit code of the newest mail LocalStack's SES holds for
    /// `email` (waits for one).
    pub async fn mailed_code(&self, email: &str) -> String {
        let start = Instant::now();
        loop {
            let code = self.mail_to(email).await.iter().rev().find_map(|m| {
                let text = m["Body"]["text_part"].as_str().unwrap_or_default();
                text.split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_string)
            });
            if let Some(code) = code {
                return code;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no code mailed to {email}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// An admin's access token: an admin of this test process, made as an
    /// operator makes one (verified address, TOTP, `store-admin grant`).
    pub async fn admin(&self) -> String {
        static ADMIN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        ADMIN
            .get_or_init(|| async { self.new_admin().await.token })
            .await
            .clone()
    }

    /// A new admin: registered, verified, TOTP confirmed, granted by the
    /// `store-admin` command, then signed in with a code.
    pub async fn new_admin(&self) -> Admin {
        let (token, _, email) = self.new_customer().await;
        let (status, setup) = self
            .call(
                "POST",
                "/api/auth/totp/setup",
                Some(&token),
                Some(&json!({})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "totp/setup: {setup}");
        let secret = shared::auth::totp::from_base32(setup["secret"].as_str().unwrap())
            .expect("a base32 secret");
        let (status, json) = self
            .call(
                "POST",
                "/api/auth/totp/confirm",
                Some(&token),
                Some(&json!({"code": totp_now(&secret)})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "totp/confirm: {json}");
        let granted = self.store_admin(&["grant", &email]);
        assert!(granted.status.success(), "store-admin grant: {granted:?}");
        let token = self.sign_in_with_totp(&email, &secret).await;
        Admin {
            email,
            secret,
            token,
        }
    }

    /// Signs in with the password and a TOTP code of a step not used yet
    /// (a code is good once; confirming used the current one).
    pub async fn sign_in_with_totp(&self, email: &str, secret: &[u8]) -> String {
        let start = Instant::now();
        loop {
            let body = json!({"email": email, "password": PASSWORD, "totpCode": totp_now(secret)});
            let (status, json) = self
                .call("POST", "/api/auth/login", None, Some(&body), &[])
                .await;
            if status == StatusCode::OK {
                return json["token"].as_str().unwrap().to_string();
            }
            assert_eq!(json["mfaRequired"], true, "login: {status} {json}");
            assert!(
                start.elapsed() < Duration::from_secs(70),
                "no fresh code: {json}"
            );
            // The next step's code.
            let into_step = chrono::Utc::now().timestamp() % 30;
            tokio::time::sleep(Duration::from_secs((31 - into_step) as u64)).await;
        }
    }

    /// Runs the operator's `store-admin` command against this stack.
    pub fn store_admin(&self, args: &[&str]) -> std::process::Output {
        let binary = format!("{}/../target/local/store-admin", env!("CARGO_MANIFEST_DIR"));
        std::process::Command::new(&binary)
            .args(args)
            .env("USERS_TABLE", self.output("UsersTableName"))
            .output()
            .unwrap_or_else(|e| panic!("{binary}: {e} (scripts/up.sh builds it)"))
    }

    /// A product of our own with a known stock, so tests do not share stock.
    pub async fn new_product(&self, stock: u32, price: f64) -> String {
        let admin = self.admin().await;
        let id = format!("it-{}", uuid::Uuid::new_v4().simple());
        let body = json!({"id": id, "name": format!("Test item {id}"), "price": price, "category": "Test", "stock": stock});
        let (status, json) = self
            .call("POST", "/api/products", Some(&admin), Some(&body), &[])
            .await;
        assert_eq!(status, StatusCode::CREATED, "create product: {json}");
        id
    }

    pub async fn stock(&self, product_id: &str) -> i64 {
        let (status, json) = self
            .call(
                "GET",
                &format!("/api/products/{product_id}"),
                None,
                None,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["data"]["stock"].as_i64().unwrap()
    }

    pub async fn place_order(
        &self,
        token: &str,
        lines: &[(&str, u32)],
        zip: &str,
        payment_token: &str,
    ) -> (StatusCode, Value) {
        let body = order_body(lines, zip, payment_token);
        self.call("POST", "/api/orders", Some(token), Some(&body), &[])
            .await
    }

    /// Places an order as a careful client does: with an Idempotency-Key,
    /// sent again with the same key while the answer is a 5xx (up to three
    /// tries). On two cores a burst can run a POST past the orders
    /// function's timeout (BENCHMARKS.md, "The 502s under concurrent
    /// orders"); the retry finishes that order instead of making another.
    /// Returns the last answer and how many tries it took.
    pub async fn place_order_with_retries(
        &self,
        token: &str,
        lines: &[(&str, u32)],
        zip: &str,
        payment_token: &str,
    ) -> (StatusCode, Value, u32) {
        let body = order_body(lines, zip, payment_token);
        let key = format!("it-{}", uuid::Uuid::new_v4());
        let headers = [("Idempotency-Key", key.as_str())];
        let mut tries = 0;
        loop {
            tries += 1;
            let (status, json) = self
                .call("POST", "/api/orders", Some(token), Some(&body), &headers)
                .await;
            if !status.is_server_error() || tries == 3 {
                return (status, json, tries);
            }
            eprintln!("POST /api/orders answered {status} {json}: the same key again");
        }
    }

    pub async fn order(&self, token: &str, id: &str) -> Value {
        let (status, json) = self
            .call("GET", &format!("/api/orders/{id}"), Some(token), None, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json
    }

    /// Polls the order until its status is final (delivered, cancelled,
    /// failed) or the deadline passes.
    pub async fn await_final(&self, token: &str, id: &str) -> Value {
        self.await_order(token, id, |o| {
            matches!(
                o["state"].as_str(),
                Some("delivered" | "cancelled" | "failed")
            )
        })
        .await
    }

    pub async fn await_order(&self, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        self.await_order_for(token, id, done, ORDER_DEADLINE).await
    }

    pub async fn await_order_for(
        &self,
        token: &str,
        id: &str,
        done: impl Fn(&Value) -> bool,
        deadline: Duration,
    ) -> Value {
        let start = Instant::now();
        loop {
            let order = self.order(token, id).await;
            if done(&order) {
                return order;
            }
            assert!(
                start.elapsed() < deadline,
                "order {id} still {} after {deadline:?}: {order}",
                order["state"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The simulated gateway's record for an order: None when never charged.
    pub async fn payment(&self, order_id: &str) -> Option<HashMap<String, AttributeValue>> {
        let dynamo = aws_sdk_dynamodb::Client::new(&self.aws);
        dynamo
            .get_item()
            .table_name(self.output("PaymentsTableName"))
            .key("orderId", AttributeValue::S(order_id.into()))
            .consistent_read(true)
            .send()
            .await
            .expect("payments table")
            .item
            .filter(|item| item.contains_key("charge"))
    }

    /// Mail LocalStack's SES recorded for a recipient (its `?email=`
    /// filter is on the sender, so we filter on the destination here).
    pub async fn mail_to(&self, email: &str) -> Vec<Value> {
        let url = format!("{}/_aws/ses", self.endpoint);
        let json: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        json["messages"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter(|m| {
                        m["Destination"]["ToAddresses"]
                            .as_array()
                            .is_some_and(|to| to.iter().any(|a| a == email))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until notify has handled `count` events of the order (its
    /// completed claims in the idempotency table: mailed or skipped).
    pub async fn await_notified(&self, order_id: &str, count: usize) {
        let dynamo = aws_sdk_dynamodb::Client::new(&self.aws);
        let start = Instant::now();
        loop {
            let mut handled = 0;
            let mut start_key = None;
            loop {
                let page = dynamo
                    .scan()
                    .table_name(self.output("IdempotencyTableName"))
                    .filter_expression(
                        "#v = :order AND begins_with(pk, :notify) AND completed = :done",
                    )
                    .expression_attribute_names("#v", "value")
                    .expression_attribute_values(":order", AttributeValue::S(order_id.into()))
                    .expression_attribute_values(":notify", AttributeValue::S("notify#".into()))
                    .expression_attribute_values(":done", AttributeValue::Bool(true))
                    .set_exclusive_start_key(start_key)
                    .send()
                    .await
                    .expect("scan the idempotency table");
                handled += page.items().len();
                start_key = page.last_evaluated_key;
                if start_key.is_none() {
                    break;
                }
            }
            if handled >= count {
                return;
            }
            assert!(
                start.elapsed() < ORDER_DEADLINE,
                "notify handled {handled} of {count} events"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits until at least `count` mails reached `email`.
    pub async fn await_mail(&self, email: &str, count: usize, deadline: Duration) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let mail = self.mail_to(email).await;
            if mail.len() >= count || start.elapsed() > deadline {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits for `count` mails to `email` whose text names `order_id`, so
    /// the verification mail sent at registration is not counted.
    pub async fn await_order_mail(
        &self,
        email: &str,
        order_id: &str,
        count: usize,
        deadline: Duration,
    ) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let mail: Vec<Value> = self
                .mail_to(email)
                .await
                .into_iter()
                .filter(|m| {
                    m["Body"]["text_part"]
                        .as_str()
                        .is_some_and(|text| text.contains(order_id))
                })
                .collect();
            if mail.len() >= count || start.elapsed() > deadline {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Whether the stack's payments go to Stripe (localstripe here).
    pub fn pays_with_stripe(&self) -> bool {
        self.output("PaymentProvider") == "stripe"
    }

    /// The Stripe keys the stack's functions read from Secrets Manager.
    pub async fn stripe_keys(&self) -> shared::adapters::payments::StripeKeys {
        let secret = shared::adapters::aws::read_secret(&self.aws, self.output("StripeSecretArn"))
            .await
            .expect("the Stripe secret");
        shared::adapters::payments::StripeKeys::parse(&secret).expect("the Stripe keys")
    }

    /// A call to the stack's Stripe (localstripe), as its functions make it.
    pub async fn stripe(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Value {
        let key = self.stripe_keys().await.secret_key;
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let url = format!("{}{path}", self.output("StripeApiBase"));
        let mut request = self.http.request(method, url).bearer_auth(key);
        if !form.is_empty() {
            let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.join("&"));
        }
        let response = request.send().await.expect("localstripe answers");
        let status = response.status();
        let json: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "stripe {path}: {status} {json}");
        json
    }

    /// Every PaymentIntent Stripe holds for an order (by its metadata).
    pub async fn intents_of(&self, order_id: &str) -> Vec<Value> {
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(id) => format!("/v1/payment_intents?limit=100&starting_after={id}"),
                None => "/v1/payment_intents?limit=100".to_string(),
            };
            let page = self.stripe("GET", &path, &[]).await;
            let data = page["data"].as_array().cloned().unwrap_or_default();
            after = data
                .last()
                .and_then(|i| i["id"].as_str())
                .map(str::to_string);
            found.extend(
                data.into_iter()
                    .filter(|i| i["metadata"]["orderId"] == order_id),
            );
            if page["has_more"] != true || after.is_none() {
                return found;
            }
        }
    }

    /// Posts a Stripe event to the stack's webhook, signed with its secret.
    pub async fn send_stripe_event(&self, event: &Value) -> (StatusCode, Value) {
        let secret = self.stripe_keys().await.webhook_secret;
        let body = event.to_string();
        let signature = shared::webhook::sign(
            secret.as_bytes(),
            body.as_bytes(),
            chrono::Utc::now().timestamp(),
        );
        let response = self
            .http
            .post(format!("{}/api/payments/stripe/webhook", self.api))
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(body)
            .send()
            .await
            .expect("the API answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn executions_named(&self, order_id: &str) -> usize {
        let sfn = aws_sdk_sfn::Client::new(&self.aws);
        let listed = sfn
            .list_executions()
            .state_machine_arn(self.output("StateMachineArn"))
            .max_results(1000)
            .send()
            .await
            .expect("list executions");
        listed
            .executions()
            .iter()
            .filter(|e| e.name() == order_id)
            .count()
    }
}

pub fn order_body(lines: &[(&str, u32)], zip: &str, payment_token: &str) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(id, q)| json!({"productId": id, "quantity": q}))
        .collect();
    json!({
        "items": items,
        "shipping": {"address": "1 Test Way", "city": "Testville", "state": "CA", "zip": zip},
        "paymentToken": payment_token
    })
}

/// The statuses of an order's timeline, in order.
pub fn timeline(order: &Value) -> Vec<String> {
    order["data"]["timeline"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|e| e["status"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// An SQS queue subscribed to the bus for one user's events: the tests'
/// own view of what EventBridge delivered.
pub struct EventTap {
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    queue_url: String,
    rule: String,
    bus: String,
    seen: Vec<Value>,
    schema: jsonschema::Validator,
}

impl EventTap {
    pub async fn subscribe(stack: &Stack, user_id: &str) -> EventTap {
        let sqs = aws_sdk_sqs::Client::new(&stack.aws);
        let events = aws_sdk_eventbridge::Client::new(&stack.aws);
        let name = format!("it-{}", uuid::Uuid::new_v4().simple());
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let queue_arn = attributes.attributes().unwrap()
            [&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        let bus = stack.output("EventBusName").to_string();
        let pattern = json!({"source": [{"prefix": "store."}], "detail": {"userId": [user_id]}});
        events
            .put_rule()
            .name(&name)
            .event_bus_name(&bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule(&name)
            .event_bus_name(&bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("tap")
                    .arn(&queue_arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let schema: Value = serde_json::from_str(include_str!(
            "../../shared/schemas/order-event.v1.schema.json"
        ))
        .unwrap();
        let schema = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        EventTap {
            sqs,
            events,
            queue_url,
            rule: name,
            bus,
            seen: Vec::new(),
            schema,
        }
    }

    /// Waits until `expected` detail-types arrived for the order (in any
    /// order) and returns all its events in arrival order, each checked
    /// against the event schema.
    pub async fn await_events(
        &mut self,
        order_id: &str,
        expected: &[&str],
        deadline: Duration,
    ) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let of_order: Vec<Value> = self
                .seen
                .iter()
                .filter(|e| e["detail"]["orderId"] == order_id)
                .cloned()
                .collect();
            let types: Vec<&str> = of_order
                .iter()
                .filter_map(|e| e["detail-type"].as_str())
                .collect();
            if expected.iter().all(|t| types.contains(t)) || start.elapsed() > deadline {
                return of_order;
            }
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            for message in received.messages.unwrap_or_default() {
                let event: Value = serde_json::from_str(message.body().unwrap_or("null")).unwrap();
                let errors: Vec<String> = self
                    .schema
                    .iter_errors(&event)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "event breaks the schema: {errors:?}\n{event}"
                );
                self.seen.push(event);
                if let Some(receipt) = message.receipt_handle() {
                    let _ = self
                        .sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(receipt)
                        .send()
                        .await;
                }
            }
        }
    }

    pub async fn close(self) {
        let _ = self
            .events
            .remove_targets()
            .rule(&self.rule)
            .event_bus_name(&self.bus)
            .ids("tap")
            .send()
            .await;
        let _ = self
            .events
            .delete_rule()
            .name(&self.rule)
            .event_bus_name(&self.bus)
            .send()
            .await;
        let _ = self
            .sqs
            .delete_queue()
            .queue_url(&self.queue_url)
            .send()
            .await;
    }
}

/// Orders events by when they happened (SQS does not keep order).
pub fn in_time_order(mut events: Vec<Value>) -> Vec<String> {
    events.sort_by(|a, b| {
        let time = |e: &Value| {
            e["detail"]["occurredAt"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        time(a).cmp(&time(b))
    });
    events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap_or_default().to_string())
        .collect()
}
