//! TOTP second factor (RFC 6238: SHA-1, six digits, 30-second steps, as
//! authenticator apps expect), on the totp-rs crate.

use crate::http::percent_encode;
use totp_rs::{Algorithm, Secret, TOTP};

const STEP_SECONDS: u64 = 30;
/// Steps either side of now a code may come from (clock drift).
const SKEW_STEPS: u64 = 1;

/// A new random 160-bit secret (RFC 4226's recommended size).
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
    secret
}

/// The secret as authenticator apps take it typed in.
pub fn base32(secret: &[u8]) -> String {
    match Secret::Raw(secret.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => unreachable!("to_encoded encodes"),
    }
}

/// The secret from its base32 form (what a person would type in).
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    Secret::Encoded(text.to_string()).to_bytes().ok()
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        percent_encode(issuer),
        percent_encode(account),
        base32(secret),
        percent_encode(issuer)
    )
}

/// The URI as a QR code, an SVG image.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
    )
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 0, STEP_SECONDS, secret.to_vec()).ok()
}

/// The step `code` belongs to, if it is a code of `secret` near `unix_time`
/// and of a later step than `last_used` (a code is good once).
pub fn check(secret: &[u8], code: &str, unix_time: u64, last_used: Option<u64>) -> Option<u64> {
    let totp = totp(secret)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix_time / STEP_SECONDS;
    (now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| super::secrets::same(&totp.generate(step * STEP_SECONDS), code))
}

/// The code of `secret` at `unix_time` (tests and the local admin's set-up).
pub fn code_at(secret: &[u8], unix_time: u64) -> String {
    totp(secret)
        .map(|t| t.generate(unix_time))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's test vector: SHA-1, secret "12345678901234567890".
    #[test]
    fn codes_are_rfc_6238s() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1_111_111_109), "081804");
    }

    #[test]
    fn a_code_is_good_near_its_time_and_once() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now);
        let step = check(&secret, &code, now, None).expect("the current code");
        assert_eq!(step, now / 30);
        assert_eq!(
            check(&secret, &code, now + 30, None),
            Some(step),
            "a step late"
        );
        assert_eq!(check(&secret, &code, now + 90, None), None, "too late");
        assert_eq!(check(&secret, &code, now, Some(step)), None, "used already");
        assert_eq!(check(&secret, "000000x", now, None), None);
        assert_eq!(check(&new_secret(), &code, now, None), None);
    }

    #[test]
    fn the_uri_names_the_issuer_and_encodes_the_account() {
        let uri = otpauth_uri(
            b"12345678901234567890",
            "Serverless Store",
            "a+b@store.test",
        );
        assert_eq!(
            uri,
            "otpauth://totp/Serverless%20Store:a%2Bb%40store.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Serverless%20Store&algorithm=SHA1&digits=6&period=30"
        );
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
        assert_eq!(
            from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            b"12345678901234567890"
        );
    }
}
