//! Tokens and passwords. `Tokens::verify` is the one check every protected
//! handler goes through.

use crate::domain::{Role, User};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Argon2, Block, Params, Version};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, OnceLock, PoisonError};

pub const DEFAULT_ISSUER: &str = "serverless-store";
pub const DEFAULT_AUDIENCE: &str = "serverless-store-api";
const TOKEN_LIFETIME: Duration = Duration::hours(12);
/// HS256 needs at least 256 bits of key to be worth its name.
const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Who is calling, as the token proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the signing key must be at least {MIN_SECRET_BYTES} bytes")]
    WeakKey,
    #[error("invalid or expired token")]
    Invalid,
    #[error("could not sign a token: {0}")]
    Signing(String),
}

/// Issues and verifies HS256 tokens with one key. The algorithm is pinned:
/// a token that claims any other `alg` (including `none`) is rejected.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Result<Self, TokenError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(TokenError::WeakKey);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    pub fn issue(&self, user: &User, now: DateTime<Utc>) -> Result<String, TokenError> {
        let claims = Claims {
            sub: user.id.clone(),
            role: user.role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: (now + TOKEN_LIFETIME).timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            tracing::debug!(reason = %e, "token rejected");
            TokenError::Invalid
        })?;
        Ok(Principal {
            user_id: data.claims.sub,
            role: data.claims.role,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

impl From<argon2::password_hash::Error> for PasswordError {
    fn from(error: argon2::password_hash::Error) -> Self {
        PasswordError(error.to_string())
    }
}

/// argon2id with the crate's defaults (OWASP's m=19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = Argon2::default();
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2_output(
            &argon2,
            password,
            salt.as_salt(),
            Params::DEFAULT_OUTPUT_LEN,
        )?),
    };
    Ok(hash.to_string())
}

/// Checks a PHC string as the argon2 crate's `PasswordVerifier` does: the
/// algorithm, version and parameters come from the stored hash.
pub fn verify_password(password: &str, phc_hash: &str) -> bool {
    let check = || -> Result<bool, argon2::password_hash::Error> {
        let parsed = PasswordHash::new(phc_hash)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let version = parsed.version.map(Version::try_from).transpose()?;
        let argon2 = Argon2::new(
            parsed.algorithm.try_into()?,
            version.unwrap_or_default(),
            Params::try_from(&parsed)?,
        );
        // Output's == is constant-time.
        Ok(argon2_output(&argon2, password, salt, expected.len())? == expected)
    };
    check().unwrap_or(false)
}

/// Runs argon2 in one working area per process instead of allocating
/// m KiB afresh per call (what `PasswordHasher` does). Those 19 MiB
/// allocations, one per register and login, fragmented glibc's heap: a warm
/// auth function grew in 19 MB steps until the 512 MB limit killed it.
fn argon2_output(
    argon2: &Argon2,
    password: &str,
    salt: Salt,
    output_len: usize,
) -> Result<Output, argon2::password_hash::Error> {
    static WORK_AREA: Mutex<Vec<Block>> = Mutex::new(Vec::new());
    let mut salt_buf = [0u8; Salt::MAX_LENGTH];
    let salt = salt.decode_b64(&mut salt_buf)?;
    // A panic mid-hash leaves only scratch data behind: the area stays usable.
    let mut area = WORK_AREA.lock().unwrap_or_else(PoisonError::into_inner);
    let blocks = argon2.params().block_count();
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    Output::init_with(output_len, |out| {
        Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut area[..])?)
    })
}

/// Burns the same argon2 work as a real check, for logins with an unknown
/// email, so response time does not tell which emails have accounts.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default());
    let _ = verify_password(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn user(role: Role) -> User {
        User {
            id: "u1".into(),
            email: "a@example.com".into(),
            name: "A".into(),
            role,
            password_hash: String::new(),
            created_at: Utc::now(),
        }
    }

    fn tokens() -> Tokens {
        Tokens::new(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE).unwrap()
    }

    #[test]
    fn issued_tokens_verify_with_role() {
        let t = tokens();
        let token = t.issue(&user(Role::Admin), Utc::now()).unwrap();
        assert_eq!(
            t.verify(&token).unwrap(),
            Principal {
                user_id: "u1".into(),
                role: Role::Admin
            }
        );
    }

    #[test]
    fn rejects_expired_wrong_issuer_audience_key_and_garbage() {
        let t = tokens();
        let expired = t
            .issue(&user(Role::Customer), Utc::now() - Duration::hours(13))
            .unwrap();
        assert_eq!(t.verify(&expired), Err(TokenError::Invalid));

        let other_iss = Tokens::new(SECRET, "someone-else", DEFAULT_AUDIENCE).unwrap();
        let token = other_iss.issue(&user(Role::Customer), Utc::now()).unwrap();
        assert_eq!(t.verify(&token), Err(TokenError::Invalid));

        let other_aud = Tokens::new(SECRET, DEFAULT_ISSUER, "other-api").unwrap();
        let token = other_aud.issue(&user(Role::Customer), Utc::now()).unwrap();
        assert_eq!(t.verify(&token), Err(TokenError::Invalid));

        let other_key = Tokens::new(
            b"another-key-another-key-another-k",
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .unwrap();
        let token = other_key.issue(&user(Role::Customer), Utc::now()).unwrap();
        assert_eq!(t.verify(&token), Err(TokenError::Invalid));

        assert_eq!(t.verify("not.a.token"), Err(TokenError::Invalid));
        assert_eq!(t.verify(""), Err(TokenError::Invalid));
    }

    #[test]
    fn rejects_other_algorithms_with_the_same_key() {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: "u1".into(),
            role: Role::Admin,
            iss: DEFAULT_ISSUER.into(),
            aud: DEFAULT_AUDIENCE.into(),
            iat: now,
            exp: now + 600,
        };
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(tokens().verify(&hs512), Err(TokenError::Invalid));
        // alg "none": header {"alg":"none","typ":"JWT"}, no signature.
        let payload = serde_json::to_vec(&claims).unwrap();
        let unsigned = format!(
            "{}.{}.",
            base64_url(br#"{"alg":"none","typ":"JWT"}"#),
            base64_url(&payload)
        );
        assert_eq!(tokens().verify(&unsigned), Err(TokenError::Invalid));
    }

    fn base64_url(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(matches!(
            Tokens::new(b"short", DEFAULT_ISSUER, DEFAULT_AUDIENCE),
            Err(TokenError::WeakKey)
        ));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not-a-hash"));
    }

    /// Accounts made before the shared working area (by the crate's own
    /// `PasswordHasher`) still log in, and the crate accepts ours.
    #[test]
    fn hashes_are_interchangeable_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &theirs));
        assert!(!verify_password("correct horsf", &theirs));

        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"correct horsf", &parsed)
            .is_err());
    }

    /// Parameters come from the stored hash, not from today's defaults.
    #[test]
    fn a_hash_with_other_parameters_verifies_with_its_own() {
        use argon2::password_hash::PasswordHasher;
        let params = Params::new(8 * 1024, 3, 1, Some(24)).unwrap();
        let argon2 = Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let stored = argon2
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(stored.contains("m=8192,t=3,p=1"));
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("wrong horse", &stored));
    }
}
