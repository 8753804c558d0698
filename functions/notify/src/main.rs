use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_tracing();
    let config = shared::adapters::aws::load_config().await;
    let notify = Arc::new(notify::Notify::from_env(&config)?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let notify = notify.clone();
        async move { Ok::<_, std::convert::Infallible>(notify.handle(event).await) }
    }))
    .await
}
