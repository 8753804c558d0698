//! Changing a password (with the current one) and resetting a forgotten
//! one (with a mailed code). Both revoke every session of the account.

use crate::accounts::invalid_code;
use crate::throttle::{locked, SignInKeys};
use crate::{mail, valid_password, AuthService, MAX_PASSWORD_CHARS};
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Deserialize;
use shared::auth;
use shared::domain::{normalize_email, User, UserChange};
use shared::http::{self, ApiError, ApiResult};
use shared::ports::CodePurpose;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChangeRequest {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotRequest {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResetRequest {
    email: String,
    code: String,
    new_password: String,
}

impl AuthService {
    pub(crate) async fn change_password(&self, request: &Request) -> ApiResult {
        let (_, user) = self.signed_in(request).await?;
        let body: ChangeRequest = http::parse_json(request)?;
        valid_password(&body.new_password)?;
        // Guessing the current password is throttled like signing in.
        let keys = SignInKeys::new(&user.email, &http::client_ip(request));
        let account = self
            .attempts
            .get(&keys.account)
            .await
            .map_err(|e| ApiError::from_store("reading failed sign-ins", e))?;
        let now = self.clock.now();
        if let Some(until) = locked(now, &[account]) {
            return Err(ApiError::too_many(
                "too many failed attempts; try again later",
                (until - now).num_seconds(),
            ));
        }
        let current_ok = body.current_password.chars().count() <= MAX_PASSWORD_CHARS
            && auth::verify_password(&body.current_password, &user.password_hash);
        if !current_ok {
            if let Err(e) = self
                .throttle
                .count_failure(self.attempts.as_ref(), &keys, now)
                .await
            {
                tracing::warn!(error = %e, "failed attempt not counted");
            }
            return Err(ApiError::bad_request("the current password is not right"));
        }
        let user = self.set_password(&user, &body.new_password).await?;
        // This device stays signed in, with a new session.
        self.start_session(&user, StatusCode::OK).await
    }

    /// Stores a new password and revokes every session started before now.
    async fn set_password(&self, user: &User, password: &str) -> Result<User, ApiError> {
        let hash = auth::hash_password(password)
            .map_err(|e| ApiError::internal("hashing a password", e))?;
        let change = UserChange::Password {
            hash,
            at: self.clock.now(),
        };
        let user = self
            .users
            .update(&user.id, &change)
            .await
            .map_err(|e| ApiError::from_store("changing a password", e))?;
        tracing::info!(user_id = %user.id, "password changed; sessions revoked");
        if user.email_verified {
            self.mail(mail::password_changed(&user.email)).await;
        }
        Ok(user)
    }

    /// The same answer whether the address has an account or not.
    pub(crate) async fn forgot_password(&self, request: &Request) -> ApiResult {
        let body: ForgotRequest = http::parse_json(request)?;
        let answer = || {
            Ok(http::json(
                StatusCode::ACCEPTED,
                &serde_json::json!({
                    "status": "if the address belongs to a verified account, a reset code is on its way"
                }),
            ))
        };
        let Some(email) = normalize_email(&body.email) else {
            return answer();
        };
        let user = self
            .users
            .find_by_email(&email)
            .await
            .map_err(|e| ApiError::from_store("finding a user", e))?;
        // Only a verified address gets mail: an unverified one may be
        // someone else's.
        if let Some(user) = user.filter(|u| u.email_verified) {
            if self
                .throttle_resend(&user, CodePurpose::ResetPassword)
                .await
                .is_ok()
            {
                self.send_code(&user, CodePurpose::ResetPassword).await?;
            }
        }
        answer()
    }

    pub(crate) async fn reset_password(&self, request: &Request) -> ApiResult {
        let body: ResetRequest = http::parse_json(request)?;
        valid_password(&body.new_password)?;
        let user = match normalize_email(&body.email) {
            Some(email) => self
                .users
                .find_by_email(&email)
                .await
                .map_err(|e| ApiError::from_store("finding a user", e))?,
            None => None,
        };
        let user = user.filter(|u| u.email_verified).ok_or_else(invalid_code)?;
        self.redeem_code(&user, CodePurpose::ResetPassword, &body.code)
            .await?;
        self.set_password(&user, &body.new_password).await?;
        // The owner proved they hold the mailbox: the lockout is over.
        let keys = SignInKeys::new(&user.email, &http::client_ip(request));
        if let Err(e) = self.attempts.clear(&keys.account).await {
            tracing::warn!(error = %e, "failed sign-ins not cleared");
        }
        http::ok(&serde_json::json!({"status": "password changed; sign in with the new one"}))
    }
}
