//! A carrier that buys labels deterministically: the same order always gets
//! the same carrier, tracking number and delivery date, so a retried step
//! never buys a second label.

use crate::domain::Order;
use crate::ports::{
    AwaitedDelivery, CarrierDispatch, DispatchError, Shipment, ShippingError, ShippingProvider,
};
use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// Orders shipped to this ZIP fail, so tests can drive the ship_failed path.
pub const UNDELIVERABLE_ZIP: &str = "00000";
const CARRIERS: [&str; 3] = ["UPS", "FedEx", "USPS"];
const TRANSIT_DAYS: i64 = 3;

#[derive(Default)]
pub struct SimulatedCarrier;

#[async_trait]
impl ShippingProvider for SimulatedCarrier {
    async fn create_shipment(&self, order: &Order) -> Result<Shipment, ShippingError> {
        if order.shipping.zip.trim() == UNDELIVERABLE_ZIP {
            return Err(ShippingError::Failed(format!(
                "carrier cannot deliver to ZIP {UNDELIVERABLE_ZIP}"
            )));
        }
        let digest = Sha256::digest(order.id.as_bytes());
        let carrier = CARRIERS[usize::from(digest[0]) % CARRIERS.len()];
        let tracking_number = format!("1Z{}", hex::encode_upper(&digest[1..9]));
        let estimated_delivery = (order.created_at + chrono::Duration::days(TRANSIT_DAYS))
            .date_naive()
            .to_string();
        Ok(Shipment {
            carrier: carrier.to_string(),
            tracking_number,
            estimated_delivery,
        })
    }
}

/// The simulated carrier's delivery run: after a configurable delay it posts
/// the signed `delivered` webhook to the store's API, as a real carrier
/// would once the parcel arrives.
pub struct WebhookCarrier {
    url: String,
    secret: Vec<u8>,
    delay: std::time::Duration,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
    client: hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        http_body_util::Full<hyper::body::Bytes>,
    >,
}

impl WebhookCarrier {
    pub fn new(
        url: String,
        secret: Vec<u8>,
        delay: std::time::Duration,
        clock: std::sync::Arc<dyn crate::ports::Clock>,
    ) -> std::io::Result<Self> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Ok(WebhookCarrier {
            url,
            secret,
            delay,
            clock,
            client,
        })
    }
}

#[async_trait]
impl CarrierDispatch for WebhookCarrier {
    async fn dispatch(&self, delivery: &AwaitedDelivery) -> Result<(), DispatchError> {
        tokio::time::sleep(self.delay).await;
        let update = crate::webhook::DeliveryUpdate {
            event_id: uuid::Uuid::new_v4().to_string(),
            tracking_number: delivery.tracking_number.clone(),
            status: crate::webhook::DeliveryOutcome::Delivered,
            occurred_at: self.clock.now(),
            detail: None,
        };
        let body =
            serde_json::to_vec(&update).map_err(|e| DispatchError::Rejected(e.to_string()))?;
        let request = hyper::Request::post(&self.url)
            .header("content-type", "application/json")
            .header(
                crate::webhook::SIGNATURE_HEADER,
                crate::webhook::sign(&self.secret, &body, self.clock.now().timestamp()),
            )
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .map_err(|e| DispatchError::Rejected(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| DispatchError::Transient(format!("webhook call failed: {e}")))?;
        let status = response.status();
        if status.is_success() || status == hyper::StatusCode::CONFLICT {
            // 409: the order stopped waiting (timed out); nothing to redo.
            Ok(())
        } else if status.is_server_error() || status == hyper::StatusCode::TOO_MANY_REQUESTS {
            Err(DispatchError::Transient(format!(
                "webhook answered {status}"
            )))
        } else {
            Err(DispatchError::Rejected(format!(
                "webhook answered {status}"
            )))
        }
    }
}
