//! The live event stream: parsed with `eventsource-stream`, plus a raw reader for what that
//! parser drops on purpose (comments, i.e. heartbeats), and a watch for a stream's end.

use std::pin::Pin;
use std::time::{Duration, Instant};

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use super::app::TestApp;

type EventItem = Result<Event, EventStreamError<reqwest::Error>>;

/// The events of one open stream, comments skipped.
pub struct Events {
    stream: Pin<Box<dyn Stream<Item = EventItem> + Send>>,
}

impl Events {
    pub fn new(resp: reqwest::Response) -> Events {
        Events {
            stream: Box::pin(resp.bytes_stream().eventsource()),
        }
    }

    /// The next event, within 5 s.
    pub async fn next(&mut self) -> Event {
        tokio::time::timeout(Duration::from_secs(5), self.stream.next())
            .await
            .expect("no event within the deadline")
            .expect("stream ended")
            .unwrap()
    }
}

/// The comment lines (`:` first) of raw stream text: heartbeats.
pub fn comment_lines(raw: &str) -> usize {
    raw.lines().filter(|l| l.starts_with(':')).count()
}

/// Whether the server ends the stream (or the connection) within `limit`.
pub async fn ends_within(mut resp: reqwest::Response, limit: Duration) -> bool {
    tokio::time::timeout(limit, async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await
    .is_ok()
}

impl TestApp {
    /// Opens the call's event stream, resuming after `last_id`, with `token` in the query; the
    /// answer as is, whatever its status.
    pub async fn open_events(
        &self,
        call_id: &str,
        last_id: Option<&str>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut path = format!("/api/calls/{call_id}/events");
        if let Some(t) = token {
            path.push_str(&format!("?access_token={t}"));
        }
        let mut req = self.request("GET", &path);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id);
        }
        req.send().await.unwrap()
    }

    /// [`TestApp::open_events`], which must succeed, as [`Events`].
    pub async fn events(
        &self,
        call_id: &str,
        last_id: Option<&str>,
        token: Option<&str>,
    ) -> Events {
        let resp = self.open_events(call_id, last_id, token).await;
        assert_eq!(resp.status(), 200);
        Events::new(resp)
    }

    /// The raw text of a stream of the call opened now, as received within `window` (opening
    /// it included).
    pub async fn raw_events_for(&self, call_id: &str, window: Duration) -> String {
        let until = Instant::now() + window;
        let mut resp = self.open_events(call_id, None, None).await;
        assert_eq!(resp.status(), 200);
        let mut text = String::new();
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout(
            until.saturating_duration_since(Instant::now()),
            resp.chunk(),
        )
        .await
        {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    }
}
