//! A carrier that buys labels deterministically: the same order always gets
//! the same carrier, tracking number and delivery date, so a retried step
//! never buys a second label.

use crate::domain::Order;
use crate::ports::*;
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
