//! Where log lines go: appended to a buffer in memory, which a thread of its own writes to
//! stderr every few milliseconds, all that gathered in one write. A request never waits on
//! stderr (a file, a pipe to systemd or a container runtime, a shipper that stops reading for a
//! while) and never wakes another thread.
//!
//! Not `tracing_appender::non_blocking`: its channel wakes the writing thread for each line,
//! which then spins and yields until the next one; under load that was a tenth of the proxy's
//! CPU (`perf`, BENCHMARKS.md), a third of what the answer line costs.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How often the writing thread looks for lines: how late a line may reach the log.
const EVERY: Duration = Duration::from_millis(5);
/// Bytes held before loggers wait for the writer (nothing is dropped): a log that cannot be
/// written for long holds requests up, as a direct write would, but only then.
const MAX_PENDING: usize = 8 << 20;

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    /// Loggers waiting for room.
    room: Condvar,
    /// The writing thread, waiting for its next round (or for the end).
    round: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    closing: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A logger that panicked mid-append left whole lines or a torn one: still worth writing.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The subscriber's writer (see [`start`]).
pub struct LogWriter(Arc<Shared>);

/// Keep it until the process ends: dropping it writes out every line still held, then stops
/// the writing thread.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the thread that writes to `out`.
pub fn start<W: Write + Send + 'static>(mut out: W) -> (LogWriter, LogGuard) {
    let shared = Arc::new(Shared::default());
    let writing = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            let mut batch = Vec::new();
            loop {
                let mut pending = writing.lock();
                if pending.bytes.is_empty() && !pending.closing {
                    pending = writing
                        .round
                        .wait_timeout(pending, EVERY)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                let closing = pending.closing;
                std::mem::swap(&mut batch, &mut pending.bytes);
                drop(pending);
                writing.room.notify_all();
                // A failed write (a closed pipe) loses these lines; the next are tried again.
                let _ = out.write_all(&batch).and_then(|()| out.flush());
                batch.clear();
                if closing {
                    return;
                }
                std::thread::sleep(EVERY);
            }
        })
        .ok();
    let writer = LogWriter(shared.clone());
    (writer, LogGuard { shared, thread })
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.round.notify_all();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One logger's handle: each event is one `write_all` of a whole line.
pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.0.lock();
        while pending.bytes.len() >= MAX_PENDING && !pending.closing {
            pending = self.0.room.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
        pending.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_by_the_time_the_guard_is_dropped() {
        let sink = Sink::default();
        let (writer, guard) = start(sink.clone());
        std::thread::scope(|s| {
            for t in 0..4 {
                let writer = &writer;
                s.spawn(move || {
                    for i in 0..10_000 {
                        // As the subscriber writes: a whole line in one `write_all`.
                        let line = format!("thread {t} line {i}\n");
                        writer.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 40_000);
        for t in 0..4 {
            let mine: Vec<_> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            assert_eq!(mine.len(), 10_000);
            assert_eq!(mine[9_999], format!("thread {t} line 9999"), "in order");
        }
    }
}
