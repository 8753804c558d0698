//! `POST /api/auth/register`, `POST /api/auth/login`, `GET|PUT /api/auth/profile`.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::DynamoUserStore;
use shared::adapters::{SystemClock, UuidV7Ids};
use shared::auth::{self, Tokens};
use shared::domain::{normalize_email, Role, User};
use shared::http::{self, Api, ApiError, ApiResult, RouteTable, Router};
use shared::ports::{Clock, IdGenerator, StoreError, UserStore};
use std::sync::{Arc, LazyLock};

const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds the argon2 work one request can ask for.
const MAX_PASSWORD_CHARS: usize = 256;
const MAX_NAME_CHARS: usize = 100;

#[derive(Clone, Copy)]
enum Action {
    Register,
    Login,
    GetProfile,
    UpdateProfile,
}

/// Every route this function serves, the one table of them.
const ROUTES: RouteTable<Action> = &[
    (Method::POST, "/api/auth/register", Action::Register),
    (Method::POST, "/api/auth/login", Action::Login),
    (Method::GET, "/api/auth/profile", Action::GetProfile),
    (Method::PUT, "/api/auth/profile", Action::UpdateProfile),
];

static ROUTER: LazyLock<Router<Action>> = LazyLock::new(|| Router::new(ROUTES));

/// (method, path) of every route, for the route check.
pub fn routes() -> Vec<(String, String)> {
    ROUTER.declared()
}

pub struct AuthService {
    pub users: Arc<dyn UserStore>,
    pub tokens: Arc<Tokens>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// These addresses get the admin role when they register.
    pub admin_emails: Vec<String>,
    pub allowed_origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    email: String,
    password: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileUpdate {
    name: String,
}

/// A user as clients see it: never the password hash.
#[derive(Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
        }
    }
}

#[derive(Serialize)]
struct Session {
    token: String,
    user: UserView,
}

fn valid_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_string())
}

impl AuthService {
    /// On the in-memory world, with the test token keys, no admins and any
    /// origin: what the handler tests and the in-process benchmark run.
    #[cfg(feature = "testing")]
    pub fn in_memory(world: &shared::adapters::memory::MemoryWorld) -> Self {
        AuthService {
            users: world.users.clone(),
            tokens: Arc::new(shared::http::testing::tokens()),
            clock: world.clock.clone(),
            ids: world.ids.clone(),
            admin_emails: vec![],
            allowed_origin: "*".into(),
        }
    }

    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        let dynamo = aws::dynamodb(config);
        Ok(AuthService {
            users: Arc::new(DynamoUserStore::new(
                dynamo,
                aws::env_required("USERS_TABLE")?,
            )),
            tokens: Arc::new(aws::tokens_from_env(config).await?),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            admin_emails: aws::env_or("ADMIN_EMAILS", "")
                .split(',')
                .filter_map(normalize_email)
                .collect(),
            allowed_origin: aws::env_or("ALLOWED_ORIGIN", ""),
        })
    }

    async fn route(&self, request: &Request) -> ApiResult {
        let (action, _) = ROUTER.route(request.method(), &http::route_path(request))?;
        match action {
            Action::Register => self.register(request).await,
            Action::Login => self.login(request).await,
            Action::GetProfile => self.profile(request).await,
            Action::UpdateProfile => self.update_profile(request).await,
        }
    }

    async fn register(&self, request: &Request) -> ApiResult {
        let body: RegisterRequest = http::parse_json(request)?;
        let email = normalize_email(&body.email)
            .ok_or_else(|| ApiError::bad_request("email is not a valid address"))?;
        let password_chars = body.password.chars().count();
        if password_chars < MIN_PASSWORD_CHARS {
            return Err(ApiError::bad_request(format!(
                "password must be at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if password_chars > MAX_PASSWORD_CHARS {
            return Err(ApiError::bad_request(format!(
                "password must be at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        let name = valid_name(&body.name)?;
        let password_hash = auth::hash_password(&body.password)
            .map_err(|e| ApiError::internal("hashing a password", e))?;
        let role = if self.admin_emails.contains(&email) {
            Role::Admin
        } else {
            Role::Customer
        };
        let user = User {
            id: self.ids.new_id(),
            email,
            name,
            role,
            password_hash,
            created_at: self.clock.now(),
        };
        match self.users.create(&user).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => {
                return Err(ApiError::conflict(
                    "an account with this email already exists",
                ))
            }
            Err(e) => return Err(ApiError::from_store("creating a user", e)),
        }
        tracing::info!(user_id = %user.id, role = ?user.role, "user registered");
        Ok(http::json(StatusCode::CREATED, &self.session(&user)?))
    }

    async fn login(&self, request: &Request) -> ApiResult {
        let body: LoginRequest = http::parse_json(request)?;
        let invalid = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid email or password");
        if body.password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(invalid());
        }
        let found = match normalize_email(&body.email) {
            Some(email) => self
                .users
                .find_by_email(&email)
                .await
                .map_err(|e| ApiError::from_store("looking up a user", e))?,
            None => None,
        };
        // The same argon2 work on both paths: timing does not reveal accounts.
        let Some(user) = found else {
            auth::verify_against_dummy(&body.password);
            return Err(invalid());
        };
        if !auth::verify_password(&body.password, &user.password_hash) {
            return Err(invalid());
        }
        http::ok(&self.session(&user)?)
    }

    async fn profile(&self, request: &Request) -> ApiResult {
        let principal = http::authenticate(request, &self.tokens)?;
        let user = self
            .users
            .get(&principal.user_id)
            .await
            .map_err(|e| ApiError::from_store("reading a profile", e))?
            .ok_or_else(ApiError::unauthorized)?;
        http::ok(&UserView::from(&user))
    }

    async fn update_profile(&self, request: &Request) -> ApiResult {
        let principal = http::authenticate(request, &self.tokens)?;
        let body: ProfileUpdate = http::parse_json(request)?;
        let name = valid_name(&body.name)?;
        match self.users.update_name(&principal.user_id, &name).await {
            Ok(user) => http::ok(&UserView::from(&user)),
            Err(StoreError::NotFound) => Err(ApiError::unauthorized()),
            Err(e) => Err(ApiError::from_store("updating a profile", e)),
        }
    }

    fn session(&self, user: &User) -> Result<Session, ApiError> {
        let token = self
            .tokens
            .issue(user, self.clock.now())
            .map_err(|e| ApiError::internal("signing a token", e))?;
        Ok(Session {
            token,
            user: UserView::from(user),
        })
    }
}

#[async_trait::async_trait]
impl Api for AuthService {
    async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, &self.allowed_origin, |_| self.route(&request)).await
    }
}
