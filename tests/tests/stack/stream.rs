//! The live order-status stream on the local stack: its function URL
//! (LocalStack delivers a streaming function's output whole, when the
//! function ends), read for a real order.

use integration_tests::Stack;
use reqwest::StatusCode;
use serde_json::Value;

/// GETs `<stream url>orders/{id}/events`; (status, body).
async fn stream(
    stack: &Stack,
    order_id: &str,
    token: &str,
    last_event_id: Option<&str>,
) -> (StatusCode, String) {
    let base = stack.output("OrderStreamUrl").to_string();
    let url = reqwest::Url::parse(&base).expect("a URL");
    // LocalStack routes function URLs by host (<id>.lambda-url.<region>.localhost).
    let host = url.host_str().unwrap().to_string();
    let client = reqwest::Client::builder()
        .resolve(&host, ([127, 0, 0, 1], url.port().unwrap_or(4566)).into())
        .build()
        .unwrap();
    let mut request = client
        .get(format!("{base}orders/{order_id}/events"))
        .bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.expect("the stream answers");
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// (id, status) of the status events, and the end's reason.
fn events(body: &str) -> (Vec<(usize, String)>, Option<String>) {
    let mut statuses = Vec::new();
    let mut end = None;
    for frame in body.split("\n\n") {
        let field = |name: &str| {
            frame
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .map(str::to_string)
        };
        let data = field("data").and_then(|d| serde_json::from_str::<Value>(&d).ok());
        match (field("event").as_deref(), data) {
            (Some("status"), Some(data)) => statuses.push((
                field("id").unwrap().parse().unwrap(),
                data["status"].as_str().unwrap().to_string(),
            )),
            (Some("end"), Some(data)) => end = data["reason"].as_str().map(str::to_string),
            _ => {}
        }
    }
    (statuses, end)
}

#[tokio::test]
#[ignore = "needs the LocalStack stack (scripts/test.sh)"]
async fn the_stream_follows_a_real_order_to_delivered_and_resumes_with_last_event_id() {
    let stack = Stack::load().await;
    let (token, _, _) = stack.new_customer().await;
    let product = stack.new_product(4, 19.0).await;
    let (status, placed) = stack
        .place_order(&token, &[(&product, 1)], "94102", "tok_visa")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let id = placed["id"].as_str().unwrap().to_string();

    // Watched from the start: the function ends at delivered.
    let (status, body) = stream(&stack, &id, &token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (statuses, end) = events(&body);
    assert_eq!(end.as_deref(), Some("final"), "{body}");
    let order = stack.order(&token, &id).await;
    let timeline = integration_tests::timeline(&order);
    assert_eq!(order["state"], "delivered");
    let streamed: Vec<String> = statuses.iter().map(|(_, s)| s.clone()).collect();
    assert_eq!(streamed, timeline, "the frames are the timeline, in order");
    let ids: Vec<usize> = statuses.iter().map(|(i, _)| *i).collect();
    assert_eq!(ids, (0..timeline.len()).collect::<Vec<_>>());

    // A page that had the first four entries resumes after them.
    let (status, body) = stream(&stack, &id, &token, Some("3")).await;
    assert_eq!(status, StatusCode::OK);
    let (resumed, end) = events(&body);
    assert_eq!(resumed.first().map(|(i, _)| *i), Some(4));
    assert_eq!(resumed.len(), timeline.len() - 4);
    assert_eq!(end.as_deref(), Some("final"));

    // Someone else's order does not exist for them.
    let (other, _, _) = stack.new_unverified_customer().await;
    let (status, _) = stream(&stack, &id, &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
