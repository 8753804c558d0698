//! The admin role, granted and revoked by an admin (the operator's
//! `store-admin` command does the same with AWS credentials).

use crate::{AuthService, UserView};
use lambda_http::Request;
use serde::Deserialize;
use shared::domain::{normalize_email, Role, User, UserChange};
use shared::http::{self, ApiError, ApiResult};
use shared::ports::{StoreError, UserStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    email: String,
}

/// Why a role change did not happen, in the words of the command and the API.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoleRefused {
    #[error("no account has that email")]
    NoSuchUser,
    #[error("only an account with a verified email and a second factor (TOTP) can be admin")]
    NotEligible,
    #[error("store: {0}")]
    Store(StoreError),
}

/// Sets the role of the account with `email`: the one rule the API and
/// `store-admin` share.
pub async fn set_role(users: &dyn UserStore, email: &str, role: Role) -> Result<User, RoleRefused> {
    let email = normalize_email(email).ok_or(RoleRefused::NoSuchUser)?;
    let user = users
        .find_by_email(&email)
        .await
        .map_err(RoleRefused::Store)?
        .ok_or(RoleRefused::NoSuchUser)?;
    if role == Role::Admin && !user.may_be_admin() {
        return Err(RoleRefused::NotEligible);
    }
    match users.update(&user.id, &UserChange::Role(role)).await {
        Ok(user) => Ok(user),
        Err(StoreError::ConditionFailed) => Err(RoleRefused::NotEligible),
        Err(e) => Err(RoleRefused::Store(e)),
    }
}

impl AuthService {
    pub(crate) async fn list_admins(&self, request: &Request) -> ApiResult {
        http::require_admin(request, &self.tokens)?;
        let admins = self
            .users
            .list_admins()
            .await
            .map_err(|e| ApiError::from_store("listing admins", e))?;
        let views: Vec<UserView> = admins.iter().map(UserView::from).collect();
        http::ok(&views)
    }

    pub(crate) async fn set_admin(&self, request: &Request, role: Role) -> ApiResult {
        let principal = http::require_admin(request, &self.tokens)?;
        let body: RoleRequest = http::parse_json(request)?;
        if role != Role::Admin {
            // Another admin, or the operator's command, can; so the shop
            // is never left without one by a slip.
            let own = match normalize_email(&body.email) {
                Some(email) => self
                    .users
                    .find_by_email(&email)
                    .await
                    .map_err(|e| ApiError::from_store("finding a user", e))?,
                None => None,
            };
            if own.is_some_and(|u| u.id == principal.user_id) {
                return Err(ApiError::conflict("you cannot revoke your own admin role"));
            }
        }
        match set_role(self.users.as_ref(), &body.email, role).await {
            Ok(user) => {
                tracing::info!(user_id = %user.id, role = ?role, by = %principal.user_id, "role changed");
                http::ok(&UserView::from(&user))
            }
            Err(RoleRefused::NoSuchUser) => Err(ApiError::not_found("no account has that email")),
            Err(e @ RoleRefused::NotEligible) => Err(ApiError::conflict(e.to_string())),
            Err(RoleRefused::Store(e)) => Err(ApiError::from_store("changing a role", e)),
        }
    }
}
