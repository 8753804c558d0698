use crate::domain::Order;
use crate::ports::{WorkflowError, WorkflowStarter};
use async_trait::async_trait;
use aws_sdk_sfn::error::{DisplayErrorContext, SdkError};
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
            Err(e @ SdkError::ServiceError(_)) => {
                Err(WorkflowError::Rejected(DisplayErrorContext(e).to_string()))
            }
            Err(e) => Err(WorkflowError::Unavailable(
                DisplayErrorContext(e).to_string(),
            )),
        }
    }
}
