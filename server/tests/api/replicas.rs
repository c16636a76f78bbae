//! Several replicas acting as one service: proxy processes sharing one PostgreSQL database
//! (`TEST_DATABASE_URL`, which `cargo xtask test` starts), each test on a fresh database.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use testkit::*;
use tokio::io::AsyncWriteExt;

async fn replica(database_url: &str, upstream: &str) -> Proxy {
    replica_with(database_url, upstream, &[]).await
}

/// [`replica`] with more of the environment.
async fn replica_with(database_url: &str, upstream: &str, more: &[(&str, String)]) -> Proxy {
    let mut env = replica_env(database_url, upstream);
    env.extend_from_slice(more);
    Proxy::launch(&[], &env).await
}

/// Two replicas on one fresh database, in front of `script`.
async fn pair(script: Script) -> (Proxy, Proxy, Fake) {
    let fake = Fake::start(script).await;
    let db = required_test_database().await;
    let a = replica(&db, &fake.base_url()).await;
    let b = replica(&db, &fake.base_url()).await;
    (a, b, fake)
}

#[tokio::test]
async fn a_start_through_one_replica_reaches_a_stream_on_the_other() {
    let (a, b, _fake) = pair(Script::Reply(StatusCode::OK, started_response())).await;
    let mut on_b = b.app().events("call_123", None, None).await;
    let t = Instant::now();
    assert_eq!(a.app().post_action("call_123", "start").await.status, 200);
    let event = on_b.next().await;
    let lag = t.elapsed();
    assert!(lag < Duration::from_secs(1), "B heard of it after {lag:?}");
    assert_eq!(event.event, "recording");
    assert!(event.data.contains("rec_call_123"), "{}", event.data);
}

#[tokio::test]
async fn a_webhook_to_one_completes_the_call_for_both_and_its_redelivery_to_the_other_is_a_duplicate(
) {
    let (a, b, _fake) = pair(Script::Reply(StatusCode::OK, started_response())).await;
    let body = call_completed("call_w");
    assert_eq!(a.app().deliver("msg_rep_1", &body).await, 202);
    let from_b = b.app();
    wait_until(
        "B to see the call completed",
        Duration::from_secs(10),
        || async { from_b.call_status("call_w").await == "completed" },
    )
    .await;
    assert_eq!(
        b.app().deliver("msg_rep_1", &body).await,
        200,
        "a duplicate"
    );
}

#[tokio::test]
async fn twenty_concurrent_starts_over_both_replicas_make_one_upstream_start() {
    let (a, b, fake) = pair(Script::Slow(
        Duration::from_millis(500),
        StatusCode::OK,
        started_response(),
    ))
    .await;
    let (app_a, app_b) = (a.app(), b.app());
    let starts = (0..20).map(|i| {
        let app = if i % 2 == 0 { &app_a } else { &app_b };
        app.post_action("call_123", "start")
    });
    let answers = futures_util::future::join_all(starts).await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let busy = answers
        .iter()
        .filter(|a| a.status == 409 && a.code() == "action_in_progress")
        .count();
    assert_eq!((ok, busy), (1, 19));
    assert_eq!(fake.requests().len(), 1, "one upstream start");
}

#[tokio::test]
async fn one_idempotency_key_on_both_replicas_makes_one_upstream_call() {
    let (a, b, fake) = pair(Script::Reply(StatusCode::OK, started_response())).await;
    let first = a
        .app()
        .post_action_with_key("call_123", "start", "intent-1")
        .await;
    let again = b
        .app()
        .post_action_with_key("call_123", "start", "intent-1")
        .await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(first.text, again.text, "the same answer");
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_stream_resumed_on_the_other_replica_after_a_kill_9_gets_what_it_missed() {
    let (a, b, _fake) = pair(Script::Reply(StatusCode::OK, started_response())).await;
    let mut on_a = a.app().events("call_123", None, None).await;
    assert_eq!(a.app().post_action("call_123", "start").await.status, 200);
    let seen = on_a.next().await;
    a.kill_hard();
    // While the widget reconnects, MiniVoice reports the recording stopped (to B).
    let stopped = recording_stopped("call_123", "rec_call_123", 0);
    assert_eq!(b.app().deliver("msg_missed", &stopped).await, 202);
    // The inbox is processed in order: once a later delivery is applied, this one is.
    let probe = call_completed("call_probe");
    assert_eq!(b.app().deliver("msg_probe", &probe).await, 202);
    let from_b = b.app();
    wait_until(
        "B to apply the webhooks",
        Duration::from_secs(10),
        || async { from_b.call_status("call_probe").await == "completed" },
    )
    .await;
    let mut resumed = b.app().events("call_123", Some(&seen.id), None).await;
    let missed = resumed.next().await;
    assert_eq!(missed.event, "recording", "not a resync: {}", missed.data);
    assert!(missed.data.contains("\"stopped\""), "{}", missed.data);
}

#[tokio::test]
async fn an_automatic_resume_runs_once_with_two_replicas() {
    let upstream = sandbox_upstream().await;
    let db = required_test_database().await;
    let short = [("PAUSE_MAX_S", "1".to_owned())];
    let a = replica_with(&db, &upstream, &short).await;
    let b = replica_with(&db, &upstream, &short).await;
    let replicas = [a.app(), b.app()];
    // Several pauses, through either replica, all due within the same second: both replicas
    // find them due, and each must be resumed by exactly one.
    let calls: Vec<String> = (0..6).map(|i| format!("call_once_{i}")).collect();
    for (i, call) in calls.iter().enumerate() {
        let app = &replicas[i % 2];
        assert_eq!(app.post_action(call, "start").await.status, 200);
        assert_eq!(app.pause(call, None, None).await.status, 200);
    }
    for call in &calls {
        wait_until("the automatic resume", Duration::from_secs(15), || async {
            replicas[1].recording_state(call).await == "recording"
        })
        .await;
    }
    // A pause made after all of them, resumed: every replica has looked at theirs since.
    let probe = "call_once_probe";
    assert_eq!(replicas[0].post_action(probe, "start").await.status, 200);
    assert_eq!(replicas[0].pause(probe, None, None).await.status, 200);
    wait_until("the probe's resume", Duration::from_secs(15), || async {
        replicas[1].recording_state(probe).await == "recording"
    })
    .await;
    for call in &calls {
        let resumes = replicas[0].actions_of(call, "resume", None).await;
        assert_eq!(resumes.len(), 1, "{call}: {resumes:?}");
        assert_eq!(resumes[0]["agent"], "system");
        assert!(resumes[0].get("error_code").is_none(), "{resumes:?}");
        let listed = replicas[1]
            .get(&format!("/api/calls/{call}/recordings"))
            .await;
        assert_eq!(
            listed.json()["data"].as_array().unwrap().len(),
            2,
            "one new segment"
        );
    }
}

/// A proxy on a fresh database that it reaches through a [`Relay`] the test can cut.
async fn behind_a_relay(fake: &Fake) -> (Proxy, Relay) {
    let db = required_test_database().await;
    let url: reqwest::Url = db.parse().unwrap();
    let target: SocketAddr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
        .parse()
        .unwrap();
    let relay = Relay::to(target).await;
    let through_relay = db.replacen(
        &format!("{}:{}", target.ip(), target.port()),
        &relay.addr.to_string(),
        1,
    );
    let proxy = Proxy::launch(
        &[],
        &[
            ("MINIVOICE_API_KEY", KEY.into()),
            ("MINIVOICE_BASE_URL", fake.base_url()),
            ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
            ("DATABASE_URL", through_relay),
        ],
    )
    .await;
    (proxy, relay)
}

/// A TCP relay to PostgreSQL that the test can cut, as a network fault or a database restart
/// would, without stopping the server other tests use.
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
}

impl Relay {
    async fn to(target: SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let relay_up = up.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let up = relay_up.clone();
                tokio::spawn(async move {
                    if !up.load(Ordering::SeqCst) {
                        let _ = client.shutdown().await;
                        return;
                    }
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while up.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Relay { addr, up }
    }
}

#[tokio::test]
async fn with_the_database_gone_the_api_refuses_at_once_and_recovers_without_a_restart() {
    let fake = Fake::start(Script::Reply(StatusCode::OK, r#"{"data":[]}"#)).await;
    let (proxy, relay) = behind_a_relay(&fake).await;
    let app = proxy.app();
    assert_eq!(app.get("/api/calls/call_db/recordings").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(store_up(&app).await, "1");

    relay.up.store(false, Ordering::SeqCst);
    // Its health check notices within a few seconds; from then on /api refuses at once.
    wait_until("the proxy to notice", Duration::from_secs(10), || async {
        app.get("/api/calls/call_db/recordings").await.status == 503
    })
    .await;
    let not_ready = app.get("/readyz").await;
    assert_eq!(not_ready.status, 503);
    assert!(
        not_ready.text.contains("\"store_unavailable\""),
        "{}",
        not_ready.text
    );
    let seen_before = fake.requests().len();
    let t = Instant::now();
    let refused = app.post_action("call_db", "start").await;
    let took = t.elapsed();
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (503, "store_unavailable")
    );
    assert!(took < Duration::from_secs(1), "answered in {took:?}");
    assert_eq!(app.get("/api/calls/call_db/recordings").await.status, 503);
    assert_eq!(fake.requests().len(), seen_before, "nothing was forwarded");
    // What the store-unavailable alert reads (deploy/prometheus/alerts.yml): the check that
    // made /api refuse set it first.
    assert_eq!(store_up(&app).await, "0");

    relay.up.store(true, Ordering::SeqCst);
    wait_until("the proxy to recover", Duration::from_secs(15), || async {
        app.get("/api/calls/call_db/recordings").await.status == 200
    })
    .await;
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(store_up(&app).await, "1");
}

/// `minivoice_store_up`'s value in the proxy's `/metrics`.
async fn store_up(app: &TestApp) -> String {
    let metrics = app.get("/metrics").await;
    metrics
        .text
        .lines()
        .find_map(|line| line.strip_prefix("minivoice_store_up "))
        .unwrap_or_else(|| panic!("no minivoice_store_up in:\n{}", metrics.text))
        .to_owned()
}

/// Found by the chaos run: MiniVoice started the recording and the agent was told so, but the
/// store went away before the result was written, and the trail said "pending" for good.
#[tokio::test]
async fn a_result_the_store_missed_reaches_the_trail_once_the_store_is_back() {
    let slow = Duration::from_millis(1500);
    let fake = Fake::start(Script::Slow(slow, StatusCode::OK, started_response())).await;
    let (proxy, relay) = behind_a_relay(&fake).await;
    let app = proxy.app();
    let asked = {
        let app = app.clone();
        tokio::spawn(async move { app.post_action("call_123", "start").await })
    };
    wait_until("MiniVoice to be asked", DEADLINE, || async {
        !fake.requests().is_empty()
    })
    .await;
    // While MiniVoice takes its time, the database goes away.
    relay.up.store(false, Ordering::SeqCst);
    let answer = asked.await.unwrap();
    assert_eq!(answer.status, 200, "MiniVoice acted: {}", answer.text);
    relay.up.store(true, Ordering::SeqCst);
    wait_until("the result on record", Duration::from_secs(20), || async {
        let entry = app.activity("call_123", None).await.json()["data"][0].clone();
        entry["recording_id"] == "rec_call_123" && entry.get("pending").is_none()
    })
    .await;
}

/// A pause MiniVoice has made while the store is away for a moment is on record once it is
/// back: without its row the call would show idle and never be resumed by itself.
#[tokio::test]
async fn a_pause_made_while_the_store_is_away_is_on_record_once_it_is_back() {
    let slow = Duration::from_millis(1500);
    let fake = Fake::start(Script::Slow(slow, StatusCode::OK, started_response())).await;
    let (proxy, relay) = behind_a_relay(&fake).await;
    let app = proxy.app();
    let asked = {
        let app = app.clone();
        tokio::spawn(async move { app.pause("call_123", None, None).await })
    };
    wait_until("MiniVoice to be asked", DEADLINE, || async {
        !fake.requests().is_empty()
    })
    .await;
    relay.up.store(false, Ordering::SeqCst);
    wait_until(
        "the pause's row to fail",
        Duration::from_secs(10),
        || async {
            app.get("/metrics")
                .await
                .text
                .contains("minivoice_store_errors_total{op=\"open_pause\"}")
        },
    )
    .await;
    relay.up.store(true, Ordering::SeqCst);
    let answer = asked.await.unwrap();
    assert_eq!(answer.status, 200, "MiniVoice acted: {}", answer.text);
    // The store's health check lets `/api` answer again within a moment.
    wait_until("the call paused on record", DEADLINE, || async {
        let status = app.get("/api/calls/call_123/status").await;
        status.status == 200 && status.json()["data"]["recording"] == "paused"
    })
    .await;
    let state = app.state("call_123", None).await;
    assert!(state["resume_at"].is_string(), "{state}");
}
