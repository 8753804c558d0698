//! Which payment gateway the steps use, chosen by configuration in one
//! place: `PAYMENT_PROVIDER` is `stripe` (the Stripe key read from Secrets
//! Manager at init, `STRIPE_API_BASE` for a local fake) or `simulated`.

use crate::adapters::aws::{self, ConfigError, SdkConfig};
use crate::adapters::dynamodb::DynamoPaymentLedger;
use crate::adapters::https::HttpsClient;
use crate::adapters::payment_sim::SimulatedGateway;
use crate::adapters::stripe::StripeGateway;
use crate::adapters::UuidV7Ids;
use crate::ports::{PaymentGateway, PaymentLedger};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Stripe's keys as the secret holds them (infra/README.md).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StripeKeys {
    pub secret_key: String,
    pub webhook_secret: String,
}

impl StripeKeys {
    pub fn parse(secret: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(secret).map_err(|e| ConfigError::Invalid {
            name: "STRIPE_SECRET".into(),
            reason: format!(
                "not {{\"secretKey\",\"webhookSecret\"}}: {}",
                json_problem(&e)
            ),
        })
    }
}

/// What is wrong with a secret's JSON, never its text.
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "a field is missing or not a string",
        serde_json::error::Category::Eof => "cut short",
    }
}

/// The keys, from the secret `STRIPE_SECRET_ARN` names.
async fn stripe_keys_from_env(config: &SdkConfig) -> Result<StripeKeys, ConfigError> {
    StripeKeys::parse(&aws::secret_from_env(config, "STRIPE_SECRET").await?)
}

/// Stripe as the configuration names it: the keys from Secrets Manager, the
/// API at `STRIPE_API_BASE` (Stripe's own unless a local fake is named).
pub struct Stripe {
    pub gateway: StripeGateway,
    /// What Stripe signs this endpoint's webhook deliveries with.
    pub webhook_secret: String,
}

pub async fn stripe_from_env(
    config: &SdkConfig,
    ledger: Arc<dyn PaymentLedger>,
) -> Result<Stripe, ConfigError> {
    let keys = stripe_keys_from_env(config).await?;
    let http = HttpsClient::new(Duration::from_secs(10)).map_err(|e| ConfigError::Invalid {
        name: "STRIPE_API_BASE".into(),
        reason: format!("no TLS roots: {e}"),
    })?;
    Ok(Stripe {
        gateway: StripeGateway::new(
            Arc::new(http),
            &aws::env_or("STRIPE_API_BASE", "https://api.stripe.com"),
            keys.secret_key,
            ledger,
        ),
        webhook_secret: keys.webhook_secret,
    })
}

/// The gateway the configuration names. `chaos_percent` makes the
/// simulated gateway fail that share of new authorisations (0 for
/// compensations, which must be reliable).
pub async fn gateway_from_env(
    config: &SdkConfig,
    chaos_percent: u8,
) -> Result<Arc<dyn PaymentGateway>, ConfigError> {
    let ledger = Arc::new(DynamoPaymentLedger::new(
        aws::dynamodb(config),
        aws::env_required("PAYMENTS_TABLE")?,
    ));
    match aws::env_or("PAYMENT_PROVIDER", "simulated").as_str() {
        "simulated" => Ok(Arc::new(SimulatedGateway::new(
            ledger,
            Arc::new(UuidV7Ids),
            chaos_percent,
        ))),
        "stripe" => Ok(Arc::new(stripe_from_env(config, ledger).await?.gateway)),
        other => Err(ConfigError::Invalid {
            name: "PAYMENT_PROVIDER".into(),
            reason: format!("{other:?} is neither simulated nor stripe"),
        }),
    }
}

/// `PAYMENT_CHAOS_PERCENT`, 0 when unset.
pub fn chaos_percent_from_env() -> Result<u8, ConfigError> {
    aws::env_or("PAYMENT_CHAOS_PERCENT", "0")
        .parse::<u8>()
        .map_err(|e| ConfigError::Invalid {
            name: "PAYMENT_CHAOS_PERCENT".into(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_a_bad_secret_never_shows_its_text() {
        let keys =
            StripeKeys::parse(r#"{"secretKey":"sk_test_1","webhookSecret":"whsec_2"}"#).unwrap();
        assert_eq!(
            (keys.secret_key.as_str(), keys.webhook_secret.as_str()),
            ("sk_test_1", "whsec_2")
        );
        let Err(e) = StripeKeys::parse(r#"{"secretKey":"sk_live_hidden123"}"#) else {
            panic!("a secret without the webhook key is refused");
        };
        assert!(!e.to_string().contains("hidden123"), "{e}");
    }
}
