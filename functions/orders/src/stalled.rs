//! Orders stored as `new` whose workflow never started. The orders function
//! stores the order, then starts its execution; if it dies in between (its
//! timeout under load, a crash) and the client never retries with its
//! Idempotency-Key, the order would wait forever. A schedule runs this every
//! few minutes. Starting is idempotent (the execution is named after the
//! order), so an order whose start was only late is not started twice.

use chrono::Duration;
use serde::Serialize;
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::DynamoOrderStore;
use shared::adapters::stepfunctions::StepFunctionsStarter;
use shared::adapters::SystemClock;
use shared::domain::OrderStatus;
use shared::ports::{Clock, OrderStore, StoreError, WorkflowStarter};
use shared::telemetry;
use std::sync::Arc;
use tracing::Instrument;

/// Older than any request can still be working on: the orders function
/// times out after 15 s, API Gateway after 29 s.
pub const STALLED_AFTER: Duration = Duration::minutes(2);
/// Orders per run; the next run takes the rest.
const PER_RUN: usize = 100;

pub struct StalledOrders {
    pub orders: Arc<dyn OrderStore>,
    pub workflow: Arc<dyn WorkflowStarter>,
    pub clock: Arc<dyn Clock>,
}

/// What one run did, by order id.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub started: Vec<String>,
    /// Left for the next run.
    pub not_started: Vec<String>,
}

impl StalledOrders {
    pub fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(StalledOrders {
            orders: Arc::new(DynamoOrderStore::new(
                aws::dynamodb(config),
                aws::env_required("ORDERS_TABLE")?,
            )),
            workflow: Arc::new(StepFunctionsStarter::new(
                aws::stepfunctions(config),
                aws::env_required("STATE_MACHINE_ARN")?,
            )),
            clock: Arc::new(SystemClock),
        })
    }

    pub async fn start_stalled(&self) -> Result<SweepReport, StoreError> {
        let placed_before = self.clock.now() - STALLED_AFTER;
        let stalled = self
            .orders
            .list_created_before(OrderStatus::New, placed_before, PER_RUN)
            .await?;
        let mut report = SweepReport::default();
        // A flagged order's execution ran and stopped for an operator.
        for order in stalled.into_iter().filter(|o| !o.needs_attention) {
            let span = tracing::info_span!(
                "order",
                orderId = %order.id,
                correlationId = %order.correlation_id
            );
            let started = self.workflow.start(&order).instrument(span.clone()).await;
            let _in_order = span.enter(); // no await below
            match started {
                Ok(()) => {
                    tracing::warn!(created_at = %order.created_at, "stalled order: workflow started");
                    telemetry::count("StalledOrderStarted", &[]);
                    report.started.push(order.id);
                }
                Err(e) => {
                    tracing::error!(error = %e, "stalled order: not started, the next run retries");
                    report.not_started.push(order.id);
                }
            }
        }
        Ok(report)
    }
}
