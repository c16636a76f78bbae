//! Webhooks in and server-sent events out: signatures, replays, duplicates, unknown events,
//! resume, heartbeats, slow clients and the sandbox's own deliveries.

use std::time::{Duration, Instant};

use minivoice_proxy::auth::unix_now;
use serde_json::{json, Value};
use testkit::*;

#[tokio::test]
async fn a_signed_call_completed_is_accepted_fast_and_reaches_store_and_stream() {
    let app = TestApp::receiving_webhooks(|_| {}).await;
    let mut events = app.events("call_wh", None, None).await;
    assert_eq!(app.call_status("call_wh").await, Value::Null);
    let (status, took) = app
        .deliver_at(
            "msg_1",
            unix_now(),
            &documented_call_completed("call_wh"),
            WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(status, 202);
    assert!(took < Duration::from_millis(200), "answered in {took:?}");
    let e = events.next().await;
    assert_eq!(e.event, "call");
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(
        data,
        json!({"type": "call", "call_id": "call_wh", "status": "completed"})
    );
    assert_eq!(app.call_status("call_wh").await, "completed");
}

#[tokio::test]
async fn forged_unsigned_and_replayed_webhooks_are_refused_and_change_nothing() {
    let app = TestApp::receiving_webhooks(|_| {}).await;
    let body = documented_call_completed("call_forged");
    let other = OTHER_WEBHOOK_SECRET;
    let now = unix_now();
    assert_eq!(app.deliver_at("msg_f", now, &body, other).await.0, 401);
    assert_eq!(
        app.deliver_at("msg_r", now - 10 * 60, &body, WEBHOOK_SECRET)
            .await
            .0,
        401
    );
    assert_eq!(
        app.deliver_at("msg_future", now + 10 * 60, &body, WEBHOOK_SECRET)
            .await
            .0,
        401
    );
    let unsigned = app
        .post_webhook(&[("content-type", "application/json".into())], &body)
        .await;
    assert_eq!(unsigned.status(), 401);
    let code = unsigned.json::<Value>().await.unwrap()["error"]["code"].clone();
    assert_eq!(code, "invalid_signature");
    // A body changed after signing fails too.
    let ts = unix_now();
    let tampered = app
        .post_webhook(
            &[
                ("webhook-id", "msg_t".into()),
                ("webhook-timestamp", ts.to_string()),
                (
                    "webhook-signature",
                    sign("msg_t", ts, &body, WEBHOOK_SECRET),
                ),
            ],
            &documented_call_completed("call_other"),
        )
        .await;
    assert_eq!(tampered.status(), 401);
    tokio::time::sleep(Duration::from_millis(100)).await; // let any wrongly queued work run
    assert_eq!(app.call_status("call_forged").await, Value::Null);
    assert_eq!(app.call_status("call_other").await, Value::Null);
}

#[tokio::test]
async fn duplicates_are_processed_once_and_unknown_events_ignored() {
    let app = TestApp::receiving_webhooks(|_| {}).await;
    let mut events = app.events("call_dup", None, None).await;
    let rec = recording_stopped("call_dup", "rec_dup", 0);
    assert_eq!(app.deliver("msg_d", &rec).await, 202);
    assert_eq!(app.deliver("msg_d", &rec).await, 200);
    let unknown = json!({"event": "call.transferred", "created_at": "2026-05-29T12:10:00Z",
                         "call": {"id": "call_dup", "status": "transferred"}})
    .to_string();
    assert_eq!(app.deliver("msg_u", &unknown).await, 202);
    assert_eq!(
        app.deliver("msg_c", &documented_call_completed("call_dup"))
            .await,
        202
    );
    let first = events.next().await;
    assert_eq!(first.event, "recording");
    assert!(first.data.contains("rec_dup"));
    let second = events.next().await;
    assert_eq!(
        second.event, "call",
        "the duplicate and the unknown event produced nothing"
    );
    assert_eq!(app.call_status("call_dup").await, "completed");
}

#[tokio::test]
async fn verified_deliveries_are_acknowledged_whatever_their_shape() {
    let app = TestApp::receiving_webhooks(|_| {}).await;
    // A sender stops retrying on a 4xx: a verified delivery must never get one for its shape.
    let minimal = json!({"event": "call.completed", "call": {"id": "call_min"}}).to_string();
    assert_eq!(app.deliver("msg_min", &minimal).await, 202);
    let unknown = json!({"event": "ai.summary.ready", "call": {"id": "call_min"}}).to_string();
    assert_eq!(app.deliver("msg_unk", &unknown).await, 202);
    assert_eq!(app.deliver("msg_m", "{\"event\":").await, 202);
    assert_eq!(app.deliver("msg_m2", "[1,2]").await, 202);
    // Once the worker has processed what was delivered, the call has a status.
    wait_until(
        "call_min to have a status",
        Duration::from_secs(5),
        || async { !app.call_status("call_min").await.is_null() },
    )
    .await;
    assert_eq!(
        app.call_status("call_min").await,
        "completed",
        "the minimal call.completed still completes the call"
    );
    let big = recording_stopped("call_big", "rec_big", 100 * 1024);
    assert_eq!(app.deliver("msg_b", &big).await, 413);
}

#[tokio::test]
async fn header_names_are_configurable() {
    let app = TestApp::receiving_webhooks(|c| {
        c.webhook_id_header = "x-mv-id".parse().unwrap();
        c.webhook_timestamp_header = "x-mv-ts".parse().unwrap();
        c.webhook_signature_header = "x-mv-sig".parse().unwrap();
    })
    .await;
    let body = documented_call_completed("call_hdr");
    let ts = unix_now();
    let resp = app
        .post_webhook(
            &[
                ("x-mv-id", "m1".into()),
                ("x-mv-ts", ts.to_string()),
                ("x-mv-sig", sign("m1", ts, &body, WEBHOOK_SECRET)),
            ],
            &body,
        )
        .await;
    assert_eq!(resp.status(), 202);
    // The standard names alone no longer verify.
    assert_eq!(app.deliver("m2", &body).await, 401);
}

#[tokio::test]
async fn streams_resume_from_last_event_id_and_send_heartbeats() {
    // The shortest heartbeat allowed (SSE_HEARTBEAT_MS is at least 1 s).
    let app = TestApp::receiving_webhooks(|c| c.sse_heartbeat_ms = 1_000).await;
    let mut events = app.events("call_res", None, None).await;
    app.deliver("r1", &recording_stopped("call_res", "rec_1", 0))
        .await;
    app.deliver("r2", &recording_stopped("call_res", "rec_2", 0))
        .await;
    let e1 = events.next().await;
    let e2 = events.next().await;
    assert!(e1.data.contains("rec_1") && e2.data.contains("rec_2"));
    // Heartbeats are comments, which the event parser drops: counted on a raw stream.
    let raw = app
        .raw_events_for("call_res", Duration::from_millis(2_600))
        .await;
    assert!(
        comment_lines(&raw) >= 2,
        "heartbeat comments expected, got {raw:?}"
    );
    // A client that lost its connection after e1 gets e2 again, then what is new.
    let mut resumed = app.events("call_res", Some(&e1.id), None).await;
    let again = resumed.next().await;
    assert_eq!(again.id, e2.id);
    // Event IDs are the call's own sequence (1, 2, …, kept in the store): one that was never
    // issued (another deployment's, or a client's garbage) cannot be filled and is told to
    // resync; gaps too long or too old are covered by the hub's and the store's unit tests.
    let mut stale = app.events("call_res", Some("999"), None).await;
    assert_eq!(stale.next().await.event, "resync");
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_slow_the_others() {
    let app = TestApp::receiving_webhooks(|_| {}).await;
    // Opened and never read from again.
    let stuck = raw_connection(
        app.addr,
        b"GET /api/calls/call_slow/events HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    let mut reader = app.events("call_slow", None, None).await;
    // ~3 MB of events: far more than socket buffers hold for the stuck client.
    let t = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..300 {
        let (status, took) = app
            .deliver_at(
                &format!("s{i}"),
                unix_now(),
                &recording_stopped("call_slow", &format!("rec_{i}"), 10_000),
                WEBHOOK_SECRET,
            )
            .await;
        assert_eq!(status, 202);
        slowest = slowest.max(took);
        // The reader keeps up; the stuck client's backlog is its own problem.
        let e = reader.next().await;
        assert!(
            e.data.contains(&format!("\"rec_{i}\"")) || e.event == "resync",
            "event {i}: {}",
            &e.data[..e.data.len().min(80)]
        );
    }
    assert!(
        slowest < Duration::from_millis(500),
        "a webhook took {slowest:?}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    drop(stuck);
}

#[tokio::test]
async fn a_stream_that_fell_behind_is_told_to_resync_and_never_skips_an_event_silently() {
    use tokio::io::AsyncReadExt;
    let app = TestApp::receiving_webhooks(|_| {}).await;
    // Opened and not read while ~20 MB of events arrive: far more than the socket buffers and
    // the call's channel hold, so this stream falls behind.
    let mut slow = raw_connection(
        app.addr,
        b"GET /api/calls/call_lag/events HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    // Read as they come, so each is published before the next is sent (and in order).
    let mut reader = app.events("call_lag", None, None).await;
    const EVENTS: usize = 400;
    for i in 0..EVENTS {
        let body = recording_stopped("call_lag", &format!("rec_{i}"), 50_000);
        assert_eq!(app.deliver(&format!("lag{i}"), &body).await, 202);
        assert!(reader.next().await.data.contains(&format!("\"rec_{i}\"")));
    }
    // Now it reads, up to the last event (the call's sequence starts at 1).
    let last = format!("\nid: {EVENTS}\n");
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    while !String::from_utf8_lossy(&raw[raw.len().saturating_sub(200_000)..]).contains(&last) {
        let n = tokio::time::timeout(Duration::from_secs(10), slow.read(&mut buf))
            .await
            .expect("the stream goes on")
            .unwrap();
        assert!(n > 0, "the stream ended");
        raw.extend_from_slice(&buf[..n]);
    }
    // Every event it was sent follows the one before, unless a resync came between.
    let text = String::from_utf8_lossy(&raw);
    let (mut previous, mut resyncs) = (0u64, 0);
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if line == "event: resync" {
            resyncs += 1;
            previous = 0;
        } else if let Some(id) = line.strip_prefix("id: ") {
            let id: u64 = id.parse().unwrap();
            assert!(
                previous == 0 || id == previous + 1,
                "event {id} after {previous} without a resync between"
            );
            previous = id;
        }
    }
    assert!(resyncs >= 1, "the stream never fell behind: send more");
    assert_eq!(previous, EVENTS as u64, "the newest event comes last");
}

#[tokio::test]
async fn event_streams_follow_the_token_rules() {
    let app = TestApp::receiving_webhooks(require_tokens).await;
    let alice = token_for("alice", &["call_tok"], Duration::from_secs(60));
    let none = app.open_events("call_tok", None, None).await;
    assert_eq!(none.status(), 401);
    let other = app.open_events("call_x", None, Some(&alice)).await;
    assert_eq!(other.status(), 403);
    // The query token is for the event stream only.
    let list = app
        .get(&format!(
            "/api/calls/call_tok/recordings?access_token={alice}"
        ))
        .await;
    assert_eq!(list.status, 401);
    let mut ok = app.events("call_tok", None, Some(&alice)).await;
    app.deliver("t1", &documented_call_completed("call_tok"))
        .await;
    assert_eq!(ok.next().await.event, "call");
}

#[tokio::test]
async fn without_room_for_streams_the_answer_says_poll() {
    let app = TestApp::receiving_webhooks(|c| c.max_event_streams = 0).await;
    let a = app.get("/api/calls/c/events").await;
    assert_eq!((a.status, a.code().as_str()), (503, "events_unavailable"));
}

#[tokio::test]
async fn the_sandbox_delivers_signed_webhooks_to_the_proxy() {
    // No key and no secret: sandbox mode makes both, and signs its deliveries.
    let app = TestApp::sandbox().await;
    let mut events = app.events("call_sb", None, None).await;
    assert_eq!(app.post_action("call_sb", "start").await.status, 200);
    // Our own publish, then the sandbox's webhook for the same change.
    for _ in 0..2 {
        let e = events.next().await;
        assert_eq!(e.event, "recording");
        assert!(e.data.contains("\"started\""), "{}", e.data);
    }
    let hangup = app
        .client
        .post(format!(
            "http://{}/v1/calls/call_sb/hangup",
            app.sandbox_addr.unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(hangup.status(), 200);
    let stopped = events.next().await;
    assert_eq!(stopped.event, "recording");
    assert!(stopped.data.contains("\"stopped\""), "{}", stopped.data);
    let done = events.next().await;
    assert_eq!(done.event, "call");
    assert_eq!(app.call_status("call_sb").await, "completed");
    let refused = app.post_action("call_sb", "start").await;
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (409, "call_not_active")
    );
}
