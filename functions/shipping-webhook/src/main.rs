use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init_tracing();
    let config = shared::adapters::aws::load_config().await;
    let service = Arc::new(shipping_webhook::ShippingWebhook::from_env(&config).await?);
    lambda_http::run(lambda_http::service_fn(move |request| {
        let service = service.clone();
        async move { Ok::<_, std::convert::Infallible>(service.handle(request).await) }
    }))
    .await
}
