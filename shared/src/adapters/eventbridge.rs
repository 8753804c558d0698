use crate::adapters::aws::{classify, AwsFailure};
use crate::domain::{LifecycleEvent, LifecycleEventKind};
use crate::ports::{EventPublisher, PublishError};
use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
    source: String,
}

impl EventBridgePublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: String, source: &str) -> Self {
        EventBridgePublisher {
            client,
            bus_name,
            source: source.to_string(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(
        &self,
        kind: LifecycleEventKind,
        event: &LifecycleEvent,
    ) -> Result<(), PublishError> {
        let detail =
            serde_json::to_string(event).map_err(|e| PublishError::Rejected(e.to_string()))?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(&self.source)
            .detail_type(kind.detail_type())
            .detail(detail)
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| match classify(e) {
                AwsFailure::Transient(message) => PublishError::Transient(message),
                AwsFailure::Rejected { message, .. } => PublishError::Rejected(message),
            })?;
        if output.failed_entry_count() > 0 {
            let reason = output
                .entries()
                .iter()
                .filter_map(|e| e.error_message())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(PublishError::Rejected(reason));
        }
        Ok(())
    }
}
