//! The delivery inspector: every delivery, refused ones included, newest first, with its
//! verdict and, once processed, what it changed; for supervisors (or this machine without
//! tokens); refused ones within a bound of their own. On SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

use std::time::{Duration, Instant};

use minivoice_proxy::auth::unix_now;
use minivoice_proxy::Secret;
use serde_json::{json, Value};
use testkit::*;

/// The inspector's list as `token`'s holder, once its newest entry has an effect.
async fn processed(app: &TestApp, token: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = app.deliveries("", Some(token)).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let list = answer.json()["data"].as_array().unwrap().clone();
        if list.first().is_some_and(|d| d["effect"].is_string()) {
            return list;
        }
        assert!(Instant::now() < deadline, "not processed: {list:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn forged_and_valid_deliveries_are_listed_with_their_verdicts_for_supervisors() {
    let upstream = sandbox_upstream().await;
    for url in databases().await.urls {
        let app = TestApp::guarded(&upstream, |c| {
            on_database(c, &url);
            c.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
        })
        .await;
        let supervisor = token("sam", &["*"]);
        let now = unix_now();
        let done = call_completed("call_i");
        assert_eq!(
            app.deliver_at("m_forged", now, &done, OTHER_WEBHOOK_SECRET)
                .await
                .0,
            401
        );
        assert_eq!(
            app.deliver_at("m_old", now - 600, &done, WEBHOOK_SECRET)
                .await
                .0,
            401
        );
        let unsigned = app.post_webhook(&[], &done).await;
        assert_eq!(unsigned.status(), 401);
        assert_eq!(app.deliver("m_ok", &done).await, 202);
        assert_eq!(app.deliver("m_ok", &done).await, 200);
        let ai = json!({"type": "ai.transcript.ready", "data": {"call_id": "call_i"}});
        assert_eq!(app.deliver("m_ai", &ai.to_string()).await, 202);

        let list = processed(&app, &supervisor).await;
        let verdicts: Vec<(&str, u64)> = list
            .iter()
            .map(|d| {
                (
                    d["verdict"].as_str().unwrap(),
                    d["status"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("accepted", 202),
                ("duplicate", 200),
                ("accepted", 202),
                ("malformed", 401),
                ("too_old", 401),
                ("invalid_signature", 401),
            ]
        );
        let (ai_row, dup, ok, unsigned, old, forged) =
            (&list[0], &list[1], &list[2], &list[3], &list[4], &list[5]);
        assert_eq!(ai_row["effect"], "kept (unknown type ai.transcript.ready)");
        assert_eq!(ok["effect"], "call completed");
        assert_eq!(ok["verified"], true);
        assert!(ok["processed_at"].is_string());
        assert_eq!(ok["body"], done.as_str(), "the raw body, as text");
        assert_eq!(ok["delivery_id"], "m_ok");
        assert!(dup.get("effect").is_none(), "a duplicate changes nothing");
        assert!(dup["detail"].as_str().unwrap().contains("already received"));
        assert!(unsigned["detail"]
            .as_str()
            .unwrap()
            .contains("missing header"));
        assert_eq!(old["detail"], "signature timestamp too old");
        assert_eq!(forged["verified"], false);
        // Enough of a signature to tell two apart, not enough to reuse one.
        let sig = forged["headers"]["webhook-signature"].as_str().unwrap();
        assert!(
            sig.starts_with("v1,") && sig.ends_with('…') && sig.chars().count() == 9,
            "{sig}"
        );
        assert_eq!(forged["body"], done.as_str());

        let refused = app
            .deliveries("?verdict=invalid_signature", Some(&supervisor))
            .await;
        assert_eq!(refused.json()["data"].as_array().unwrap().len(), 1);
        let agent = token("alice", &["call_i"]);
        let denied = app.deliveries("", Some(&agent)).await;
        assert_eq!(
            (denied.status, denied.code().as_str()),
            (403, "supervisor_required")
        );
        assert_eq!(app.deliveries("", None).await.status, 401);
        let bad = app.deliveries("?limit=0", Some(&supervisor)).await;
        assert_eq!((bad.status, bad.code().as_str()), (400, "invalid_query"));
    }
}

#[tokio::test]
async fn the_inspector_keeps_the_newest_and_is_open_to_this_machine_without_tokens() {
    let app = TestApp::receiving_webhooks(|c| c.webhook_inspect_keep = 3).await;
    for i in 0..5 {
        let body = call_completed(&format!("call_k{i}"));
        assert_eq!(app.deliver(&format!("m_k{i}"), &body).await, 202);
    }
    let list = app.deliveries("", None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let ids: Vec<Value> = list.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["delivery_id"].clone())
        .collect();
    assert_eq!(ids, [json!("m_k4"), json!("m_k3"), json!("m_k2")]);
    let big = "x".repeat(70 * 1024);
    assert_eq!(app.deliver("m_big", &big).await, 413);
    let newest = &app.deliveries("?limit=1", None).await.json()["data"][0];
    assert_eq!(
        (&newest["verdict"], &newest["status"]),
        (&json!("too_large"), &json!(413))
    );
}

#[tokio::test]
async fn a_flood_of_refused_deliveries_never_pushes_a_verified_one_out() {
    use futures_util::StreamExt;
    use minivoice_proxy::store::REFUSED_KEEP;

    for (i, url) in databases().await.urls.into_iter().enumerate() {
        // The default bound (500): the flood is larger than it, as in the finding.
        let app = TestApp::receiving_webhooks(|c| on_database(c, &url)).await;
        let verified: Vec<String> = (0..20).map(|n| format!("m_v{i}_{n}")).collect();
        for id in &verified {
            let body = call_completed(&format!("call_flood{i}"));
            assert_eq!(app.deliver(id, &body).await, 202);
        }
        // 600 deliveries anyone can send, some at a time: forged 60 KB bodies, and bodies
        // over the limit.
        let forged = "x".repeat(60 * 1024);
        let too_large = "x".repeat(70 * 1024);
        let answers: Vec<u16> = futures_util::stream::iter(0..600)
            .map(|n| {
                let (app, id) = (&app, format!("m_f{i}_{n}"));
                let body = if n % 3 == 0 { &too_large } else { &forged };
                async move {
                    app.deliver_at(&id, unix_now(), body, OTHER_WEBHOOK_SECRET)
                        .await
                        .0
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        assert!(
            answers.iter().all(|s| [401, 413].contains(s)),
            "{answers:?}"
        );

        let answer = app.deliveries("?limit=500", None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let list = answer.json()["data"].as_array().unwrap().clone();
        let (kept, refused): (Vec<&Value>, Vec<&Value>) = list
            .iter()
            .partition(|d| ["accepted", "duplicate"].contains(&d["verdict"].as_str().unwrap()));
        let kept_ids: Vec<&str> = kept
            .iter()
            .map(|d| d["delivery_id"].as_str().unwrap())
            .collect();
        for id in &verified {
            assert!(
                kept_ids.contains(&id.as_str()),
                "{id} pushed out: {kept_ids:?}"
            );
        }
        assert_eq!(
            refused.len() as i64,
            REFUSED_KEEP,
            "refused ones have their own bound"
        );
        for d in &refused {
            let body = d["body"].as_str().unwrap();
            assert!(
                body.len() < 1200,
                "a refused body is shortened: {} bytes",
                body.len()
            );
        }
        let forged_row = refused
            .iter()
            .find(|d| d["verdict"] == "invalid_signature")
            .unwrap();
        let body = forged_row["body"].as_str().unwrap();
        assert!(body.contains("61440 bytes in all"), "{body}");
    }
}
