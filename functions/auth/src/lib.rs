//! Accounts: registration with a verified email, sign-in with throttling
//! and an optional TOTP second factor (required for admins), short access
//! tokens with rotating refresh tokens, password change and reset, and the
//! admin role granted by an operator or an admin. Routes in `ROUTES`.

mod accounts;
pub mod admin;
mod mail;
mod passwords;
mod sessions;
pub mod throttle;
mod totp;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::{
    DynamoAttemptStore, DynamoCodeStore, DynamoSessionStore, DynamoUserStore,
};
use shared::adapters::ses::SesNotifier;
use shared::adapters::{SystemClock, UuidV7Ids};
use shared::auth::secrets::CodeHasher;
use shared::auth::{Principal, Tokens};
use shared::domain::{Role, User};
use shared::http::{self, Api, ApiError, ApiResult, RouteTable, Router};
use shared::ports::{
    AttemptStore, Clock, IdGenerator, Notifier, OneTimeCodeStore, SessionStore, UserStore,
};
use std::sync::{Arc, LazyLock};

pub use throttle::ThrottlePolicy;

#[derive(Clone, Copy)]
enum Action {
    Register,
    Login,
    Refresh,
    Logout,
    VerifyEmail,
    ResendVerification,
    ChangePassword,
    ForgotPassword,
    ResetPassword,
    GetProfile,
    UpdateProfile,
    TotpSetup,
    TotpConfirm,
    TotpDisable,
    ListAdmins,
    GrantAdmin,
    RevokeAdmin,
}

/// Every route this function serves, the one table of them.
const ROUTES: RouteTable<Action> = &[
    (Method::POST, "/api/auth/register", Action::Register),
    (Method::POST, "/api/auth/login", Action::Login),
    (Method::POST, "/api/auth/refresh", Action::Refresh),
    (Method::POST, "/api/auth/logout", Action::Logout),
    (Method::POST, "/api/auth/verify-email", Action::VerifyEmail),
    (
        Method::POST,
        "/api/auth/verify-email/resend",
        Action::ResendVerification,
    ),
    (Method::POST, "/api/auth/password", Action::ChangePassword),
    (
        Method::POST,
        "/api/auth/forgot-password",
        Action::ForgotPassword,
    ),
    (
        Method::POST,
        "/api/auth/reset-password",
        Action::ResetPassword,
    ),
    (Method::GET, "/api/auth/profile", Action::GetProfile),
    (Method::PUT, "/api/auth/profile", Action::UpdateProfile),
    (Method::POST, "/api/auth/totp/setup", Action::TotpSetup),
    (Method::POST, "/api/auth/totp/confirm", Action::TotpConfirm),
    (Method::POST, "/api/auth/totp/disable", Action::TotpDisable),
    (Method::GET, "/api/admin/users", Action::ListAdmins),
    (Method::POST, "/api/admin/users/grant", Action::GrantAdmin),
    (Method::POST, "/api/admin/users/revoke", Action::RevokeAdmin),
];

static ROUTER: LazyLock<Router<Action>> = LazyLock::new(|| Router::new(ROUTES));

/// (method, path) of every route, for the route check.
pub fn routes() -> Vec<(String, String)> {
    ROUTER.declared()
}

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds the argon2 work one request can ask for.
pub const MAX_PASSWORD_CHARS: usize = 256;

pub struct AuthService {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub codes: Arc<dyn OneTimeCodeStore>,
    pub attempts: Arc<dyn AttemptStore>,
    pub notifier: Arc<dyn Notifier>,
    pub tokens: Arc<Tokens>,
    /// Keyed digests of mailed codes and recovery codes.
    pub code_hasher: Arc<CodeHasher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub throttle: ThrottlePolicy,
    pub allowed_origin: String,
}

/// A user as clients see it: never the password hash or the TOTP secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub email_verified: bool,
    pub totp_enabled: bool,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            email_verified: user.email_verified,
            totp_enabled: user.has_totp(),
        }
    }
}

impl AuthService {
    /// On the in-memory world, with the test token keys, the default
    /// throttling and any origin: what the handler tests and the in-process
    /// benchmark run.
    #[cfg(feature = "testing")]
    pub fn in_memory(world: &shared::adapters::memory::MemoryWorld) -> Self {
        AuthService {
            users: world.users.clone(),
            sessions: world.sessions.clone(),
            codes: world.codes.clone(),
            attempts: world.attempts.clone(),
            notifier: world.notifier.clone(),
            tokens: Arc::new(shared::http::testing::tokens()),
            code_hasher: Arc::new(CodeHasher::new(shared::http::testing::TEST_SECRET)),
            clock: world.clock.clone(),
            ids: world.ids.clone(),
            throttle: ThrottlePolicy::default(),
            allowed_origin: "*".into(),
        }
    }

    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        let dynamo = aws::dynamodb(config);
        let table = aws::env_required("USERS_TABLE")?;
        let keys = aws::jwt_keys_from_env(config).await?;
        let code_hasher = CodeHasher::new(&keys.current.secret);
        Ok(AuthService {
            users: Arc::new(DynamoUserStore::new(dynamo.clone(), table.clone())),
            sessions: Arc::new(DynamoSessionStore::new(dynamo.clone(), table.clone())),
            codes: Arc::new(DynamoCodeStore::new(dynamo.clone(), table.clone())),
            attempts: Arc::new(DynamoAttemptStore::new(dynamo, table)),
            notifier: Arc::new(SesNotifier::new(
                aws::ses(config),
                aws::env_required("NOTIFY_SENDER")?,
            )),
            tokens: Arc::new(aws::tokens(keys)?),
            code_hasher: Arc::new(code_hasher),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            throttle: ThrottlePolicy::from_env()?,
            allowed_origin: aws::env_or("ALLOWED_ORIGIN", ""),
        })
    }

    async fn route(&self, request: &Request) -> ApiResult {
        let (action, _) = ROUTER.route(request.method(), &http::route_path(request))?;
        match action {
            Action::Register => self.register(request).await,
            Action::Login => self.login(request).await,
            Action::Refresh => self.refresh(request).await,
            Action::Logout => self.logout(request).await,
            Action::VerifyEmail => self.verify_email(request).await,
            Action::ResendVerification => self.resend_verification(request).await,
            Action::ChangePassword => self.change_password(request).await,
            Action::ForgotPassword => self.forgot_password(request).await,
            Action::ResetPassword => self.reset_password(request).await,
            Action::GetProfile => self.profile(request).await,
            Action::UpdateProfile => self.update_profile(request).await,
            Action::TotpSetup => self.totp_setup(request).await,
            Action::TotpConfirm => self.totp_confirm(request).await,
            Action::TotpDisable => self.totp_disable(request).await,
            Action::ListAdmins => self.list_admins(request).await,
            Action::GrantAdmin => self.set_admin(request, Role::Admin).await,
            Action::RevokeAdmin => self.set_admin(request, Role::Customer).await,
        }
    }

    /// The caller and their stored account; 401 for a token whose session
    /// was revoked (sign out everywhere, a password change or reset).
    async fn signed_in(&self, request: &Request) -> Result<(Principal, User), ApiError> {
        let principal = http::authenticate(request, &self.tokens)?;
        let user = self
            .users
            .get(&principal.user_id)
            .await
            .map_err(|e| ApiError::from_store("reading the signed-in user", e))?
            .filter(|user| !user.revoked_since(principal.issued_at))
            .ok_or_else(ApiError::unauthorized)?;
        Ok((principal, user))
    }
}

/// A password a client sends: 8 to 256 characters (argon2 is bounded).
fn valid_password(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Api for AuthService {
    async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, &self.allowed_origin, |_| self.route(&request)).await
    }
}
