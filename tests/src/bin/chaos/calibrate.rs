//! Each operation alone, before the load, measured: an action (one widget watching its call),
//! a webhook, a stream resume, a widget's refresh; less what the idle replicas cost in the
//! same time.

use std::time::Duration;

use futures_util::StreamExt;

use crate::report::wait_for;
use crate::statements::{Cost, Meter, Sample};
use crate::{Deployment, PREFIX, WEBHOOK_SECRET};

/// How long the idle background is measured.
const IDLE: Duration = Duration::from_secs(5);

pub async fn run(d: &Deployment, client: &reqwest::Client, ops: usize) -> Vec<Cost> {
    eprintln!("chaos: calibrating what each operation costs ({ops} of each)");
    let meter = Meter::start(d);
    tokio::time::sleep(IDLE).await;
    let idle = meter.read(d);
    eprintln!(
        "chaos: idle, the replicas issue {:.1} statements/s between them",
        idle.statements() / idle.seconds
    );

    let call = format!("{PREFIX}_cal_a");
    let token = d.token("chaos-calibration", Some(&call));
    let events = format!("{}/api/calls/{call}/events?access_token={token}", d.base());
    // A widget watching the call, as there is when an agent acts.
    let watching = client.get(&events).send().await.expect("a stream");
    assert!(
        watching.status().is_success(),
        "stream: {}",
        watching.status()
    );
    let meter = Meter::start(d);
    for k in 0..ops {
        let action = ["start", "pause", "resume", "stop"][k % 4];
        let (url, body) = match action {
            "start" | "stop" => (
                format!("{}/api/calls/{call}/recordings", d.base()),
                format!(r#"{{"action":"{action}"}}"#),
            ),
            _ => (
                format!("{}/api/calls/{call}/{action}", d.base()),
                String::new(),
            ),
        };
        let status = client
            .post(url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("idempotency-key", format!("cal-{k}"))
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(200), "calibration {action} {k}");
    }
    let actions = Cost::of(
        "action (start, pause, resume, stop; one widget watching)",
        ops,
        &meter.read(d),
        &idle,
    );
    drop(watching);

    let meter = Meter::start(d);
    for k in 0..ops {
        let body = serde_json::json!({
            "event": "recording.stopped",
            "call": {"id": format!("{PREFIX}_cal_w"), "status": "in_progress"},
            "recording": {"id": format!("rec_cal_{k}"), "status": "stopped",
                          "duration_seconds": 1, "size_bytes": 16000}
        });
        let status = minivoice_e2e::send_webhook(
            client,
            d.nginx.addr,
            WEBHOOK_SECRET,
            &format!("msg_cal_{k}"),
            body.to_string(),
        )
        .await;
        assert!(status.is_success(), "calibration webhook {k}: {status}");
    }
    let cluster = &d.cluster;
    wait_for(
        "the calibration's webhooks",
        Duration::from_secs(30),
        || {
            cluster
                .sql("SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL")
                .trim()
                == "0"
        },
    )
    .await;
    let webhooks = Cost::of(
        "webhook (verified, stored, acknowledged, processed, published)",
        ops,
        &meter.read(d),
        &idle,
    );

    // Resumes from five events back: the backlog is read from the store.
    let last = ops as u64;
    let meter = Meter::start(d);
    for _ in 0..ops {
        let resp = client
            .get(&events)
            .header("last-event-id", (last - 5).to_string())
            .send()
            .await
            .expect("a resumed stream");
        let mut body = resp.bytes_stream();
        let mut text = String::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            while text.matches("id:").count() < 5 {
                match body.next().await {
                    Some(Ok(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => break,
                }
            }
        })
        .await;
        assert!(read.is_ok(), "a resume replayed its backlog");
    }
    let resumes = Cost::of(
        "stream resume (Last-Event-ID, 5 events replayed)",
        ops,
        &meter.read(d),
        &idle,
    );
    // What a widget reads when it hears an event: the list (MiniVoice's), the call's state and
    // its story.
    let meter = Meter::start(d);
    for _ in 0..ops {
        for what in ["recordings", "status", "timeline"] {
            let status = client
                .get(format!("{}/api/calls/{call}/{what}", d.base()))
                .bearer_auth(&token)
                .send()
                .await
                .map(|r| r.status().as_u16());
            assert_eq!(status.ok(), Some(200), "calibration {what}");
        }
    }
    let refreshes = Cost::of(
        "widget refresh (list, status, timeline)",
        ops,
        &meter.read(d),
        &idle,
    );
    let background = Cost::of(
        "idle, per second (both replicas)",
        idle.seconds.round() as usize,
        &idle,
        &Sample::default(),
    );
    vec![actions, webhooks, resumes, refreshes, background]
}
