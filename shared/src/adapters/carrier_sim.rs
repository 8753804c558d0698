//! A carrier that buys labels deterministically: the same order always gets
//! the same carrier, tracking number and delivery date, so a retried step
//! never buys a second label.

use crate::adapters::https::{HttpCall, HttpSend, HttpsClient};
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
    http: HttpsClient,
}

impl WebhookCarrier {
    pub fn new(
        url: String,
        secret: Vec<u8>,
        delay: std::time::Duration,
        clock: std::sync::Arc<dyn crate::ports::Clock>,
    ) -> std::io::Result<Self> {
        Ok(WebhookCarrier {
            url,
            secret,
            delay,
            clock,
            http: HttpsClient::new(std::time::Duration::from_secs(10))?,
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
        let signature = crate::webhook::sign(&self.secret, &body, self.clock.now().timestamp());
        let call = HttpCall {
            method: "POST",
            url: self.url.clone(),
            headers: vec![
                ("content-type", "application/json".to_string()),
                (crate::webhook::SIGNATURE_HEADER, signature),
            ],
            body,
        };
        let answer = self
            .http
            .send(call)
            .await
            .map_err(|e| DispatchError::Transient(format!("webhook call failed: {e}")))?;
        let status = answer.status;
        if (200..300).contains(&status) || status == 409 {
            // 409: the order stopped waiting (timed out); nothing to redo.
            Ok(())
        } else if status >= 500 || status == 429 {
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
