#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_tracing();
    let config = shared::adapters::aws::load_config().await;
    shared::step::serve(charge_payment::ChargePayment::from_env(&config).await?).await
}
