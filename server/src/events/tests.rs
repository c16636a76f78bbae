use super::watch::{CALL_CAPACITY, EVERY_CALL_CAPACITY, HEARTBEAT_SLICES};
use super::*;

fn call(status: &str) -> LiveEvent {
    LiveEvent::Call {
        call_id: "c".into(),
        status: status.into(),
    }
}

async fn hub() -> Arc<Hub> {
    let store = Store::open("sqlite::memory:", Default::default())
        .await
        .unwrap();
    Hub::new(
        store,
        Limits {
            max_streams: 10,
            per_agent: 5,
            heartbeat: Duration::from_secs(15),
        },
    )
    .await
    .unwrap()
}

/// The event a frame carries (its `data:` line), for tests.
fn event_in(s: &Stamped) -> Option<LiveEvent> {
    let frame = std::str::from_utf8(&s.frame).ok()?;
    let data = frame.lines().find_map(|l| l.strip_prefix("data: "))?;
    serde_json::from_str(data).ok()
}

/// Everything the subscription has unread now: its events, `None` where it fell behind.
fn unread(sub: &mut Subscription) -> Vec<Option<LiveEvent>> {
    use tokio::sync::broadcast::error::TryRecvError;
    let mut got = vec![];
    loop {
        match sub.rx.try_recv() {
            Ok(Note::Event(s)) => got.push(event_in(&s)),
            Ok(_) => {}
            Err(TryRecvError::Lagged(_)) => got.push(None),
            Err(_) => return got,
        }
    }
}

#[tokio::test]
async fn a_subscriber_that_never_reads_does_not_hold_up_publishing_or_others() {
    let hub = hub().await;
    let _stuck = hub.subscribe("c", "a").unwrap();
    let mut live = hub.subscribe("c", "b").unwrap();
    let t = std::time::Instant::now();
    let mut last = None;
    for i in 0..2_000 {
        hub.publish("c", call(&format!("s{i}"))).await;
        // The reading subscriber keeps up.
        if i % 4 == 0 {
            last = unread(&mut live).pop().flatten().or(last);
        }
    }
    assert!(t.elapsed() < Duration::from_secs(5), "publishing blocked");
    let rest = unread(&mut live);
    assert!(rest.iter().all(Option::is_some), "the reader fell behind");
    assert_eq!(rest.last().cloned().flatten().or(last), Some(call("s1999")));
}

#[tokio::test]
async fn a_call_channel_keeps_its_capacity_then_says_what_was_missed() {
    let hub = hub().await;
    let mut sub = hub.subscribe("c", "a").unwrap();
    for i in 0..CALL_CAPACITY + 3 {
        hub.publish("c", call(&format!("s{i}"))).await;
    }
    let got = unread(&mut sub);
    // Told it fell behind, then the newest events, in order.
    assert_eq!(got[0], None);
    let newest: Vec<_> = (3..CALL_CAPACITY + 3)
        .map(|i| Some(call(&format!("s{i}"))))
        .collect();
    assert_eq!(got[1..], newest[..]);
    // The every-call stream has room for far more before a supervisor falls behind (half
    // its room: the hub's heartbeats take places in it too while these are published).
    let mut every = hub.subscribe(EVERY_CALL, "sup").unwrap();
    let many = EVERY_CALL_CAPACITY / 2;
    for i in 0..many {
        hub.publish(&format!("c{i}"), call("x")).await;
    }
    let all = unread(&mut every);
    assert_eq!(all.len(), many);
    assert!(all.iter().all(Option::is_some));
}

#[test]
fn frames_are_the_sse_format_and_a_resync_has_no_id() {
    let event = call("done");
    let s = Stamped::new(7, &event);
    let json = serde_json::to_string(&event).unwrap();
    assert_eq!(
        &s.frame[..],
        format!("event: call\ndata: {json}\nid: 7\n\n").as_bytes()
    );
    let r = Stamped::resync("c");
    assert!(r.is_resync());
    assert!(std::str::from_utf8(&r.frame)
        .unwrap()
        .starts_with("event: resync\ndata: {"));
    assert!(!std::str::from_utf8(&r.frame).unwrap().contains("\nid:"));
    // Data with a line break (not JSON's compact form) is one `data:` line per line.
    let two = Stamped::rendered(1, "x", "a\nb");
    assert_eq!(&two.frame[..], b"event: x\ndata: a\ndata: b\nid: 1\n\n");
}

#[tokio::test]
async fn heartbeats_and_the_shutdown_reach_every_stream_through_its_channel() {
    let hub = hub().await;
    // Three calls, so three slices (the test hub's cap is ten streams).
    let mut subs: Vec<_> = (0..3)
        .map(|i| hub.subscribe(&format!("c{i}"), &format!("o{i}")).unwrap())
        .collect();
    for slice in 0..HEARTBEAT_SLICES {
        hub.heartbeat(slice);
    }
    for sub in &mut subs {
        assert!(matches!(sub.rx.try_recv(), Ok(Note::Heartbeat)));
    }
    hub.close();
    for sub in &mut subs {
        // After any heartbeat the hub's own timer sent meanwhile.
        let mut note = sub.rx.try_recv();
        while matches!(note, Ok(Note::Heartbeat)) {
            note = sub.rx.try_recv();
        }
        assert!(matches!(note, Ok(Note::Close)));
    }
    assert!(matches!(
        hub.subscribe("late", "x"),
        Err(AppError::EventsUnavailable)
    ));
}

#[tokio::test]
async fn resume_from_last_event_id() {
    let hub = hub().await;
    hub.publish("c", call("a")).await;
    hub.publish("c", call("b")).await;
    hub.publish("c", call("c")).await;
    let got: Vec<_> = hub
        .backlog("c", 1)
        .await
        .unwrap()
        .unwrap()
        .iter()
        .filter_map(event_in)
        .collect();
    assert_eq!(got, [call("b"), call("c")]);
    assert_eq!(hub.backlog("c", 3).await.unwrap().unwrap().len(), 0);
    for i in 0..(MAX_BACKLOG + 5) {
        hub.publish("c", call(&format!("x{i}"))).await;
    }
    assert!(
        hub.backlog("c", 1).await.unwrap().is_none(),
        "too long a gap: resync"
    );
    assert!(
        hub.backlog("c", u64::MAX).await.unwrap().is_none(),
        "never issued: resync"
    );
    assert!(hub.backlog("nobody", 7).await.unwrap().is_none());
}

#[tokio::test]
async fn unwatched_calls_hold_nothing() {
    let hub = hub().await;
    for i in 0..1000 {
        drop(hub.subscribe(&format!("c{i}"), "a").unwrap());
        hub.publish(&format!("c{i}"), call("done")).await;
    }
    let calls = hub.calls.lock().unwrap();
    assert_eq!(
        (calls.watched.len(), calls.streams, calls.per_agent.len()),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn stream_caps_count_per_owner_and_in_total() {
    let hub = hub().await;
    let mine: Vec<_> = (0..5)
        .map(|i| hub.subscribe(&format!("c{i}"), "alice").unwrap())
        .collect();
    assert!(matches!(
        hub.subscribe("c9", "alice"),
        Err(AppError::TooManyStreams)
    ));
    let theirs: Vec<_> = (0..5)
        .map(|_| hub.subscribe("c0", "bob").unwrap())
        .collect();
    assert!(matches!(
        hub.subscribe("c0", "carol"),
        Err(AppError::EventsUnavailable)
    ));
    drop(mine);
    assert_eq!(hub.open_streams(), 5);
    assert!(hub.subscribe("c1", "alice").is_ok());
    drop(theirs);
    assert_eq!(hub.open_streams(), 0);
}
