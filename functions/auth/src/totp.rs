//! Enrolling, confirming and removing the TOTP second factor. Admins must
//! keep theirs.

use crate::{AuthService, MAX_PASSWORD_CHARS};
use lambda_http::Request;
use serde::{Deserialize, Serialize};
use shared::auth::{self, secrets, totp};
use shared::domain::{TotpFactor, UserChange};
use shared::http::{self, ApiError, ApiResult};
use shared::ports::StoreError;

/// Shown once, when the factor is confirmed.
const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Serverless Store";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordRequest {
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Enrolment {
    /// For typing into an authenticator app.
    secret: String,
    otpauth_uri: String,
    /// The URI as a QR code (SVG).
    qr_svg: String,
}

impl AuthService {
    pub(crate) async fn totp_setup(&self, request: &Request) -> ApiResult {
        let (_, user) = self.signed_in(request).await?;
        let secret = totp::new_secret();
        let factor = TotpFactor {
            secret: hex::encode(&secret),
            enabled: false,
            last_step: None,
            recovery_codes: vec![],
        };
        match self
            .users
            .update(&user.id, &UserChange::TotpEnrolled(factor))
            .await
        {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => {
                return Err(ApiError::conflict("a second factor is set up already"))
            }
            Err(e) => return Err(ApiError::from_store("enrolling a second factor", e)),
        }
        let uri = totp::otpauth_uri(&secret, ISSUER, &user.email);
        http::ok(&Enrolment {
            secret: totp::base32(&secret),
            qr_svg: totp::qr_svg(&uri).unwrap_or_default(),
            otpauth_uri: uri,
        })
    }

    pub(crate) async fn totp_confirm(&self, request: &Request) -> ApiResult {
        let (_, user) = self.signed_in(request).await?;
        let body: CodeRequest = http::parse_json(request)?;
        let factor = user
            .totp
            .as_ref()
            .filter(|f| !f.enabled)
            .ok_or_else(|| ApiError::conflict("no second factor waits to be confirmed"))?;
        let secret = hex::decode(&factor.secret)
            .map_err(|e| ApiError::internal("reading a TOTP secret", e))?;
        let now = self.clock.now().timestamp().max(0) as u64;
        let step = totp::check(&secret, &body.code, now, None)
            .ok_or_else(|| ApiError::bad_request("the code is not right; try the current one"))?;
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| secrets::recovery_code())
            .collect();
        let context = format!("recovery#{}", user.id);
        let change = UserChange::TotpConfirmed {
            step,
            recovery_codes: codes
                .iter()
                .map(|c| self.code_hasher.hash(&context, c))
                .collect(),
        };
        match self.users.update(&user.id, &change).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => {
                return Err(ApiError::conflict("no second factor waits to be confirmed"))
            }
            Err(e) => return Err(ApiError::from_store("confirming a second factor", e)),
        }
        tracing::info!(user_id = %user.id, "second factor confirmed");
        http::ok(&serde_json::json!({ "recoveryCodes": codes }))
    }

    pub(crate) async fn totp_disable(&self, request: &Request) -> ApiResult {
        let (_, user) = self.signed_in(request).await?;
        let body: PasswordRequest = http::parse_json(request)?;
        if body.password.chars().count() > MAX_PASSWORD_CHARS
            || !auth::verify_password(&body.password, &user.password_hash)
        {
            return Err(ApiError::bad_request("the password is not right"));
        }
        match self.users.update(&user.id, &UserChange::TotpRemoved).await {
            Ok(user) => http::ok(&crate::UserView::from(&user)),
            Err(StoreError::ConditionFailed) => Err(ApiError::conflict(
                "an admin account must keep its second factor",
            )),
            Err(e) => Err(ApiError::from_store("removing a second factor", e)),
        }
    }
}
