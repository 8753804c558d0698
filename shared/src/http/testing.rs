//! Builds API Gateway-like requests and reads responses, for handler tests.

use crate::auth::{KeyRing, Tokens, DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use crate::domain::{Role, User};
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::HashMap;

pub const TEST_SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

pub fn tokens() -> Tokens {
    Tokens::new(
        KeyRing::single("test", TEST_SECRET),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .expect("test key is long enough")
}

/// A token for a user id and role, as the auth function would issue it.
pub fn token_for(user_id: &str, role: Role) -> String {
    let email = format!("{user_id}@example.com");
    let user =
        User::new(user_id, &email, user_id, String::new(), chrono::Utc::now()).with_role(role);
    tokens()
        .issue(&user, None, chrono::Utc::now())
        .expect("signing works")
}

pub fn body_json(response: &Response<Body>) -> serde_json::Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
        Body::Binary(bytes) => serde_json::from_slice(bytes).expect("JSON body"),
        _ => serde_json::Value::Null,
    }
}

pub fn request(
    method: Method,
    path_and_query: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> Request {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("https://api.example.com/prod{path}"))
        .header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map_or(Body::Empty, |b| Body::Text(b.to_string()));
    let request = builder.body(body).expect("valid test request");
    let params: HashMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request
        .with_raw_http_path(path)
        .with_query_string_parameters(params)
}
