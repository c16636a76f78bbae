//! Widgets with open event streams, reconnecting as a browser's EventSource does: after a
//! second, with `Last-Event-ID` set to the last `id` it read (a `resync` has none and does
//! not move it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

use crate::log::{Kind, Log};

/// EventSource's reconnection delay (browsers use a few seconds; shorter is harsher).
const RECONNECT: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    Event(u64),
    Resync,
    /// The stream ended or failed; it reconnects.
    Dropped,
}

pub struct Watcher {
    pub url: String,
    pub client: reqwest::Client,
    pub log: Arc<Log>,
    /// What it read, in order; shared so the run can see how far it got.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Watcher {
    /// Reads and reconnects until `stop` flips.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut last_id: Option<u64> = None;
        while !*stop.borrow() {
            tokio::select! {
                _ = self.once(&mut last_id) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            self.seen.lock().unwrap().push(Seen::Dropped);
            tokio::select! {
                _ = tokio::time::sleep(RECONNECT) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    /// One connection, read until it ends.
    async fn once(&self, last_id: &mut Option<u64>) {
        let at = self.log.now();
        let mut req = self
            .client
            .get(&self.url)
            .header("accept", "text/event-stream");
        if let Some(id) = last_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = match req.send().await {
            Ok(r) if r.status().is_success() => r,
            _ => {
                self.log.note(at, Kind::Stream, false);
                return;
            }
        };
        self.log.note(at, Kind::Stream, true);
        let mut body = resp.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let (mut id, mut name) = (None, "message");
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse::<u64>().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        name = if v.trim() == "resync" {
                            "resync"
                        } else {
                            "event"
                        };
                    }
                }
                let seen = match (name, id) {
                    ("resync", _) => Seen::Resync,
                    (_, Some(id)) => {
                        *last_id = Some(id);
                        Seen::Event(id)
                    }
                    // A keep-alive comment.
                    _ => continue,
                };
                self.seen.lock().unwrap().push(seen);
            }
        }
    }
}

/// Events the stream missed without a `resync` between: walking what it read in order, an
/// event past the next expected one is a gap unless a resync came since the last event; at
/// the end, everything up to `last_in_store` must have arrived (or a resync be the last word).
pub fn missed(seen: &[Seen], last_in_store: u64) -> u64 {
    let mut expected = 1u64;
    let mut excused = false;
    let mut missed = 0;
    for s in seen {
        match *s {
            Seen::Resync => excused = true,
            Seen::Dropped => {}
            Seen::Event(id) => {
                if id > expected && !excused {
                    missed += id - expected;
                }
                expected = expected.max(id + 1);
                excused = false;
            }
        }
    }
    if last_in_store >= expected && !excused {
        missed += last_in_store + 1 - expected;
    }
    missed
}

/// The last event id it read.
pub fn last_event(seen: &[Seen]) -> u64 {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Event(id) => Some(*id),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Seen::*;

    #[test]
    fn a_gap_counts_unless_a_resync_came_first() {
        assert_eq!(missed(&[Event(1), Event(2), Event(3)], 3), 0);
        assert_eq!(missed(&[Event(1), Event(3)], 3), 1);
        assert_eq!(missed(&[Event(1), Dropped, Resync, Event(4)], 4), 0);
        // A repeat after a resume is harmless.
        assert_eq!(
            missed(&[Event(1), Event(2), Dropped, Event(2), Event(3)], 3),
            0
        );
        // The tail: the store has 5, the stream stopped at 3.
        assert_eq!(missed(&[Event(1), Event(2), Event(3)], 5), 2);
        assert_eq!(missed(&[Event(1), Resync], 5), 0);
    }
}
