//! Over real sockets, on the app as `start` builds it: the route is wired, requests and
//! MiniVoice exchanges are counted.

use super::*;

fn sandbox_config() -> ServeConfig {
    ServeConfig::sandbox_on_loopback("/nonexistent".into())
}

async fn serve(cfg: ServeConfig) -> String {
    let running = crate::start(cfg, std::future::pending()).await.unwrap();
    format!("http://{}", running.addr)
}

async fn scrape(base: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn requests_and_upstream_reads_are_counted() {
    let base = serve(sandbox_config()).await;
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let list = client
        .get(format!("{base}/api/calls/call_metrics/recordings"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let nope = client
        .get(format!("{base}/api/nope/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(nope.status(), 404);

    let resp = scrape(&base, None).await;
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = resp.text().await.unwrap();
    for part in [
        "# TYPE minivoice_http_requests_total counter",
        r#"minivoice_http_requests_total{route="/healthz",method="GET",status="200"}"#,
        r#"minivoice_http_requests_total{route="/api/calls/{call_id}/recordings",method="GET",status="200"}"#,
        // The `/api` fallback too: no route matched, so no path of the caller's in a label.
        r#"minivoice_http_requests_total{route="unmatched",method="GET",status="404"}"#,
        "# TYPE minivoice_upstream_request_duration_seconds histogram",
        r#"minivoice_upstream_request_duration_seconds_count{op="list"}"#,
        r#"minivoice_upstream_operations_total{op="list"}"#,
        // Set as the app is built, so an alert can divide by it from the first scrape.
        "# TYPE minivoice_event_streams_max gauge",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
}

#[tokio::test]
async fn a_set_metrics_token_is_required() {
    let mut cfg = sandbox_config();
    cfg.metrics_token = Some(Secret::new("scrape-token"));
    let base = serve(cfg).await;

    let resp = scrape(&base, None).await;
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["request_id"].is_string(), "{body}");
    assert_eq!(scrape(&base, Some("not-it")).await.status(), 401);

    let resp = scrape(&base, Some("scrape-token")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("minivoice_http_requests_total"));
}

#[tokio::test]
async fn unreachable_minivoice_counts_retries_and_a_failure() {
    let mut cfg = sandbox_config();
    cfg.api_key = Some(Secret::new("sk_test_telemetry"));
    // Port 9 on loopback: nothing listens, so every read is refused and retried.
    cfg.base_url = "http://127.0.0.1:9".into();
    cfg.upstream_timeout_ms = 400;
    let base = serve(cfg).await;
    let resp = reqwest::Client::new()
        .get(format!("{base}/api/calls/call_down/recordings"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);

    let text = scrape(&base, None).await.text().await.unwrap();
    for part in [
        r#"minivoice_upstream_failures_total{kind="unavailable"}"#,
        "minivoice_upstream_retries_total ",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
}
