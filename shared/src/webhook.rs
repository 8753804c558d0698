//! The carrier's delivery webhook: its body and its HMAC-SHA256 signature,
//! `X-Carrier-Signature: sha256=<hex of HMAC(secret, raw body)>`.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-carrier-signature";
/// The error the state machine's delivery task fails with when the carrier
/// gives up.
pub const DELIVERY_FAILED: &str = "DeliveryFailed";
const PREFIX: &str = "sha256=";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Delivered,
    /// The carrier gave up (refused, lost, damaged).
    Exception,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryUpdate {
    pub tracking_number: String,
    pub status: DeliveryOutcome,
    pub occurred_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length")
}

pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

/// Constant-time check of a signature header against the raw body.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix(PREFIX) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_and_key() {
        let body = br#"{"trackingNumber":"1Z","status":"delivered"}"#;
        let header = sign(b"secret", body);
        assert!(header.starts_with("sha256=") && header.len() == 7 + 64);
        assert!(verify(b"secret", body, &header));
        assert!(!verify(b"other", body, &header));
        assert!(!verify(b"secret", b"{}", &header));
        assert!(
            !verify(b"secret", body, &header[7..]),
            "the prefix is required"
        );
        assert!(!verify(b"secret", body, "sha256=zz"));
        assert!(!verify(b"secret", body, ""));
    }
}
