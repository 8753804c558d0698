use crate::adapters::aws::{classify, AwsFailure};
use crate::ports::{Notification, Notifier, NotifyError};
use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

/// Sends mail through SES (the v1 API: LocalStack's free build records what
/// it sends, which the integration tests read).
pub struct SesNotifier {
    client: aws_sdk_ses::Client,
    sender: String,
}

impl SesNotifier {
    pub fn new(client: aws_sdk_ses::Client, sender: String) -> Self {
        SesNotifier { client, sender }
    }
}

fn text(data: &str) -> Result<Content, NotifyError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| NotifyError::Rejected(e.to_string()))
}

#[async_trait]
impl Notifier for SesNotifier {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let message = Message::builder()
            .subject(text(&notification.subject)?)
            .body(Body::builder().text(text(&notification.body)?).build())
            .build();
        let result = self
            .client
            .send_email()
            .source(&self.sender)
            .destination(
                Destination::builder()
                    .to_addresses(&notification.to)
                    .build(),
            )
            .message(message)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(match classify(e) {
                AwsFailure::Transient(message) => NotifyError::Transient(message),
                AwsFailure::Rejected { message, .. } => NotifyError::Rejected(message),
            }),
        }
    }
}
