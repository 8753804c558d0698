//! `GET /orders/{id}/events` on a response-streaming function URL: the
//! order's timeline as server-sent events, live. One `status` event per
//! timeline entry (`id:` its index, so `Last-Event-ID` resumes without
//! repeats), a comment every 15 s to keep the connection, and an `end`
//! event at a final status or after the cap (a page left open reconnects
//! with `Last-Event-ID` rather than holding a function for days).
//!
//! The source is a strongly consistent `GetItem` of the order each second:
//! the read costs about 6% of what the open connection's duration does
//! (BENCHMARKS.md, the stream), and it works the same on LocalStack.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Request, RequestExt, Response};
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::DynamoOrderStore;
use shared::adapters::SystemClock;
use shared::auth::{Principal, Tokens};
use shared::domain::{Order, OrderStatus, ProcessingDetails};
use shared::http::{self, ApiError};
use shared::ports::{Clock, OrderStore};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// What the stream's body is: frames as they come, or one error document.
pub type StreamBodyOf = UnsyncBoxBody<Bytes, Infallible>;

/// How often the order is read, how quiet the stream may be before a
/// heartbeat, and how long one stream lasts at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTimes {
    pub poll: Duration,
    pub heartbeat: Duration,
    pub cap: Duration,
}

impl Default for StreamTimes {
    fn default() -> Self {
        StreamTimes {
            poll: Duration::from_secs(1),
            heartbeat: Duration::from_secs(15),
            cap: Duration::from_secs(60),
        }
    }
}

/// Waiting between reads: the real clock in production, a scripted one in
/// tests (no test waits in real time).
#[async_trait::async_trait]
pub trait Pause: Send + Sync {
    async fn pause(&self, duration: Duration);
}

pub struct TokioPause;

#[async_trait::async_trait]
impl Pause for TokioPause {
    async fn pause(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Reads in a row that may fail before the stream gives up (the client
/// reconnects with `Last-Event-ID`).
const READ_FAILURES_TOLERATED: u32 = 3;
/// What a client waits before reconnecting, milliseconds (`retry:`).
const RECONNECT_MS: u32 = 3000;

pub struct OrderStream {
    pub orders: Arc<dyn OrderStore>,
    pub tokens: Arc<Tokens>,
    pub clock: Arc<dyn Clock>,
    pub pause: Arc<dyn Pause>,
    pub times: StreamTimes,
    /// The storefront's origin for CORS; empty where the function URL's own
    /// CORS configuration answers (AWS).
    pub allowed_origin: String,
}

/// One `status` event's data.
#[derive(Serialize)]
struct StatusFrame<'a> {
    index: usize,
    status: OrderStatus,
    at: DateTime<Utc>,
    reason: &'a str,
    details: ProcessingDetails,
}

/// The `status` events of `order`'s timeline entries after `after`. Each
/// carries the details known by its point of the timeline: the payment's
/// from `paid` on, the shipment's from `shipped` on, the failure's reason
/// on the final `failed`.
pub fn status_frames(order: &Order, after: Option<usize>) -> String {
    let all = ProcessingDetails::of(order);
    let mut paid = false;
    let mut shipped = false;
    let last = order.timeline.len().saturating_sub(1);
    let mut frames = String::new();
    for (index, entry) in order.timeline.iter().enumerate() {
        paid |= entry.status == OrderStatus::Paid;
        shipped |= entry.status == OrderStatus::Shipped;
        if after.is_some_and(|a| index <= a) {
            continue;
        }
        let details = ProcessingDetails {
            transaction_id: all.transaction_id.clone().filter(|_| paid),
            last4: all.last4.clone().filter(|_| paid),
            tracking_number: all.tracking_number.clone().filter(|_| shipped),
            carrier: all.carrier.clone().filter(|_| shipped),
            estimated_delivery: all.estimated_delivery.clone().filter(|_| shipped),
            error: all
                .error
                .clone()
                .filter(|_| index == last && entry.status == OrderStatus::Failed),
        };
        let data = StatusFrame {
            index,
            status: entry.status,
            at: entry.at,
            reason: &entry.reason,
            details,
        };
        let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".into());
        frames.push_str(&format!("id: {index}\nevent: status\ndata: {json}\n\n"));
    }
    frames
}

fn end_frame(reason: &str) -> String {
    format!("event: end\ndata: {{\"reason\":\"{reason}\"}}\n\n")
}

/// Where a running stream is.
struct Progress {
    stream: Arc<OrderStream>,
    order: Order,
    /// The index of the last entry sent.
    sent: Option<usize>,
    started: DateTime<Utc>,
    last_output: DateTime<Utc>,
    failures: u32,
    ended: bool,
}

impl Progress {
    /// The next chunk of the body, after as many reads as it takes; `None`
    /// once the end was sent.
    async fn next_chunk(mut self) -> Option<(Result<bytes_frame::Frame, Infallible>, Self)> {
        if self.ended {
            return None;
        }
        loop {
            let now = self.stream.clock.now();
            let fresh = status_frames(&self.order, self.sent);
            if !fresh.is_empty() {
                self.sent = Some(self.order.timeline.len() - 1);
                self.last_output = now;
                return Some((Ok(bytes_frame::data(fresh)), self));
            }
            if self.order.status.is_final() {
                return Some((Ok(self.end("final")), self));
            }
            if elapsed(self.started, now) >= self.stream.times.cap {
                return Some((Ok(self.end("cap")), self));
            }
            if elapsed(self.last_output, now) >= self.stream.times.heartbeat {
                self.last_output = now;
                return Some((Ok(bytes_frame::data(": heartbeat\n\n".into())), self));
            }
            self.stream.pause.pause(self.stream.times.poll).await;
            match self.stream.orders.get(&self.order.id).await {
                Ok(Some(order)) => {
                    self.order = order;
                    self.failures = 0;
                }
                Ok(None) => return Some((Ok(self.end("gone")), self)),
                Err(e) => {
                    self.failures += 1;
                    tracing::warn!(error = %e, failures = self.failures, "order not read");
                    if self.failures >= READ_FAILURES_TOLERATED {
                        return Some((Ok(self.end("unavailable")), self));
                    }
                }
            }
        }
    }

    fn end(&mut self, reason: &str) -> bytes_frame::Frame {
        self.ended = true;
        tracing::info!(reason, "stream ended");
        bytes_frame::data(end_frame(reason))
    }
}

fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or_default()
}

/// The body's frames.
mod bytes_frame {
    pub type Frame = http_body::Frame<bytes::Bytes>;
    pub fn data(text: String) -> Frame {
        Frame::data(bytes::Bytes::from(text))
    }
}

impl OrderStream {
    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        let cap_seconds = aws::env_or("STREAM_MAX_SECONDS", "60");
        let cap = cap_seconds
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=900).contains(s))
            .ok_or_else(|| ConfigError::Invalid {
                name: "STREAM_MAX_SECONDS".into(),
                reason: format!("{cap_seconds:?} is not 1 to 900 seconds"),
            })?;
        Ok(OrderStream {
            orders: Arc::new(DynamoOrderStore::new(
                aws::dynamodb(config),
                aws::env_required("ORDERS_TABLE")?,
            )),
            tokens: Arc::new(aws::tokens_from_env(config).await?),
            clock: Arc::new(SystemClock),
            pause: Arc::new(TokioPause),
            times: StreamTimes {
                cap: Duration::from_secs(cap),
                ..StreamTimes::default()
            },
            allowed_origin: aws::env_or("ALLOWED_ORIGIN", ""),
        })
    }

    /// Answers a request: the event stream, or a JSON error.
    pub async fn handle(self: &Arc<Self>, request: Request) -> Response<StreamBodyOf> {
        let mut response = match self.start(&request).await {
            Ok(response) => response,
            Err(error) => json_error(error),
        };
        self.cors(&request, &mut response);
        response
    }

    async fn start(
        self: &Arc<Self>,
        request: &Request,
    ) -> Result<Response<StreamBodyOf>, ApiError> {
        if request.method() == Method::OPTIONS {
            let mut response = Response::new(full(String::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            return Ok(response);
        }
        let path = request.raw_http_path();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let id = match segments.as_slice() {
            [.., "orders", id, "events"] => *id,
            _ => return Err(ApiError::not_found("no such route")),
        };
        if request.method() != Method::GET {
            return Err(ApiError::method_not_allowed());
        }
        let principal = http::authenticate(request, &self.tokens)?;
        if !http::is_valid_id(id) {
            return Err(ApiError::bad_request(
                "id must be 1 to 64 letters, digits, - or _",
            ));
        }
        let after = last_event_id(request)?;
        let order = self
            .orders
            .get(id)
            .await
            .map_err(|e| ApiError::from_store("reading an order", e))?
            .filter(|order| visible_to(order, &principal))
            .ok_or_else(|| ApiError::not_found(format!("order {id} not found")))?;
        tracing::info!(order_id = %order.id, after = ?after, "stream started");
        let now = self.clock.now();
        let progress = Progress {
            stream: self.clone(),
            order,
            sent: after,
            started: now,
            last_output: now,
            failures: 0,
            ended: false,
        };
        let opening = stream::once(async {
            Ok::<_, Infallible>(bytes_frame::data(format!("retry: {RECONNECT_MS}\n\n")))
        });
        let frames = stream::unfold(progress, Progress::next_chunk);
        let body = StreamBody::new(futures_util::StreamExt::chain(opening, frames));
        let mut response = Response::new(UnsyncBoxBody::new(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        Ok(response)
    }

    fn cors(&self, request: &Request, response: &mut Response<StreamBodyOf>) {
        if self.allowed_origin.is_empty() {
            return;
        }
        let origin = http::header_value(request, "origin").unwrap_or_default();
        let allowed = self
            .allowed_origin
            .split(',')
            .map(str::trim)
            .find(|o| *o == origin || *o == "*");
        if let Some(value) = allowed.and_then(|o| HeaderValue::from_str(o).ok()) {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization,Last-Event-ID"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET,OPTIONS"),
            );
        }
    }
}

/// The owner, or an admin; to anyone else the order does not exist.
fn visible_to(order: &Order, principal: &Principal) -> bool {
    order.user_id == principal.user_id || principal.is_admin()
}

/// `Last-Event-ID` (or `lastEventId` in the query, for clients that cannot
/// set headers): the index of the last entry the client has.
fn last_event_id(request: &Request) -> Result<Option<usize>, ApiError> {
    let text = match http::header_text(request, "last-event-id")? {
        Some(text) => Some(text.to_string()),
        None => http::query_param(request, "lastEventId"),
    };
    text.map(|t| {
        t.trim()
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request("Last-Event-ID must be an entry's index"))
    })
    .transpose()
}

fn full(text: String) -> StreamBodyOf {
    Full::new(Bytes::from(text))
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn json_error(error: ApiError) -> Response<StreamBodyOf> {
    let status = error.status;
    let body = serde_json::json!({ "error": error.message }).to_string();
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(feature = "testing")]
impl OrderStream {
    /// On the in-memory world's orders and clock, with the test keys.
    pub fn in_memory(world: &shared::adapters::memory::MemoryWorld, pause: Arc<dyn Pause>) -> Self {
        OrderStream {
            orders: world.orders.clone(),
            tokens: Arc::new(shared::http::testing::tokens()),
            clock: world.clock.clone(),
            pause,
            times: StreamTimes::default(),
            allowed_origin: "https://shop.example.com".into(),
        }
    }
}
