//! JSON logs and CloudWatch Embedded Metric Format lines.

use tracing_subscriber::EnvFilter;

/// JSON lines with the fields of every open span (the runtime's `requestId`,
/// our `orderId` and `correlationId`), level from `RUST_LOG` or Lambda's
/// `AWS_LAMBDA_LOG_LEVEL`.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| {
            let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| "info".into());
            EnvFilter::try_new(level.to_lowercase())
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

pub const METRICS_NAMESPACE: &str = "ServerlessStore";

/// Builds one EMF record: CloudWatch turns it into a metric without an API
/// call (and without the latency and cost of one).
pub fn emf_record(
    name: &str,
    value: f64,
    unit: &str,
    dimensions: &[(&str, &str)],
    timestamp_ms: i64,
) -> serde_json::Value {
    let mut record = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": [{ "Name": name, "Unit": unit }]
            }]
        },
        name: value
    });
    for (key, val) in dimensions {
        record[*key] = serde_json::Value::String((*val).to_string());
    }
    record
}

/// Writes a count metric to stdout, where Lambda's log agent picks it up.
pub fn count(name: &str, dimensions: &[(&str, &str)]) {
    let now = chrono::Utc::now().timestamp_millis();
    println!("{}", emf_record(name, 1.0, "Count", dimensions, now));
}

/// Captures this thread's log lines, in the production JSON format, for
/// tests that check what is (and is not) logged.
#[cfg(any(test, feature = "testing"))]
pub mod capture {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    pub struct Logs(Arc<Mutex<Vec<u8>>>);

    impl Logs {
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
        }
    }

    impl Write for Logs {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
        type Writer = Logs;
        fn make_writer(&'a self) -> Logs {
            self.clone()
        }
    }

    /// Starts capturing every level on this thread until the guard drops.
    pub fn start() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_span_list(true)
            .flatten_event(true)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(logs.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_record_names_metric_dimensions_and_value() {
        let record = emf_record(
            "OrderStatusChanged",
            1.0,
            "Count",
            &[("Status", "paid")],
            42,
        );
        assert_eq!(record["_aws"]["Timestamp"], 42);
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], METRICS_NAMESPACE);
        assert_eq!(directive["Dimensions"][0][0], "Status");
        assert_eq!(directive["Metrics"][0]["Name"], "OrderStatusChanged");
        assert_eq!(record["OrderStatusChanged"], 1.0);
        assert_eq!(record["Status"], "paid");
    }
}
