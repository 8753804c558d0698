//! AWS SDK set-up, done once per cold start. The standard configuration
//! chain applies, so `AWS_ENDPOINT_URL` points every client at LocalStack.

use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Builder;

/// Loads the shared SDK configuration with rustls on ring (see README:
/// why not the SDK's default aws-lc).
pub async fn load_config() -> SdkConfig {
    let http_client = Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .load()
        .await
}

/// A required setting; a missing one stops the cold start with a clear message
/// rather than failing on the first request.
pub fn env_required(name: &str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name.to_string())),
    }
}

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(String),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
    #[error("could not read secret {id}: {reason}")]
    Secret { id: String, reason: String },
}

/// Reads a secret string from Secrets Manager at cold start.
pub async fn read_secret(config: &SdkConfig, secret_id: &str) -> Result<String, ConfigError> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| ConfigError::Secret {
            id: secret_id.to_string(),
            reason: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
        })?;
    output
        .secret_string()
        .map(str::to_string)
        .ok_or_else(|| ConfigError::Secret {
            id: secret_id.to_string(),
            reason: "the secret has no string value".to_string(),
        })
}

/// The secret named by `{prefix}_ARN` in Secrets Manager, or, for local
/// `cargo lambda watch` only, the plain `{prefix}` variable.
pub async fn secret_from_env(config: &SdkConfig, prefix: &str) -> Result<String, ConfigError> {
    let arn_var = format!("{prefix}_ARN");
    match std::env::var(&arn_var) {
        Ok(arn) if !arn.trim().is_empty() => read_secret(config, &arn).await,
        _ => {
            tracing::warn!(
                variable = prefix,
                "secret taken from the environment: local use only"
            );
            env_required(prefix).map_err(|_| ConfigError::Missing(arn_var))
        }
    }
}

/// The token signing keys: from Secrets Manager (`JWT_SECRET_ARN`; its
/// format and rotation in infra/README.md), or `JWT_SECRET` locally.
pub async fn jwt_keys_from_env(config: &SdkConfig) -> Result<crate::auth::KeyRing, ConfigError> {
    let secret = secret_from_env(config, "JWT_SECRET").await?;
    crate::auth::KeyRing::parse(&secret).map_err(|e| ConfigError::Invalid {
        name: "JWT_SECRET".into(),
        reason: e.to_string(),
    })
}

/// The token verifier for `keys`, issuer and audience from the template.
pub fn tokens(keys: crate::auth::KeyRing) -> Result<crate::auth::Tokens, ConfigError> {
    crate::auth::Tokens::new(
        keys,
        &env_or("JWT_ISSUER", crate::auth::DEFAULT_ISSUER),
        &env_or("JWT_AUDIENCE", crate::auth::DEFAULT_AUDIENCE),
    )
    .map_err(|e| ConfigError::Invalid {
        name: "JWT_SECRET".into(),
        reason: e.to_string(),
    })
}

/// The token verifier every HTTP function builds at cold start.
pub async fn tokens_from_env(config: &SdkConfig) -> Result<crate::auth::Tokens, ConfigError> {
    tokens(jwt_keys_from_env(config).await?)
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn eventbridge(config: &SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(config)
}

pub fn stepfunctions(config: &SdkConfig) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::new(config)
}

pub fn ses(config: &SdkConfig) -> aws_sdk_ses::Client {
    aws_sdk_ses::Client::new(config)
}

/// Error codes AWS services answer when the same call may succeed later:
/// throttling, an internal error, a service briefly down. The SDK has
/// already retried these a few times by the time an adapter sees one.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalServerException",
    "InternalFailure",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// What a failed AWS call means for whoever made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsFailure {
    /// The same call may succeed later (throttling, a 5xx, a timeout, a
    /// connection that failed): `message` says which.
    Transient(String),
    /// The service refused the call and will refuse it again (validation,
    /// access denied, a missing table): a bug or misconfiguration of ours,
    /// never worth a retry. `code` is the service's error code.
    Rejected {
        code: Option<String>,
        message: String,
    },
}

/// Classifies any SDK error by kind (every AWS SDK crate shares these types).
pub fn classify<E>(err: SdkError<E, HttpResponse>) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => !failure.is_user(),
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            service
                .err()
                .code()
                .is_some_and(|c| TRANSIENT_CODES.contains(&c))
                || status == 429
                || status >= 500
        }
        _ => false,
    };
    let code = err.code().map(str::to_string);
    let message = DisplayErrorContext(err).to_string();
    if transient {
        AwsFailure::Transient(message)
    } else {
        AwsFailure::Rejected { code, message }
    }
}
