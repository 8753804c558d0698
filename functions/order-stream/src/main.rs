use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init_tracing();
    let config = shared::adapters::aws::load_config().await;
    let stream = Arc::new(order_stream::OrderStream::from_env(&config).await?);
    lambda_http::run_with_streaming_response(lambda_http::service_fn(move |request| {
        let stream = stream.clone();
        async move { Ok::<_, std::convert::Infallible>(stream.handle(request).await) }
    }))
    .await
}
