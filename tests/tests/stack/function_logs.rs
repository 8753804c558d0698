//! What the local Lambda executor writes to CloudWatch Logs: each function's
//! own JSON log lines and the platform's REPORT line with duration and
//! memory, in the log group the template gives the function.

use integration_tests::Stack;
use std::time::{Duration, Instant};

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn every_invocation_reports_duration_and_memory_in_the_functions_log_group() {
    let stack = Stack::load().await;
    // One request, so the catalog function has run at least once.
    let (status, _) = stack.call("GET", "/healthz", None, None, &[]).await;
    assert!(status.is_success());

    let logs = aws_sdk_cloudwatchlogs::Client::new(&stack.aws);
    let stack_name = std::env::var("STACK_NAME").unwrap_or_else(|_| "serverless-store".into());
    let group = format!("/aws/lambda/{stack_name}-catalog");
    let start = Instant::now();
    let report = loop {
        let events = logs
            .filter_log_events()
            .log_group_name(&group)
            .filter_pattern("REPORT")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{group}: {e}"));
        let found = events
            .events()
            .iter()
            .filter_map(|e| e.message())
            .find(|m| m.starts_with("REPORT RequestId:"))
            .map(str::to_string);
        if let Some(line) = found {
            break line;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no REPORT line in {group}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for field in [
        "Duration:",
        "Billed Duration:",
        "Memory Size: 256 MB",
        "Max Memory Used:",
    ] {
        assert!(report.contains(field), "{field} missing from {report:?}");
    }
}
