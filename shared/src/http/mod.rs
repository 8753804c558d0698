//! What every HTTP function shares: routing on the path, reading JSON bodies
//! strictly, the `{"error": "..."}` contract, CORS and authentication.

mod events_once;
mod routes;
pub use events_once::{check_event_id, EventsOnce};
pub use routes::{route_path, serve, Api, PathParams, RouteTable, Router};

use crate::auth::{Principal, Tokens};
use crate::ports::StoreError;
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Percent-encodes everything but RFC 3986's unreserved characters: safe in
/// a URI's path and query and in a form body.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Larger bodies are refused before parsing; no request of the API needs more.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The request headers a browser may send the API, in the CORS answers of
/// the functions and of API Gateway's preflight (the template's `Cors`,
/// checked against this by infra/test/routes.test.mjs).
pub const CORS_ALLOW_HEADERS: &str = "Content-Type,Authorization,Idempotency-Key,X-Correlation-Id";
pub const CORS_ALLOW_METHODS: &str = "GET,POST,PUT,DELETE,OPTIONS";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<i64>,
    /// Fields the body carries beside `error` (e.g. `mfaRequired`).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
            extra: serde_json::Map::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "missing or invalid token")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 429 with the `Retry-After` a client should wait.
    pub fn too_many(message: impl Into<String>, retry_after_seconds: i64) -> Self {
        let seconds = retry_after_seconds.max(1);
        Self::new(StatusCode::TOO_MANY_REQUESTS, message)
            .with("retryAfter", seconds.into())
            .retry_after(seconds)
    }

    fn retry_after(mut self, seconds: i64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The same error with one more field in its body.
    pub fn with(mut self, field: &str, value: serde_json::Value) -> Self {
        self.extra.insert(field.to_string(), value);
        self
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    }

    /// A failure of ours: the client learns nothing of the internals; the log
    /// gets the details.
    pub fn internal(context: &str, detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "{context}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }

    pub fn unavailable(context: &str, detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "{context}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service temporarily unavailable, please retry",
        )
    }

    /// Maps a store failure that the handler did not expect.
    pub fn from_store(context: &str, error: StoreError) -> Self {
        if error.is_transient() {
            Self::unavailable(context, error)
        } else {
            Self::internal(context, error)
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let mut body = self.extra;
        body.insert("error".into(), self.message.into());
        let mut response = json(self.status, &body);
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult = Result<Response<Body>, ApiError>;

pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let body =
        serde_json::to_string(value).unwrap_or_else(|_| r#"{"error":"internal error"}"#.into());
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub fn ok<T: Serialize + ?Sized>(value: &T) -> ApiResult {
    Ok(json(StatusCode::OK, value))
}

/// Decodes a JSON body into `T`, turning every problem the client caused into
/// a 400 that says what is wrong.
pub fn parse_json<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes = body_bytes(request);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::bad_request(format!(
            "request body too large: {} bytes, the limit is {MAX_BODY_BYTES}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request body is required (JSON)"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// The raw body, as signed by a webhook's sender.
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// A header that must be printable ASCII (space to `~`) when present:
/// `None` when absent, 400 naming it when it holds anything else.
pub fn header_text<'a>(request: &'a Request, name: &str) -> Result<Option<&'a str>, ApiError> {
    let Some(value) = request.headers().get(name) else {
        return Ok(None);
    };
    let printable = value.as_bytes().iter().all(|b| (0x20..=0x7e).contains(b));
    match value.to_str() {
        Ok(text) if printable => Ok(Some(text)),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be printable ASCII"
        ))),
    }
}

pub fn header_value<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The caller's address as API Gateway saw it (`sourceIp`); `unknown` where
/// there is no gateway context (in-process tests).
pub fn client_ip(request: &Request) -> String {
    use lambda_http::request::RequestContext;
    let ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.source_ip.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    ip.filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Ids in paths (orders, products) are 1 to 64 letters, digits, `-` or
/// `_`: anything else is refused before a store sees it.
pub const MAX_ID_CHARS: usize = 64;

pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A route's `{id}`, checked: 400 for one that cannot be an id.
pub fn path_id<'p>(params: &'p PathParams, name: &str) -> Result<&'p str, ApiError> {
    let id = params.get(name);
    if is_valid_id(id) {
        Ok(id)
    } else {
        Err(ApiError::bad_request(format!(
            "{name} must be 1 to {MAX_ID_CHARS} letters, digits, - or _"
        )))
    }
}

/// A query value of at most `max` characters without control characters;
/// `None` when absent or empty.
pub fn query_text(request: &Request, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    match query_param(request, name) {
        Some(value) if value.chars().count() > max || value.chars().any(char::is_control) => Err(
            ApiError::bad_request(format!("{name} must be at most {max} characters of text")),
        ),
        other => Ok(other),
    }
}

pub fn query_param(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name).map(str::to_string))
        .filter(|v| !v.is_empty())
}

/// The caller, from `Authorization: Bearer <jwt>`; 401 for anything else.
pub fn authenticate(request: &Request, tokens: &Tokens) -> Result<Principal, ApiError> {
    let value = header_value(request, "authorization").ok_or_else(ApiError::unauthorized)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(ApiError::unauthorized)?;
    tokens
        .verify(token.trim())
        .map_err(|_| ApiError::unauthorized())
}

pub fn require_admin(request: &Request, tokens: &Tokens) -> Result<Principal, ApiError> {
    let principal = authenticate(request, tokens)?;
    if !principal.is_admin() {
        return Err(ApiError::forbidden("admin role required"));
    }
    Ok(principal)
}

/// A correlation id for logs and events: the caller's, or API Gateway's
/// request id, or a new one.
pub fn correlation_id(request: &Request) -> String {
    header_value(request, "x-correlation-id")
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Runs a route handler inside a span carrying the correlation id (every
/// log line of the request gets it), then finishes the response.
pub async fn respond<F, Fut>(request: &Request, allowed_origin: &str, route: F) -> Response<Body>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ApiResult>,
{
    use tracing::Instrument;
    let correlation_id = correlation_id(request);
    let span = tracing::info_span!(
        "request",
        correlationId = %correlation_id,
        orderId = tracing::field::Empty,
    );
    let result = route(correlation_id).instrument(span).await;
    finish(request, allowed_origin, result)
}

/// Adds the CORS headers the storefront's origin needs, and answers
/// preflight requests, around any handler outcome. An empty
/// `allowed_origin` allows no other origin: no Access-Control-Allow-Origin.
pub fn finish(request: &Request, allowed_origin: &str, result: ApiResult) -> Response<Body> {
    let mut response = if request.method() == Method::OPTIONS {
        let mut r = Response::new(Body::Empty);
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        result.unwrap_or_else(ApiError::into_response)
    };
    let headers = response.headers_mut();
    if let Ok(origin) = HeaderValue::from_str(allowed_origin.trim()) {
        if !origin.is_empty() {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(CORS_ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(CORS_ALLOW_METHODS),
    );
    response
}

/// Test helpers to build API Gateway-like requests and read responses.
#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod cors_tests {
    use super::*;
    use testing::request;

    fn allow_origin(allowed_origin: &str) -> Option<String> {
        let request = request(Method::GET, "/api/products", None, None);
        let response = finish(&request, allowed_origin, ok(&serde_json::json!([])));
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_string())
    }

    #[test]
    fn the_configured_origin_is_allowed_and_none_when_unset() {
        assert_eq!(
            allow_origin("https://shop.example.com").as_deref(),
            Some("https://shop.example.com")
        );
        assert_eq!(allow_origin(""), None);
        assert_eq!(allow_origin("  "), None);
    }
}
