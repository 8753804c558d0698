//! The carrier's delivery webhook: its body and its signature,
//! `X-Carrier-Signature: t=<unix>,v1=<hex of HMAC-SHA256(secret, "<unix>.<raw body>")>`.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-carrier-signature";
/// The error the state machine's delivery task fails with when the carrier
/// gives up.
pub const DELIVERY_FAILED: &str = "DeliveryFailed";

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
    /// The carrier's id of this report: each is acted on once.
    pub event_id: String,
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

/// How far a signature's timestamp may be from now, either way.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// Not `t=<unix seconds>,v1=<hex>`.
    Malformed,
    /// The timestamp is more than the tolerance away from now (a replay,
    /// or a clock far off).
    Stale,
    /// No `v1` is the HMAC of this timestamp and body with our secret.
    Mismatch,
}

/// `t=<unix>,v1=<hex of HMAC-SHA256(secret, "<unix>.<body>")>`, the scheme
/// Stripe uses: the timestamp is signed with the body, so a captured
/// delivery is good for minutes, not forever.
pub fn sign(secret: &[u8], body: &[u8], timestamp: i64) -> String {
    let mut mac = mac(secret);
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a `t=…,v1=…` header (several `v1` are allowed, as during a
/// secret's rotation) in constant time, with a tolerance around `now`.
pub fn verify(
    secret: &[u8],
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let (Some(timestamp), false) = (timestamp, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    if (now.timestamp() - timestamp).abs() > tolerance_seconds {
        return Err(SignatureError::Stale);
    }
    let matches = signatures.iter().any(|candidate| {
        let Ok(expected) = hex::decode(candidate) else {
            return false;
        };
        let mut mac = mac(secret);
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_signature_verifies_only_for_its_body_key_and_time() {
        let body = br#"{"trackingNumber":"1Z","status":"delivered"}"#;
        let t = now().timestamp();
        let header = sign(b"secret", body, t);
        assert!(header.starts_with(&format!("t={t},v1=")));
        let check = |secret: &[u8], body: &[u8], header: &str| {
            verify(secret, body, header, now(), SIGNATURE_TOLERANCE_SECONDS)
        };
        assert_eq!(check(b"secret", body, &header), Ok(()));
        assert_eq!(
            check(b"other", body, &header),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(b"secret", b"{}", &header),
            Err(SignatureError::Mismatch)
        );
        // The same body and signature with another time: the time is signed.
        let moved = header.replace(&format!("t={t}"), &format!("t={}", t + 1));
        assert_eq!(
            check(b"secret", body, &moved),
            Err(SignatureError::Mismatch)
        );
        for malformed in ["", "sha256=abc", "t=1", "v1=abc", "t=x,v1=abc"] {
            assert_eq!(
                check(b"secret", body, malformed),
                Err(SignatureError::Malformed),
                "{malformed}"
            );
        }
        // A second v1 (a rotating secret) may be the good one.
        let two = format!("{header},v1=00");
        assert_eq!(check(b"secret", body, &two), Ok(()));
    }

    #[test]
    fn a_signature_older_or_newer_than_five_minutes_is_stale() {
        let body = b"{}";
        let check = |t: i64| {
            verify(
                b"secret",
                body,
                &sign(b"secret", body, t),
                now(),
                SIGNATURE_TOLERANCE_SECONDS,
            )
        };
        let t = now().timestamp();
        assert_eq!(check(t - 300), Ok(()));
        assert_eq!(check(t + 300), Ok(()));
        assert_eq!(check(t - 301), Err(SignatureError::Stale));
        assert_eq!(check(t + 301), Err(SignatureError::Stale));
    }
}
