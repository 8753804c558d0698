#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init_tracing();
    let config = shared::adapters::aws::load_config().await;
    shared::http::serve(payment_webhook::PaymentWebhook::from_env(&config).await?).await
}
