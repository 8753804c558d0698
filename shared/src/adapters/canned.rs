//! Canned HTTP answers for the real SDK clients, so adapter tests exercise
//! the SDK's own error parsing and our classification of it, offline.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One answer: an HTTP status with a JSON body, or a connection that failed.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(u16, String),
    ConnectionRefused,
}

impl Answer {
    /// An AWS JSON-protocol error, as DynamoDB (and others) send it.
    pub fn error(status: u16, code: &str) -> Answer {
        Answer::Json(
            status,
            serde_json::json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": code})
                .to_string(),
        )
    }

    pub fn ok(body: serde_json::Value) -> Answer {
        Answer::Json(200, body.to_string())
    }
}

/// Answers requests in order and keeps their bodies for assertions.
#[derive(Debug, Clone, Default)]
pub struct Canned {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    requests: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Canned {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Canned {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            requests: Arc::default(),
        }
    }

    /// The JSON bodies of the requests made so far.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.requests.lock().unwrap().clone()
    }

    fn http_client(&self) -> SharedHttpClient {
        let canned = self.clone();
        http_client_fn(move |_, _| SharedHttpConnector::new(canned.clone()))
    }

    /// A DynamoDB client that talks to this script only, without retries.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "canned"))
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .http_client(self.http_client())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

impl HttpConnector for Canned {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request.body().bytes().unwrap_or_default();
        self.requests
            .lock()
            .unwrap()
            .push(serde_json::from_slice(body).unwrap_or(serde_json::Value::Null));
        let answer = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("a canned answer for every request");
        HttpConnectorFuture::ready(match answer {
            Answer::Json(status, body) => {
                let mut response = HttpResponse::new(
                    status.try_into().expect("a valid status"),
                    SdkBody::from(body),
                );
                response
                    .headers_mut()
                    .insert("content-type", "application/x-amz-json-1.0");
                Ok(response)
            }
            Answer::ConnectionRefused => Err(ConnectorError::io(Box::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))),
        })
    }
}
