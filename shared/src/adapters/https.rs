//! Calls to third parties' HTTPS APIs (the carrier's webhook, Stripe) over
//! the hyper and rustls stack the AWS SDK already links, behind `HttpSend`
//! so their adapters are tested against canned answers.

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// No answer came: no connection, or none in time. Whether the other side
/// acted on the call is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no answer: {0}")]
pub struct NoAnswer(pub String);

#[async_trait]
pub trait HttpSend: Send + Sync {
    async fn send(&self, call: HttpCall) -> Result<HttpAnswer, NoAnswer>;
}

type Connector = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

pub struct HttpsClient {
    client: hyper_util::client::legacy::Client<Connector, Full<Bytes>>,
    /// For the whole call, answer body included.
    timeout: Duration,
}

impl HttpsClient {
    pub fn new(timeout: Duration) -> std::io::Result<Self> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Ok(HttpsClient { client, timeout })
    }
}

#[async_trait]
impl HttpSend for HttpsClient {
    async fn send(&self, call: HttpCall) -> Result<HttpAnswer, NoAnswer> {
        let mut request = hyper::Request::builder().method(call.method).uri(&call.url);
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(call.body)))
            .map_err(|e| NoAnswer(format!("request not built: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| NoAnswer(e.to_string()))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| NoAnswer(format!("answer cut off: {e}")))?
                .to_bytes()
                .to_vec();
            Ok(HttpAnswer { status, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| NoAnswer(format!("no answer within {:?}", self.timeout)))?
    }
}
