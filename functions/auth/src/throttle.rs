//! Failed sign-ins, counted per account and per client address. An
//! account locks after 5 failures within 15 minutes, for 15 minutes, then
//! twice as long at each further lockout (up to a day) until a sign-in
//! succeeds; a locked account answers 429 to a wrong and a right password
//! alike. Unknown emails are counted the same way, so the answers never
//! tell which addresses have accounts.

use chrono::{DateTime, Duration, Utc};
use shared::adapters::aws::{self, ConfigError};
use shared::auth::secrets::digest;
use shared::ports::{AttemptStore, Attempts, StoreError};

/// The numbers of the rule above; the client limit is a setting
/// (`LOGIN_CLIENT_FAILURE_LIMIT`) because one address may be a whole
/// office behind a NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub account_failures: u32,
    pub client_failures: u32,
    pub window: Duration,
    pub first_lock: Duration,
    pub longest_lock: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            account_failures: 5,
            client_failures: 50,
            window: Duration::minutes(15),
            first_lock: Duration::minutes(15),
            longest_lock: Duration::hours(24),
        }
    }
}

impl ThrottlePolicy {
    pub fn from_env() -> Result<Self, ConfigError> {
        let text = aws::env_or("LOGIN_CLIENT_FAILURE_LIMIT", "50");
        let client_failures =
            text.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "LOGIN_CLIENT_FAILURE_LIMIT".into(),
                    reason: format!("{text:?} is not a positive whole number"),
                })?;
        Ok(ThrottlePolicy {
            client_failures,
            ..Self::default()
        })
    }

    /// How long the lockout after `lockouts` earlier ones lasts.
    pub fn lock_for(&self, lockouts: u32) -> Duration {
        let factor = 1i32 << lockouts.min(16);
        (self.first_lock * factor).min(self.longest_lock)
    }
}

/// The counter keys of one sign-in: the account (by a digest of the
/// email, so the table holds no addresses) and the client address.
pub struct SignInKeys {
    pub account: String,
    pub client: String,
}

impl SignInKeys {
    pub fn new(email: &str, client_ip: &str) -> Self {
        SignInKeys {
            account: format!("account#{}", digest(email)),
            client: format!("client#{client_ip}"),
        }
    }
}

/// When a sign-in may be tried again, if a lock is on now.
pub fn locked(now: DateTime<Utc>, attempts: &[Option<Attempts>]) -> Option<DateTime<Utc>> {
    attempts
        .iter()
        .flatten()
        .filter_map(|a| a.locked_until)
        .filter(|until| *until > now)
        .max()
}

/// What counting a failure led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Counted {
    /// Under the limit still.
    Open,
    /// This failure locked the account until then (the only request that
    /// does: the owner is told once).
    AccountLocked(DateTime<Utc>),
}

impl ThrottlePolicy {
    /// Counts a failure against both keys and locks what reached its limit.
    pub async fn count_failure(
        &self,
        store: &dyn AttemptStore,
        keys: &SignInKeys,
        now: DateTime<Utc>,
    ) -> Result<Counted, StoreError> {
        let window_start = now - self.window;
        // Long enough for the longest lock and its window to be over.
        let expires = (now + self.longest_lock + self.window).timestamp();
        let client = store
            .add_failure(&keys.client, now, window_start, expires)
            .await?;
        if client.failures >= self.client_failures {
            lock_once(store, &keys.client, now, now + self.first_lock).await?;
        }
        let account = store
            .add_failure(&keys.account, now, window_start, expires)
            .await?;
        if account.failures >= self.account_failures {
            let until = now + self.lock_for(account.lockouts);
            if lock_once(store, &keys.account, now, until).await? {
                return Ok(Counted::AccountLocked(until));
            }
        }
        Ok(Counted::Open)
    }
}

/// Locks `key` unless it is locked already; whether this call locked it.
async fn lock_once(
    store: &dyn AttemptStore,
    key: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    match store.lock(key, now, until).await {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::adapters::memory::MemoryAttemptStore;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn each_lockout_lasts_twice_as_long_up_to_a_day() {
        let policy = ThrottlePolicy::default();
        assert_eq!(policy.lock_for(0), Duration::minutes(15));
        assert_eq!(policy.lock_for(1), Duration::minutes(30));
        assert_eq!(policy.lock_for(2), Duration::hours(1));
        assert_eq!(policy.lock_for(7), Duration::hours(24));
        assert_eq!(policy.lock_for(40), Duration::hours(24));
    }

    #[tokio::test]
    async fn the_fifth_failure_in_the_window_locks_the_account_once() {
        let store = MemoryAttemptStore::default();
        let policy = ThrottlePolicy::default();
        let keys = SignInKeys::new("a@store.test", "198.51.100.7");
        for i in 1..5 {
            let counted = policy.count_failure(&store, &keys, now()).await.unwrap();
            assert_eq!(counted, Counted::Open, "failure {i}");
        }
        let counted = policy.count_failure(&store, &keys, now()).await.unwrap();
        assert_eq!(
            counted,
            Counted::AccountLocked(now() + Duration::minutes(15))
        );
        let account = store.get(&keys.account).await.unwrap();
        assert_eq!(
            locked(now(), std::slice::from_ref(&account)),
            Some(now() + Duration::minutes(15))
        );
        // A sixth failure while locked does not lock (or mail) again.
        let counted = policy.count_failure(&store, &keys, now()).await.unwrap();
        assert_eq!(counted, Counted::Open);
        // Over after its time.
        assert_eq!(locked(now() + Duration::minutes(15), &[account]), None);
    }

    #[tokio::test]
    async fn failures_spread_over_more_than_the_window_do_not_lock() {
        let store = MemoryAttemptStore::default();
        let policy = ThrottlePolicy::default();
        let keys = SignInKeys::new("a@store.test", "198.51.100.7");
        for i in 0..10 {
            let at = now() + Duration::minutes(4 * i);
            let counted = policy.count_failure(&store, &keys, at).await.unwrap();
            assert_eq!(counted, Counted::Open, "failure {i}");
        }
    }

    #[tokio::test]
    async fn the_next_lockout_is_longer() {
        let store = MemoryAttemptStore::default();
        let policy = ThrottlePolicy::default();
        let keys = SignInKeys::new("a@store.test", "198.51.100.7");
        for _ in 0..5 {
            policy.count_failure(&store, &keys, now()).await.unwrap();
        }
        let later = now() + Duration::minutes(20);
        for _ in 0..5 {
            policy.count_failure(&store, &keys, later).await.unwrap();
        }
        let account = store.get(&keys.account).await.unwrap();
        assert_eq!(
            locked(later, &[account]),
            Some(later + Duration::minutes(30))
        );
    }

    #[tokio::test]
    async fn a_client_address_is_limited_across_accounts() {
        let store = MemoryAttemptStore::default();
        let policy = ThrottlePolicy {
            client_failures: 3,
            ..ThrottlePolicy::default()
        };
        for i in 0..3 {
            let keys = SignInKeys::new(&format!("user{i}@store.test"), "203.0.113.9");
            policy.count_failure(&store, &keys, now()).await.unwrap();
        }
        let client = store.get("client#203.0.113.9").await.unwrap();
        assert!(locked(now(), &[client]).is_some());
        let other = store.get("client#203.0.113.10").await.unwrap();
        assert_eq!(locked(now(), &[other]), None);
    }
}
