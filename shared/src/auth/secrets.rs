//! One-time secrets of the accounts: mailed codes, refresh tokens and
//! recovery codes. Only their digests are stored.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A uniformly random six-digit code, as mailed for verification and reset.
pub fn numeric_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// `bytes` random bytes, hex: refresh tokens and session ids.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill(&mut buffer[..]);
    hex::encode(buffer)
}

/// A recovery code a person can type: ten characters of an alphabet
/// without look-alikes, shown as `xxxxx-xxxxx` (about 50 bits).
pub fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// SHA-256 of a high-entropy secret (a refresh token): enough, since it
/// cannot be guessed from its digest.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Keyed digests of low-entropy codes (six digits, recovery codes): a
/// copy of the table does not give them away to a brute-force search.
pub struct CodeHasher {
    key: Vec<u8>,
}

impl CodeHasher {
    /// The key is derived from a server secret for this one use.
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(b"serverless-store one-time codes");
        CodeHasher {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// The digest of `code` in `context` (what it is for and whose it is),
    /// so one code cannot stand in for another.
    pub fn hash(&self, context: &str, code: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(context.as_bytes());
        mac.update(b"\0");
        mac.update(code.trim().to_ascii_lowercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `code` is the one `stored` is the digest of, in constant time.
    pub fn matches(&self, context: &str, code: &str, stored: &str) -> bool {
        same(&self.hash(context, code), stored)
    }
}

/// Constant-time equality of two digests.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_random() {
        let codes: Vec<String> = (0..50).map(|_| numeric_code()).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.iter().collect::<std::collections::HashSet<_>>().len() > 45);
        assert_eq!(random_hex(32).len(), 64);
        let recovery = recovery_code();
        assert_eq!(recovery.len(), 11);
        assert_eq!(&recovery[5..6], "-");
    }

    #[test]
    fn a_code_matches_only_its_own_context_and_key() {
        let hasher = CodeHasher::new(b"server secret");
        let stored = hasher.hash("verify#u1", "123456");
        assert!(hasher.matches("verify#u1", "123456", &stored));
        assert!(hasher.matches("verify#u1", " 123456 ", &stored));
        assert!(!hasher.matches("verify#u1", "123457", &stored));
        assert!(!hasher.matches("reset#u1", "123456", &stored));
        assert!(!hasher.matches("verify#u2", "123456", &stored));
        assert!(!CodeHasher::new(b"other secret").matches("verify#u1", "123456", &stored));
        assert_ne!(stored, digest("123456"), "keyed, not a plain hash");
    }
}
