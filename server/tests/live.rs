//! Webhooks in and server-sent events out: signatures, replays, duplicates, unknown events,
//! resume, heartbeats, slow clients and the sandbox's own deliveries.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use minivoice_proxy::{Secret, ServeConfig};
use serde_json::{json, Value};
use standardwebhooks::Webhook;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn proxy_with(adjust: impl FnOnce(&mut ServeConfig)) -> minivoice_proxy::Running {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.webhook_secret = Some(Secret::new(SECRET));
    adjust(&mut cfg);
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Posts a webhook signed with `secret` at `ts`, under `id`.
async fn deliver(
    proxy: SocketAddr,
    id: &str,
    ts: i64,
    body: &str,
    secret: &str,
) -> (u16, Duration) {
    let sig = Webhook::new(secret)
        .unwrap()
        .sign(id, ts, body.as_bytes())
        .unwrap();
    let t = Instant::now();
    let resp = reqwest::Client::new()
        .post(format!("http://{proxy}/webhooks/minivoice"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), t.elapsed())
}

fn completed(call_id: &str) -> String {
    let mut v: Value = serde_json::from_str(fixture("webhook.call_completed.json")).unwrap();
    v["call"]["id"] = json!(call_id);
    v.to_string()
}

fn recording_event(call_id: &str, rec_id: &str, pad: usize) -> String {
    json!({
        "event": "recording.stopped",
        "created_at": "2026-05-29T12:10:00Z",
        "call": {"id": call_id, "status": "in_progress"},
        "recording": {"id": rec_id, "status": "stopped", "duration_seconds": 7,
                      "size_bytes": 112000, "pad": "x".repeat(pad)}
    })
    .to_string()
}

/// A minimal SSE reader over a streaming response.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

#[derive(Debug)]
struct Sse {
    id: Option<String>,
    event: String,
    data: String,
}

impl Events {
    async fn open(
        proxy: SocketAddr,
        call_id: &str,
        last_id: Option<&str>,
        token: Option<&str>,
    ) -> Events {
        let mut url = format!("http://{proxy}/api/calls/{call_id}/events");
        if let Some(t) = token {
            url.push_str(&format!("?access_token={t}"));
        }
        let mut req = reqwest::Client::new().get(url);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        Events {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), within a deadline.
    async fn next(&mut self) -> Sse {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut e = Sse {
                    id: None,
                    event: "message".into(),
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        e.id = Some(v.trim().into());
                        any = true;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        e.event = v.trim().into();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        e.data.push_str(v.trim());
                        any = true;
                    }
                }
                if any {
                    return e;
                }
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = tokio::time::timeout(left, self.resp.chunk())
                .await
                .expect("no event within the deadline")
                .unwrap()
                .expect("stream ended");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Raw text received within `window`, comments included.
    async fn raw_for(&mut self, window: Duration) -> String {
        let until = Instant::now() + window;
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout(
            until.saturating_duration_since(Instant::now()),
            self.resp.chunk(),
        )
        .await
        {
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
        std::mem::take(&mut self.buf)
    }
}

async fn call_status(proxy: SocketAddr, call_id: &str) -> Value {
    call(
        proxy,
        "GET",
        &format!("/api/calls/{call_id}/status"),
        None,
        "",
    )
    .await
    .json()["data"]["status"]
        .clone()
}

#[tokio::test]
async fn a_signed_call_completed_is_accepted_fast_and_reaches_store_and_stream() {
    let p = proxy_with(|_| {}).await;
    let mut events = Events::open(p.addr, "call_wh", None, None).await;
    assert_eq!(call_status(p.addr, "call_wh").await, Value::Null);
    let (status, took) = deliver(p.addr, "msg_1", now(), &completed("call_wh"), SECRET).await;
    assert_eq!(status, 202);
    assert!(took < Duration::from_millis(200), "answered in {took:?}");
    let e = events.next().await;
    assert_eq!(e.event, "call");
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(
        data,
        json!({"type": "call", "call_id": "call_wh", "status": "completed"})
    );
    assert_eq!(call_status(p.addr, "call_wh").await, "completed");
}

#[tokio::test]
async fn forged_unsigned_and_replayed_webhooks_are_refused_and_change_nothing() {
    let p = proxy_with(|_| {}).await;
    let body = completed("call_forged");
    let other = "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==";
    assert_eq!(deliver(p.addr, "msg_f", now(), &body, other).await.0, 401);
    assert_eq!(
        deliver(p.addr, "msg_r", now() - 10 * 60, &body, SECRET)
            .await
            .0,
        401
    );
    assert_eq!(
        deliver(p.addr, "msg_future", now() + 10 * 60, &body, SECRET)
            .await
            .0,
        401
    );
    let unsigned = reqwest::Client::new()
        .post(format!("http://{}/webhooks/minivoice", p.addr))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let code = unsigned.json::<Value>().await.unwrap()["error"]["code"].clone();
    assert_eq!(code, "invalid_signature");
    // A body changed after signing fails too.
    let sig = Webhook::new(SECRET)
        .unwrap()
        .sign("msg_t", now(), body.as_bytes())
        .unwrap();
    let tampered = reqwest::Client::new()
        .post(format!("http://{}/webhooks/minivoice", p.addr))
        .header("webhook-id", "msg_t")
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", sig)
        .body(completed("call_other"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    tokio::time::sleep(Duration::from_millis(100)).await; // let any wrongly queued work run
    assert_eq!(call_status(p.addr, "call_forged").await, Value::Null);
    assert_eq!(call_status(p.addr, "call_other").await, Value::Null);
}

#[tokio::test]
async fn duplicates_are_processed_once_and_unknown_events_ignored() {
    let p = proxy_with(|_| {}).await;
    let mut events = Events::open(p.addr, "call_dup", None, None).await;
    let rec = recording_event("call_dup", "rec_dup", 0);
    assert_eq!(deliver(p.addr, "msg_d", now(), &rec, SECRET).await.0, 202);
    assert_eq!(deliver(p.addr, "msg_d", now(), &rec, SECRET).await.0, 200);
    let unknown = json!({"event": "call.transferred", "created_at": "2026-05-29T12:10:00Z",
                         "call": {"id": "call_dup", "status": "transferred"}})
    .to_string();
    assert_eq!(
        deliver(p.addr, "msg_u", now(), &unknown, SECRET).await.0,
        202
    );
    assert_eq!(
        deliver(p.addr, "msg_c", now(), &completed("call_dup"), SECRET)
            .await
            .0,
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
    assert_eq!(call_status(p.addr, "call_dup").await, "completed");
}

#[tokio::test]
async fn verified_deliveries_are_acknowledged_whatever_their_shape() {
    let p = proxy_with(|_| {}).await;
    // A sender stops retrying on a 4xx: a verified delivery must never get one for its shape.
    let minimal = json!({"event": "call.completed", "call": {"id": "call_min"}}).to_string();
    assert_eq!(
        deliver(p.addr, "msg_min", now(), &minimal, SECRET).await.0,
        202
    );
    let unknown = json!({"event": "ai.summary.ready", "call": {"id": "call_min"}}).to_string();
    assert_eq!(
        deliver(p.addr, "msg_unk", now(), &unknown, SECRET).await.0,
        202
    );
    assert_eq!(
        deliver(p.addr, "msg_m", now(), "{\"event\":", SECRET)
            .await
            .0,
        202
    );
    assert_eq!(
        deliver(p.addr, "msg_m2", now(), "[1,2]", SECRET).await.0,
        202
    );
    let status = wait_for_status(p.addr, "call_min").await;
    assert_eq!(
        status, "completed",
        "the minimal call.completed still completes the call"
    );
    let big = recording_event("call_big", "rec_big", 100 * 1024);
    assert_eq!(deliver(p.addr, "msg_b", now(), &big, SECRET).await.0, 413);
}

/// The call's status once the worker has processed what was delivered.
async fn wait_for_status(proxy: SocketAddr, call_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = call_status(proxy, call_id).await;
        if !status.is_null() || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn header_names_are_configurable() {
    let p = proxy_with(|c| {
        c.webhook_id_header = "x-mv-id".parse().unwrap();
        c.webhook_timestamp_header = "x-mv-ts".parse().unwrap();
        c.webhook_signature_header = "x-mv-sig".parse().unwrap();
    })
    .await;
    let body = completed("call_hdr");
    let ts = now();
    let sig = Webhook::new(SECRET)
        .unwrap()
        .sign("m1", ts, body.as_bytes())
        .unwrap();
    let resp = reqwest::Client::new()
        .post(format!("http://{}/webhooks/minivoice", p.addr))
        .header("x-mv-id", "m1")
        .header("x-mv-ts", ts.to_string())
        .header("x-mv-sig", sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    // The standard names alone no longer verify.
    assert_eq!(deliver(p.addr, "m2", now(), &body, SECRET).await.0, 401);
}

#[tokio::test]
async fn streams_resume_from_last_event_id_and_send_heartbeats() {
    let p = proxy_with(|c| c.sse_heartbeat_ms = 100).await;
    let mut events = Events::open(p.addr, "call_res", None, None).await;
    deliver(
        p.addr,
        "r1",
        now(),
        &recording_event("call_res", "rec_1", 0),
        SECRET,
    )
    .await;
    deliver(
        p.addr,
        "r2",
        now(),
        &recording_event("call_res", "rec_2", 0),
        SECRET,
    )
    .await;
    let e1 = events.next().await;
    let e2 = events.next().await;
    assert!(e1.data.contains("rec_1") && e2.data.contains("rec_2"));
    let raw = events.raw_for(Duration::from_millis(450)).await;
    assert!(
        raw.matches(':').count() >= 2,
        "heartbeat comments expected, got {raw:?}"
    );
    // A client that lost its connection after e1 gets e2 again, then what is new.
    let mut resumed = Events::open(p.addr, "call_res", e1.id.as_deref(), None).await;
    let again = resumed.next().await;
    assert_eq!(again.id, e2.id);
    // One too old to fill is told to resync.
    let mut stale = Events::open(p.addr, "call_res", Some("1"), None).await;
    assert_eq!(stale.next().await.event, "resync");
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_slow_the_others() {
    let p = proxy_with(|_| {}).await;
    // Opened and never read from again.
    let mut stuck = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    use tokio::io::AsyncWriteExt;
    stuck
        .write_all(b"GET /api/calls/call_slow/events HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut reader = Events::open(p.addr, "call_slow", None, None).await;
    // ~3 MB of events: far more than socket buffers hold for the stuck client.
    let t = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..300 {
        let (status, took) = deliver(
            p.addr,
            &format!("s{i}"),
            now(),
            &recording_event("call_slow", &format!("rec_{i}"), 10_000),
            SECRET,
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
async fn event_streams_follow_the_token_rules() {
    let secret = "live-test-secret-0123456789abcdef-012345";
    let p = proxy_with(|c| c.token_secret.secret = Some(Secret::new(secret))).await;
    let keys = minivoice_proxy::auth::TokenKeys::new(&Secret::new(secret)).unwrap();
    let alice = keys.mint("alice", &["call_tok".into()], Duration::from_secs(60));
    let none = reqwest::get(format!("http://{}/api/calls/call_tok/events", p.addr))
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let other = reqwest::get(format!(
        "http://{}/api/calls/call_x/events?access_token={alice}",
        p.addr
    ))
    .await
    .unwrap();
    assert_eq!(other.status(), 403);
    // The query token is for the event stream only.
    let list = reqwest::get(format!(
        "http://{}/api/calls/call_tok/recordings?access_token={alice}",
        p.addr
    ))
    .await
    .unwrap();
    assert_eq!(list.status(), 401);
    let mut ok = Events::open(p.addr, "call_tok", None, Some(&alice)).await;
    deliver(p.addr, "t1", now(), &completed("call_tok"), SECRET).await;
    assert_eq!(ok.next().await.event, "call");
}

#[tokio::test]
async fn without_room_for_streams_the_answer_says_poll() {
    let p = proxy_with(|c| c.max_event_streams = 0).await;
    let a = call(p.addr, "GET", "/api/calls/c/events", None, "").await;
    assert_eq!((a.status, a.code().as_str()), (503, "events_unavailable"));
}

#[tokio::test]
async fn the_sandbox_delivers_signed_webhooks_to_the_proxy() {
    // No key and no secret: sandbox mode makes both, and signs its deliveries.
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.webhook_secret = None;
    let p = minivoice_proxy::start(cfg, std::future::pending())
        .await
        .unwrap();
    let mut events = Events::open(p.addr, "call_sb", None, None).await;
    assert_eq!(post_action(p.addr, "call_sb", "start").await.status, 200);
    // Our own publish, then the sandbox's webhook for the same change.
    for _ in 0..2 {
        let e = events.next().await;
        assert_eq!(e.event, "recording");
        assert!(e.data.contains("\"started\""), "{}", e.data);
    }
    let hangup = reqwest::Client::new()
        .post(format!(
            "http://{}/v1/calls/call_sb/hangup",
            p.sandbox_addr.unwrap()
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
    assert_eq!(call_status(p.addr, "call_sb").await, "completed");
    let refused = post_action(p.addr, "call_sb", "start").await;
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (409, "call_not_active")
    );
}
