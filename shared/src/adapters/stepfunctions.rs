use crate::adapters::aws::{classify, AwsFailure};
use crate::domain::Order;
use crate::ports::TaskError;
use crate::ports::{WorkflowError, WorkflowStarter};
use async_trait::async_trait;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;

pub struct StepFunctionsStarter {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl StepFunctionsStarter {
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: String) -> Self {
        StepFunctionsStarter {
            client,
            state_machine_arn,
        }
    }
}

/// The execution input: ids only, the same for every start of one order, so
/// Step Functions treats a repeated start as the same execution.
pub fn execution_input(order: &Order) -> String {
    serde_json::json!({ "orderId": order.id, "correlationId": order.correlation_id }).to_string()
}

#[async_trait]
impl WorkflowStarter for StepFunctionsStarter {
    async fn start(&self, order: &Order) -> Result<(), WorkflowError> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&order.id)
            .input(execution_input(order))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // The order's execution exists already: it was started before.
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), StartExecutionError::ExecutionAlreadyExists(_)) =>
            {
                Ok(())
            }
            Err(e) => Err(match classify(e) {
                AwsFailure::Transient(message) => WorkflowError::Transient(message),
                AwsFailure::Rejected { message, .. } => WorkflowError::Rejected(message),
            }),
        }
    }
}

/// Completes `.waitForTaskToken` tasks.
pub struct StepFunctionsTasks {
    client: aws_sdk_sfn::Client,
}

impl StepFunctionsTasks {
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        StepFunctionsTasks { client }
    }
}

/// A task that no longer waits (timed out, completed, or not ours) is
/// `Gone`; the rest is classified like any AWS error.
fn task_error<E>(err: SdkError<E, aws_sdk_sfn::config::http::HttpResponse>) -> TaskError
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match classify(err) {
        AwsFailure::Transient(message) => TaskError::Transient(message),
        AwsFailure::Rejected {
            code: Some(code),
            message,
        } if matches!(
            code.as_str(),
            "TaskDoesNotExist" | "TaskTimedOut" | "InvalidToken"
        ) =>
        {
            TaskError::Gone(message)
        }
        AwsFailure::Rejected { message, .. } => TaskError::Rejected(message),
    }
}

#[async_trait]
impl crate::ports::TaskCompleter for StepFunctionsTasks {
    async fn succeed(&self, task_token: &str, output: &serde_json::Value) -> Result<(), TaskError> {
        self.client
            .send_task_success()
            .task_token(task_token)
            .output(output.to_string())
            .send()
            .await
            .map_err(task_error)?;
        Ok(())
    }

    async fn fail(&self, task_token: &str, error: &str, cause: &str) -> Result<(), TaskError> {
        self.client
            .send_task_failure()
            .task_token(task_token)
            .error(error)
            .cause(cause)
            .send()
            .await
            .map_err(task_error)?;
        Ok(())
    }
}
