//! Every request the load makes, when it started and whether it failed: what the per-fault
//! error rates and recovery times are read from.

use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Action,
    Webhook,
    Stream,
}

#[derive(Clone, Copy, Debug)]
pub struct Attempt {
    /// Seconds since the load began, when it was sent and when it ended.
    pub at: f64,
    pub done: f64,
    pub kind: Kind,
    pub ok: bool,
}

pub struct Log {
    t0: Instant,
    attempts: Mutex<Vec<Attempt>>,
}

impl Log {
    pub fn new() -> Log {
        Log {
            t0: Instant::now(),
            attempts: Mutex::default(),
        }
    }

    /// Seconds since the load began.
    pub fn now(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    /// An attempt that started at `at` (from [`Log::now`]) and ends now.
    pub fn note(&self, at: f64, kind: Kind, ok: bool) {
        let done = self.now();
        self.attempts
            .lock()
            .unwrap()
            .push(Attempt { at, done, kind, ok });
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().unwrap().clone()
    }
}
