//! Registration, the email check and the profile.

use crate::mail::{self, CODE_MINUTES};
use crate::{valid_password, AuthService, UserView};
use chrono::Duration;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Deserialize;
use shared::auth::{self, secrets};
use shared::domain::{normalize_email, valid_name, User, UserChange, MAX_NAME_CHARS};
use shared::http::{self, ApiError, ApiResult};
use shared::ports::{CodePurpose, OneTimeCode, StoreError};

/// Wrong tries before a mailed code is used up.
pub const CODE_TRIES: u32 = 5;
/// A new code is mailed at most this often.
const RESEND_AFTER: Duration = Duration::seconds(60);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    email: String,
    password: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    email: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileUpdate {
    name: String,
}

pub(crate) fn name_of(raw: &str) -> Result<String, ApiError> {
    valid_name(raw).ok_or_else(|| {
        ApiError::bad_request(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters, without line breaks or control characters"
        ))
    })
}

pub(crate) fn email_of(raw: &str) -> Result<String, ApiError> {
    normalize_email(raw).ok_or_else(|| ApiError::bad_request("email is not a valid address"))
}

pub(crate) fn invalid_code() -> ApiError {
    ApiError::bad_request("the code is not right or has expired; ask for a new one")
}

impl AuthService {
    pub(crate) async fn register(&self, request: &Request) -> ApiResult {
        let body: RegisterRequest = http::parse_json(request)?;
        let email = email_of(&body.email)?;
        valid_password(&body.password)?;
        let name = name_of(&body.name)?;
        let password_hash = auth::hash_password(&body.password)
            .map_err(|e| ApiError::internal("hashing a password", e))?;
        let user = User::new(
            &self.ids.new_id(),
            &email,
            &name,
            password_hash,
            self.clock.now(),
        );
        match self.users.create(&user).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => {
                return Err(ApiError::conflict(
                    "an account with this email already exists",
                ))
            }
            Err(e) => return Err(ApiError::from_store("creating a user", e)),
        }
        tracing::info!(user_id = %user.id, "user registered");
        self.send_code(&user, CodePurpose::VerifyEmail).await?;
        self.start_session(&user, StatusCode::CREATED).await
    }

    /// Mails `user` a new code for `purpose`, replacing any earlier one.
    pub(crate) async fn send_code(
        &self,
        user: &User,
        purpose: CodePurpose,
    ) -> Result<(), ApiError> {
        let code = secrets::numeric_code();
        let context = code_context(purpose, &user.id);
        let stored = OneTimeCode {
            user_id: user.id.clone(),
            purpose,
            digest: self.code_hasher.hash(&context, &code),
            expires_at: (self.clock.now() + Duration::minutes(CODE_MINUTES)).timestamp(),
            tries_left: CODE_TRIES,
        };
        self.codes
            .put(&stored)
            .await
            .map_err(|e| ApiError::from_store("storing a code", e))?;
        let notification = match purpose {
            CodePurpose::VerifyEmail => mail::verification(&user.email, &code),
            CodePurpose::ResetPassword => mail::password_reset(&user.email, &code),
        };
        self.mail(notification).await;
        Ok(())
    }

    /// Uses up `user`'s code for `purpose` if `code` is it; counts a wrong
    /// try otherwise (the last one burns the code).
    pub(crate) async fn redeem_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        code: &str,
    ) -> Result<(), ApiError> {
        let store = |e| ApiError::from_store("checking a code", e);
        let now = self.clock.now().timestamp();
        let stored = self
            .codes
            .get(&user.id, purpose)
            .await
            .map_err(store)?
            .filter(|c| c.expires_at > now && c.tries_left > 0)
            .ok_or_else(invalid_code)?;
        let context = code_context(purpose, &user.id);
        if !self.code_hasher.matches(&context, code, &stored.digest) {
            self.codes
                .spend_try(&user.id, purpose)
                .await
                .map_err(store)?;
            return Err(invalid_code());
        }
        match self.codes.consume(&user.id, purpose, &stored.digest).await {
            Ok(()) => Ok(()),
            // Used by a request a moment ago: single use.
            Err(StoreError::ConditionFailed) => Err(invalid_code()),
            Err(e) => Err(store(e)),
        }
    }

    pub(crate) async fn verify_email(&self, request: &Request) -> ApiResult {
        let body: VerifyRequest = http::parse_json(request)?;
        let user = match normalize_email(&body.email) {
            Some(email) => self
                .users
                .find_by_email(&email)
                .await
                .map_err(|e| ApiError::from_store("finding a user", e))?,
            None => None,
        };
        let user = user.ok_or_else(invalid_code)?;
        if user.email_verified {
            return http::ok(&UserView::from(&user));
        }
        self.redeem_code(&user, CodePurpose::VerifyEmail, &body.code)
            .await?;
        let user = self
            .users
            .update(&user.id, &UserChange::EmailVerified)
            .await
            .map_err(|e| ApiError::from_store("verifying an email", e))?;
        tracing::info!(user_id = %user.id, "email verified");
        http::ok(&UserView::from(&user))
    }

    pub(crate) async fn resend_verification(&self, request: &Request) -> ApiResult {
        let (_, user) = self.signed_in(request).await?;
        if user.email_verified {
            return Err(ApiError::conflict("the email address is verified already"));
        }
        self.throttle_resend(&user, CodePurpose::VerifyEmail)
            .await?;
        self.send_code(&user, CodePurpose::VerifyEmail).await?;
        Ok(http::json(
            StatusCode::ACCEPTED,
            &serde_json::json!({"status": "a new code was mailed"}),
        ))
    }

    /// 429 while the last code of `purpose` is younger than a minute.
    pub(crate) async fn throttle_resend(
        &self,
        user: &User,
        purpose: CodePurpose,
    ) -> Result<(), ApiError> {
        let last = self
            .codes
            .get(&user.id, purpose)
            .await
            .map_err(|e| ApiError::from_store("reading a code", e))?;
        let now = self.clock.now().timestamp();
        if let Some(code) = last {
            let sent_at = code.expires_at - Duration::minutes(CODE_MINUTES).num_seconds();
            let wait = sent_at + RESEND_AFTER.num_seconds() - now;
            if wait > 0 {
                return Err(ApiError::too_many(
                    "a code was mailed a moment ago; wait before asking again",
                    wait,
                ));
            }
        }
        Ok(())
    }

    pub(crate) async fn profile(&self, request: &Request) -> ApiResult {
        let (_, user) = self.signed_in(request).await?;
        http::ok(&UserView::from(&user))
    }

    pub(crate) async fn update_profile(&self, request: &Request) -> ApiResult {
        let (principal, _) = self.signed_in(request).await?;
        let body: ProfileUpdate = http::parse_json(request)?;
        let name = name_of(&body.name)?;
        match self
            .users
            .update(&principal.user_id, &UserChange::Name(name))
            .await
        {
            Ok(user) => http::ok(&UserView::from(&user)),
            Err(StoreError::NotFound) => Err(ApiError::unauthorized()),
            Err(e) => Err(ApiError::from_store("updating a profile", e)),
        }
    }
}

/// What a code is for and whose it is, bound into its digest.
pub(crate) fn code_context(purpose: CodePurpose, user_id: &str) -> String {
    format!("{}#{user_id}", purpose.as_str())
}
