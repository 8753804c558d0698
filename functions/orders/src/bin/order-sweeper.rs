//! Scheduled: starts the workflow of orders left `new` (orders::stalled).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_tracing();
    let config = shared::adapters::aws::load_config().await;
    let sweeper = std::sync::Arc::new(orders::stalled::StalledOrders::from_env(&config)?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let sweeper = sweeper.clone();
            // A store error fails the run; the schedule runs it again.
            async move {
                sweeper
                    .start_stalled()
                    .await
                    .map_err(lambda_runtime::Error::from)
            }
        },
    ))
    .await
}
