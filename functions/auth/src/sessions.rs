//! Sign-in, refresh and sign-out. A session is a family of refresh tokens:
//! each is good once and is swapped for a new one; an old one used again
//! means it was stolen, and the whole family is revoked.

use crate::throttle::{locked, Counted, SignInKeys};
use crate::{mail, AuthService, UserView, MAX_PASSWORD_CHARS};
use chrono::Duration;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::{Deserialize, Serialize};
use shared::auth::secrets::{digest, random_hex};
use shared::auth::{self, totp, ACCESS_TOKEN_LIFETIME};
use shared::domain::{normalize_email, User, UserChange};
use shared::http::{self, ApiError, ApiResult};
use shared::ports::{Session, StoreError};

/// How long a session lasts at most, however often it is refreshed.
pub const SESSION_LIFETIME: Duration = Duration::days(30);

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LoginRequest {
    email: String,
    password: String,
    /// The current code of the account's authenticator app, or
    #[serde(default)]
    totp_code: Option<String>,
    /// one of its recovery codes.
    #[serde(default)]
    recovery_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RefreshRequest {
    refresh_token: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LogoutRequest {
    #[serde(default)]
    refresh_token: Option<String>,
    /// Every session of the account, not only this one (needs the access token).
    #[serde(default)]
    everywhere: bool,
}

/// What a sign-in returns: `token` is the access token the seed store's
/// clients read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    pub user: UserView,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid email or password")
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "the session has ended; sign in again",
    )
}

/// A refresh token is `<session id>.<secret>`; only the secret's digest is
/// stored.
fn split_refresh(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 32) && hex(secret, 64)).then_some((id, secret))
}

impl AuthService {
    /// Starts a session for `user` and signs its first tokens.
    pub(crate) async fn start_session(&self, user: &User, status: StatusCode) -> ApiResult {
        let now = self.clock.now();
        let secret = random_hex(32);
        let session = Session {
            id: random_hex(16),
            user_id: user.id.clone(),
            token_digest: digest(&secret),
            created_at: now,
            expires_at: (now + SESSION_LIFETIME).timestamp(),
            revoked: false,
        };
        self.sessions
            .create(&session)
            .await
            .map_err(|e| ApiError::from_store("starting a session", e))?;
        let signed_in = self.signed(user, &session.id, &secret)?;
        Ok(http::json(status, &signed_in))
    }

    fn signed(&self, user: &User, session_id: &str, secret: &str) -> Result<SignedIn, ApiError> {
        let token = self
            .tokens
            .issue(user, Some(session_id), self.clock.now())
            .map_err(|e| ApiError::internal("signing a token", e))?;
        Ok(SignedIn {
            token,
            refresh_token: format!("{session_id}.{secret}"),
            expires_in: ACCESS_TOKEN_LIFETIME.num_seconds(),
            user: UserView::from(user),
        })
    }

    pub(crate) async fn login(&self, request: &Request) -> ApiResult {
        let body: LoginRequest = http::parse_json(request)?;
        let now = self.clock.now();
        let email = normalize_email(&body.email);
        // An unusable address is counted under what was typed, so it is
        // throttled like any other.
        let counted_as = email
            .clone()
            .unwrap_or_else(|| body.email.trim().to_lowercase());
        let keys = SignInKeys::new(&counted_as, &http::client_ip(request));
        let (account, client, found) = tokio::join!(
            self.attempts.get(&keys.account),
            self.attempts.get(&keys.client),
            async {
                match &email {
                    Some(email) => self.users.find_by_email(email).await,
                    None => Ok(None),
                }
            }
        );
        let store = |e| ApiError::from_store("signing in", e);
        if let Some(until) = locked(now, &[account.map_err(store)?, client.map_err(store)?]) {
            let wait = (until - now).num_seconds();
            return Err(ApiError::too_many(
                format!(
                    "too many failed sign-ins; try again in {} minutes",
                    (wait + 59) / 60
                ),
                wait,
            ));
        }
        let found = found.map_err(store)?;
        let password_ok = body.password.chars().count() <= MAX_PASSWORD_CHARS
            && match &found {
                Some(user) => auth::verify_password(&body.password, &user.password_hash),
                // The same argon2 work: timing does not reveal accounts.
                None => {
                    auth::verify_against_dummy(&body.password);
                    false
                }
            };
        let user = match found {
            Some(user) if password_ok => user,
            user => {
                return Err(self
                    .failed(&keys, user.as_ref(), invalid_credentials())
                    .await)
            }
        };
        if user.has_totp() {
            self.second_factor(&user, &body, &keys).await?;
        }
        if let Err(e) = self.attempts.clear(&keys.account).await {
            tracing::warn!(error = %e, "failed sign-ins not cleared");
        }
        tracing::info!(user_id = %user.id, "signed in");
        self.start_session(&user, StatusCode::OK).await
    }

    /// Counts a failed sign-in and mails the owner the one time it locks.
    async fn failed(&self, keys: &SignInKeys, owner: Option<&User>, error: ApiError) -> ApiError {
        let now = self.clock.now();
        match self
            .throttle
            .count_failure(self.attempts.as_ref(), keys, now)
            .await
        {
            Ok(Counted::AccountLocked(until)) => {
                tracing::warn!("account locked after repeated failed sign-ins");
                if let Some(owner) = owner.filter(|u| u.email_verified) {
                    let minutes = (until - now).num_minutes();
                    self.mail(mail::locked(&owner.email, minutes)).await;
                }
            }
            Ok(Counted::Open) => {}
            Err(e) => return ApiError::from_store("counting a failed sign-in", e),
        }
        error
    }

    /// The TOTP or recovery code of an account that has a second factor.
    async fn second_factor(
        &self,
        user: &User,
        body: &LoginRequest,
        keys: &SignInKeys,
    ) -> Result<(), ApiError> {
        let factor = user.totp.as_ref().ok_or_else(invalid_credentials)?;
        let change = match (&body.totp_code, &body.recovery_code) {
            (Some(code), _) => {
                let secret = hex::decode(&factor.secret)
                    .map_err(|e| ApiError::internal("reading a TOTP secret", e))?;
                let now = self.clock.now().timestamp().max(0) as u64;
                totp::check(&secret, code, now, factor.last_step)
                    .map(|step| UserChange::TotpUsed { step })
            }
            (None, Some(code)) => {
                let context = format!("recovery#{}", user.id);
                factor
                    .recovery_codes
                    .iter()
                    .position(|stored| self.code_hasher.matches(&context, code, stored))
                    .map(|index| UserChange::RecoveryCodeUsed {
                        index,
                        digest: factor.recovery_codes[index].clone(),
                    })
            }
            (None, None) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "a code from your authenticator app is required",
                )
                .with("mfaRequired", true.into()))
            }
        };
        let wrong = || {
            ApiError::new(StatusCode::UNAUTHORIZED, "the one-time code is not right")
                .with("mfaRequired", true.into())
        };
        let Some(change) = change else {
            return Err(self.failed(keys, Some(user), wrong()).await);
        };
        match self.users.update(&user.id, &change).await {
            Ok(_) => Ok(()),
            // Used a moment ago (a replay), or the code was spent meanwhile.
            Err(StoreError::ConditionFailed) => Err(self.failed(keys, Some(user), wrong()).await),
            Err(e) => Err(ApiError::from_store("recording a one-time code", e)),
        }
    }

    pub(crate) async fn refresh(&self, request: &Request) -> ApiResult {
        let body: RefreshRequest = http::parse_json(request)?;
        let (id, secret) = split_refresh(&body.refresh_token).ok_or_else(invalid_refresh)?;
        let store = |e| ApiError::from_store("refreshing a session", e);
        let now = self.clock.now();
        let session = self
            .sessions
            .get(id)
            .await
            .map_err(store)?
            .filter(|s| !s.revoked && s.expires_at > now.timestamp())
            .ok_or_else(invalid_refresh)?;
        let user = self.users.get(&session.user_id).await.map_err(store)?;
        let Some(user) = user.filter(|u| !u.revoked_since(session.created_at)) else {
            self.sessions.revoke(id).await.map_err(store)?;
            return Err(invalid_refresh());
        };
        let next = random_hex(32);
        match self
            .sessions
            .rotate(id, &digest(secret), &digest(&next))
            .await
        {
            Ok(()) => http::ok(&self.signed(&user, id, &next)?),
            Err(StoreError::ConditionFailed) => {
                // An old token of the family: whoever holds the new one,
                // the session is not safe any more.
                tracing::warn!(user_id = %user.id, "refresh token reused: session revoked");
                self.sessions.revoke(id).await.map_err(store)?;
                Err(invalid_refresh())
            }
            Err(e) => Err(store(e)),
        }
    }

    pub(crate) async fn logout(&self, request: &Request) -> ApiResult {
        let body: LogoutRequest = if http::body_bytes(request)
            .iter()
            .all(u8::is_ascii_whitespace)
        {
            LogoutRequest::default()
        } else {
            http::parse_json(request)?
        };
        let store = |e| ApiError::from_store("signing out", e);
        let principal = match http::header_value(request, "authorization") {
            Some(_) => Some(http::authenticate(request, &self.tokens)?),
            None => None,
        };
        if body.everywhere {
            let principal = principal.ok_or_else(ApiError::unauthorized)?;
            let at = self.clock.now();
            self.users
                .update(&principal.user_id, &UserChange::SessionsRevoked(at))
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => ApiError::unauthorized(),
                    e => store(e),
                })?;
            return http::ok(&serde_json::json!({"status": "signed out everywhere"}));
        }
        let mut ended = false;
        if let Some(id) = principal.as_ref().and_then(|p| p.session_id.as_deref()) {
            self.sessions.revoke(id).await.map_err(store)?;
            ended = true;
        }
        if let Some((id, secret)) = body.refresh_token.as_deref().and_then(split_refresh) {
            // Only the token's own holder can end its session.
            let session = self.sessions.get(id).await.map_err(store)?;
            if session
                .is_some_and(|s| shared::auth::secrets::same(&s.token_digest, &digest(secret)))
            {
                self.sessions.revoke(id).await.map_err(store)?;
                ended = true;
            }
        }
        if !ended {
            return Err(ApiError::bad_request(
                "nothing to sign out: send the access token or the refresh token",
            ));
        }
        http::ok(&serde_json::json!({"status": "signed out"}))
    }

    /// Sends an account mail; a failure is logged, the request goes on
    /// (the owner can ask again).
    pub(crate) async fn mail(&self, notification: shared::ports::Notification) {
        if let Err(e) = self.notifier.send(&notification).await {
            tracing::warn!(error = %e, subject = %notification.subject, "account mail not sent");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_refresh;

    #[test]
    fn refresh_tokens_are_an_id_and_a_secret_in_hex() {
        let token = format!("{}.{}", "a".repeat(32), "b".repeat(64));
        assert!(split_refresh(&token).is_some());
        assert!(split_refresh(&"a".repeat(97)).is_none());
        assert!(split_refresh(&format!("{}.{}", "a".repeat(31), "b".repeat(64))).is_none());
        assert!(split_refresh(&format!("{}.{}", "g".repeat(32), "b".repeat(64))).is_none());
    }
}
