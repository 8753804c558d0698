//! Accounts' cryptography: access tokens (`Tokens::verify` is the one check
//! every protected handler goes through), passwords, one-time secrets and
//! TOTP.

mod passwords;
pub mod secrets;
pub mod totp;

pub use passwords::{hash_password, verify_against_dummy, verify_password, PasswordError};

use crate::domain::{Role, User};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::Validation;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

pub const DEFAULT_ISSUER: &str = "serverless-store";
pub const DEFAULT_AUDIENCE: &str = "serverless-store-api";
/// How long an access token lives; also the longest `exp - iat` accepted.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(15);
/// HS256 needs at least 256 bits of key to be worth its name.
const MIN_SECRET_BYTES: usize = 32;
/// Clock skew tolerated between the functions' clocks.
const LEEWAY_SECONDS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// The session (refresh-token family) the token was issued for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Who is calling, as the token proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub session_id: Option<String>,
    pub issued_at: DateTime<Utc>,
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
    #[error("the signing keys are not readable: {0}")]
    BadKeys(String),
    #[error("invalid or expired token")]
    Invalid,
    #[error("could not sign a token: {0}")]
    Signing(String),
}

/// A signing key and the id (`kid`) tokens name it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

/// The keys tokens are signed and checked with: the current one signs, the
/// previous one (after a rotation) is still accepted until it retires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRing {
    pub current: SigningKey,
    pub previous: Option<(SigningKey, DateTime<Utc>)>,
}

/// The secret as Secrets Manager holds it (infra/README.md, key rotation).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredKeys {
    kid: String,
    key: String,
    #[serde(default)]
    previous_kid: Option<String>,
    #[serde(default)]
    previous_key: Option<String>,
    #[serde(default)]
    previous_retires_at: Option<DateTime<Utc>>,
}

impl KeyRing {
    /// One key, for a plain secret string (`JWT_SECRET` of a local run).
    pub fn single(kid: &str, secret: &[u8]) -> Self {
        KeyRing {
            current: SigningKey {
                kid: kid.to_string(),
                secret: secret.to_vec(),
            },
            previous: None,
        }
    }

    /// Reads `{"kid","key"[,"previousKid","previousKey","previousRetiresAt"]}`,
    /// or a plain string as the one key `default`.
    pub fn parse(secret: &str) -> Result<Self, TokenError> {
        if !secret.trim_start().starts_with('{') {
            return Ok(Self::single("default", secret.as_bytes()));
        }
        let stored: StoredKeys =
            serde_json::from_str(secret).map_err(|e| TokenError::BadKeys(e.to_string()))?;
        let previous = match (
            stored.previous_kid.filter(|k| !k.is_empty()),
            stored.previous_key.filter(|k| !k.is_empty()),
            stored.previous_retires_at,
        ) {
            (Some(kid), Some(key), Some(retires_at)) => Some((
                SigningKey {
                    kid,
                    secret: key.into_bytes(),
                },
                retires_at,
            )),
            (None, None, _) => None,
            _ => {
                return Err(TokenError::BadKeys(
                    "a previous key needs previousKid, previousKey and previousRetiresAt".into(),
                ))
            }
        };
        Ok(KeyRing {
            current: SigningKey {
                kid: stored.kid,
                secret: stored.key.into_bytes(),
            },
            previous,
        })
    }
}

struct VerifyingKey {
    kid: String,
    key: DecodingKey,
    /// After this, tokens signed with the key are refused.
    retires_at: Option<DateTime<Utc>>,
}

/// Issues and verifies HS256 access tokens. The algorithm is pinned: a
/// token that claims any other `alg` (including `none`) is rejected, and so
/// is one whose `kid` is not a live key, whose `nbf` is still ahead, or whose
/// lifetime (`exp - iat`) is longer than `ACCESS_TOKEN_LIFETIME`.
pub struct Tokens {
    kid: String,
    encoding: EncodingKey,
    verifying: Vec<VerifyingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl Tokens {
    pub fn new(keys: KeyRing, issuer: &str, audience: &str) -> Result<Self, TokenError> {
        let previous = keys.previous.as_ref().map(|(key, _)| key);
        if std::iter::once(&keys.current)
            .chain(previous)
            .any(|k| k.secret.len() < MIN_SECRET_BYTES)
        {
            return Err(TokenError::WeakKey);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS as u64;
        let mut verifying = vec![VerifyingKey {
            kid: keys.current.kid.clone(),
            key: DecodingKey::from_secret(&keys.current.secret),
            retires_at: None,
        }];
        if let Some((key, retires_at)) = &keys.previous {
            verifying.push(VerifyingKey {
                kid: key.kid.clone(),
                key: DecodingKey::from_secret(&key.secret),
                retires_at: Some(*retires_at),
            });
        }
        Ok(Tokens {
            kid: keys.current.kid.clone(),
            encoding: EncodingKey::from_secret(&keys.current.secret),
            verifying,
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// An access token for `user` in session `session_id`.
    pub fn issue(
        &self,
        user: &User,
        session_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let claims = Claims {
            sub: user.id.clone(),
            role: user.role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + ACCESS_TOKEN_LIFETIME).timestamp(),
            sid: session_id.map(str::to_string),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        encode(&header, &claims, &self.encoding).map_err(|e| TokenError::Signing(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_at(token, Utc::now())
    }

    /// `verify` as of `now` (expiry and `nbf` are checked against the system
    /// clock by the JWT library; `now` decides which keys are retired).
    pub fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<Principal, TokenError> {
        let rejected = |reason: &str| {
            tracing::debug!(reason, "token rejected");
            TokenError::Invalid
        };
        let header = decode_header(token).map_err(|_| rejected("unreadable header"))?;
        let kid = header.kid.ok_or_else(|| rejected("no kid"))?;
        let key = self
            .verifying
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| rejected("unknown kid"))?;
        if key.retires_at.is_some_and(|at| now >= at) {
            return Err(rejected("retired kid"));
        }
        let data = decode::<Claims>(token, &key.key, &self.validation)
            .map_err(|e| rejected(&e.to_string()))?;
        let claims = data.claims;
        if claims.exp - claims.iat > ACCESS_TOKEN_LIFETIME.num_seconds() {
            return Err(rejected("lifetime longer than allowed"));
        }
        if claims.iat > now.timestamp() + LEEWAY_SECONDS {
            return Err(rejected("issued in the future"));
        }
        Ok(Principal {
            user_id: claims.sub,
            role: claims.role,
            session_id: claims.sid,
            issued_at: DateTime::from_timestamp(claims.iat, 0).unwrap_or(now),
        })
    }
}

#[cfg(test)]
mod tests;
