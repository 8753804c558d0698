//! Lifecycle events. Only ids and statuses: no personal data travels on the bus.

use super::{Order, OrderStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const EVENT_SCHEMA_VERSION: u32 = 1;
/// `source` of the events the HTTP API publishes.
pub const ORDERS_API_SOURCE: &str = "store.orders";
/// `source` of the events the state machine publishes.
pub const PIPELINE_SOURCE: &str = "store.order-pipeline";
/// `source` of the events the payment provider's webhook publishes.
pub const PAYMENTS_SOURCE: &str = "store.payments";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleEventKind {
    Created,
    Validated,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
    Failed,
    PaymentRefunded,
    /// The hold on the card was cancelled before anything was captured.
    PaymentVoided,
    InventoryReleased,
    NeedsAttention,
}

impl LifecycleEventKind {
    pub const ALL: [LifecycleEventKind; 11] = [
        Self::Created,
        Self::Validated,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Failed,
        Self::PaymentRefunded,
        Self::PaymentVoided,
        Self::InventoryReleased,
        Self::NeedsAttention,
    ];

    /// The EventBridge `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::Created => "order.created",
            Self::Validated => "order.validated",
            Self::Paid => "order.paid",
            Self::Shipped => "order.shipped",
            Self::Delivered => "order.delivered",
            Self::Cancelled => "order.cancelled",
            Self::Failed => "order.failed",
            Self::PaymentRefunded => "order.payment_refunded",
            Self::PaymentVoided => "order.payment_voided",
            Self::InventoryReleased => "order.inventory_released",
            Self::NeedsAttention => "order.needs_attention",
        }
    }

    pub fn from_detail_type(detail_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.detail_type() == detail_type)
    }
}

/// The `detail` of every lifecycle event (schema: `shared/schemas/order-event.v1.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleEvent {
    pub version: u32,
    pub event_id: String,
    pub order_id: String,
    pub user_id: String,
    pub status: OrderStatus,
    pub occurred_at: DateTime<Utc>,
    pub correlation_id: String,
}

impl LifecycleEvent {
    pub fn for_order(order: &Order, event_id: String, occurred_at: DateTime<Utc>) -> Self {
        LifecycleEvent {
            version: EVENT_SCHEMA_VERSION,
            event_id,
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            status: order.status,
            occurred_at,
            correlation_id: order.correlation_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_types_round_trip() {
        for kind in LifecycleEventKind::ALL {
            assert_eq!(
                LifecycleEventKind::from_detail_type(kind.detail_type()),
                Some(kind)
            );
        }
        assert_eq!(LifecycleEventKind::from_detail_type("order.lost"), None);
    }

    #[test]
    fn detail_carries_ids_only() {
        let event = LifecycleEvent {
            version: EVENT_SCHEMA_VERSION,
            event_id: "e1".into(),
            order_id: "o1".into(),
            user_id: "u1".into(),
            status: OrderStatus::Paid,
            occurred_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            correlation_id: "c1".into(),
        };
        let json = serde_json::to_value(&event).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "correlationId",
                "eventId",
                "occurredAt",
                "orderId",
                "status",
                "userId",
                "version"
            ]
        );
        assert_eq!(json["status"], "paid");
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;
    use serde_json::{json, Value};

    fn validator() -> jsonschema::Validator {
        let schema: Value =
            serde_json::from_str(include_str!("../../schemas/order-event.v1.schema.json")).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the schema compiles")
    }

    fn envelope(source: &str, kind: LifecycleEventKind, status: OrderStatus) -> Value {
        let event = LifecycleEvent {
            version: EVENT_SCHEMA_VERSION,
            event_id: "0193a5b0-7d2c-7000-8000-000000000001".into(),
            order_id: "0193a5b0-7d2c-7000-8000-00000000000a".into(),
            user_id: "0193a5b0-7d2c-7000-8000-00000000000b".into(),
            status,
            occurred_at: "2026-11-21T10:00:00.123Z".parse().unwrap(),
            correlation_id: "corr-1".into(),
        };
        json!({"source": source, "detail-type": kind.detail_type(), "detail": event})
    }

    #[test]
    fn every_event_we_publish_matches_the_schema() {
        use LifecycleEventKind::*;
        let v = validator();
        let published = [
            (ORDERS_API_SOURCE, Created, OrderStatus::New),
            (ORDERS_API_SOURCE, Cancelled, OrderStatus::Cancelled),
            (ORDERS_API_SOURCE, Failed, OrderStatus::Failed),
            (PIPELINE_SOURCE, Validated, OrderStatus::Validated),
            (PIPELINE_SOURCE, Paid, OrderStatus::Paid),
            (PIPELINE_SOURCE, Shipped, OrderStatus::Shipped),
            (PIPELINE_SOURCE, Delivered, OrderStatus::Delivered),
            (PIPELINE_SOURCE, Failed, OrderStatus::Failed),
            (PIPELINE_SOURCE, PaymentRefunded, OrderStatus::Failed),
            (PIPELINE_SOURCE, PaymentVoided, OrderStatus::Failed),
            (PAYMENTS_SOURCE, PaymentRefunded, OrderStatus::Delivered),
            (PAYMENTS_SOURCE, PaymentRefunded, OrderStatus::Shipped),
            (PAYMENTS_SOURCE, PaymentVoided, OrderStatus::Paid),
            (PIPELINE_SOURCE, InventoryReleased, OrderStatus::Cancelled),
            (PIPELINE_SOURCE, NeedsAttention, OrderStatus::Shipped),
        ];
        for (source, kind, status) in published {
            let instance = envelope(source, kind, status);
            let errors: Vec<String> = v.iter_errors(&instance).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", kind.detail_type());
        }
    }

    #[test]
    fn the_schema_refuses_personal_data_wrong_statuses_and_wrong_producers() {
        let v = validator();
        let mut with_email = envelope(PIPELINE_SOURCE, LifecycleEventKind::Paid, OrderStatus::Paid);
        with_email["detail"]["email"] = json!("alice@example.com");
        assert!(!v.is_valid(&with_email), "no personal data in events");

        let wrong_status = envelope(
            PIPELINE_SOURCE,
            LifecycleEventKind::Paid,
            OrderStatus::Shipped,
        );
        assert!(!v.is_valid(&wrong_status));
        let wrong_source = envelope(
            PIPELINE_SOURCE,
            LifecycleEventKind::Created,
            OrderStatus::New,
        );
        assert!(!v.is_valid(&wrong_source));

        let mut bad_time = envelope(
            ORDERS_API_SOURCE,
            LifecycleEventKind::Created,
            OrderStatus::New,
        );
        bad_time["detail"]["occurredAt"] = json!("yesterday");
        assert!(!v.is_valid(&bad_time));
        let mut no_version = envelope(
            ORDERS_API_SOURCE,
            LifecycleEventKind::Created,
            OrderStatus::New,
        );
        no_version["detail"]
            .as_object_mut()
            .unwrap()
            .remove("version");
        assert!(!v.is_valid(&no_version));
    }
}
