//! The cold-start floor: a Lambda function that does nothing, built with the
//! same profile and runtime as ours. Its start-up is what any Rust function
//! pays; the difference to it is our own.
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
