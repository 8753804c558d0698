//! How a webhook acts on each of its sender's events once: the event id is
//! claimed (a lease while in progress), completed when the work succeeded,
//! and released when it failed, so the sender's retry does the work.

use super::{ok, ApiError, ApiResult};
use crate::ports::{Claim, IdempotencyRecord, IdempotencyStore};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::future::Future;

/// 1 to 128 visible ASCII characters, or 400 naming `field`.
pub fn check_event_id(id: &str, field: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to 128 visible ASCII characters"
        )));
    }
    Ok(())
}

pub struct EventsOnce<'a> {
    pub events: &'a dyn IdempotencyStore,
    /// How long an event id is remembered.
    pub memory: Duration,
    /// How long one request owns an event id before a retry may take it over.
    pub lease: Duration,
    /// What the sender calls them ("report", "event"), for the answers.
    pub noun: &'static str,
}

impl EventsOnce<'_> {
    /// Runs `work` unless the event under `key` (its prefix is the one the
    /// function's IAM statement allows) was done (200) or is in progress
    /// (409); `fingerprint` is kept with the claim.
    pub async fn run<F, Fut>(
        &self,
        key: String,
        fingerprint: &str,
        now: DateTime<Utc>,
        work: F,
    ) -> ApiResult
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult>,
    {
        let claim = IdempotencyRecord {
            key: key.clone(),
            fingerprint: fingerprint.to_string(),
            value: fingerprint.to_string(),
            completed: false,
            lease_expires_at: (now + self.lease).timestamp(),
            expires_at: (now + self.memory).timestamp(),
        };
        match self.events.claim(&claim, now).await {
            Ok(Claim::Acquired) => {}
            Ok(Claim::Existing(seen)) if seen.completed => {
                return ok(&json!({"status": "already processed"}));
            }
            Ok(Claim::Existing(_)) => {
                return Err(ApiError::conflict(format!(
                    "this {} is being processed; retry later",
                    self.noun
                )))
            }
            Err(e) => return Err(ApiError::from_store("claiming an event id", e)),
        }
        let result = work().await;
        let settled = match &result {
            Ok(_) => self.events.complete(&key).await,
            Err(_) => self.events.release(&key).await,
        };
        if let Err(e) = settled {
            tracing::warn!(error = %e, noun = self.noun, "event claim not settled; it expires");
        }
        result
    }
}
