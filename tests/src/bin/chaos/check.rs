//! The run's reconciliation: what the load was told against what the store holds and what
//! MiniVoice (the sandbox's journal) carried out. Every count that must be zero is a
//! violation.

use std::collections::HashMap;

use serde_json::Value;

use crate::agents::Intent;
use crate::cluster::Cluster;
use crate::streams::{self, Seen};
use crate::webhooks::Delivery;

/// One row of the audit trail.
struct Row {
    call_id: String,
    action: String,
    recording_id: Option<String>,
    error_code: Option<String>,
    replayed: bool,
    pending: bool,
}

impl Row {
    fn carried_out(&self) -> bool {
        !self.pending && !self.replayed && self.error_code.is_none() && self.recording_id.is_some()
    }
}

/// What MiniVoice carried out.
struct Journaled {
    call_id: String,
    action: String,
    recording_id: String,
    key: Option<String>,
}

#[derive(Default, Debug)]
pub struct Totals {
    pub deliveries: usize,
    /// Tries in all (a retry is a try).
    pub webhook_tries: u32,
    pub acknowledged: usize,
    pub processed: usize,
    /// Violations: acknowledged, never processed; never acknowledged at all.
    pub acknowledged_not_processed: usize,
    pub never_acknowledged: usize,
    pub intents: usize,
    pub answered_2xx: usize,
    pub answered_refused: usize,
    pub unanswered: usize,
    pub trail_rows: usize,
    pub trail_carried_out: usize,
    pub trail_pending: usize,
    pub minivoice_actions: usize,
    /// Violations: a 2xx answer the trail does not hold; a 2xx answer MiniVoice never
    /// carried out; an action MiniVoice carried out that the trail lost entirely.
    pub answered_not_in_trail: usize,
    pub answered_not_at_minivoice: usize,
    pub minivoice_not_in_trail: usize,
    /// Carried out by MiniVoice while the trail says "pending" (the answer never reached the
    /// trail: on record as unknown, not lost).
    pub minivoice_trail_pending: usize,
    pub duplicate_starts: usize,
    pub streams: usize,
    pub stream_events: usize,
    pub resyncs: usize,
    pub reconnects: usize,
    pub missed_without_resync: u64,
}

impl Totals {
    pub fn violations(&self) -> Vec<String> {
        let mut v = vec![];
        let mut must_be_zero = |what: &str, n: u64| {
            if n > 0 {
                v.push(format!("{n} {what}"));
            }
        };
        must_be_zero(
            "webhooks acknowledged but never processed",
            self.acknowledged_not_processed as u64,
        );
        must_be_zero(
            "webhooks never acknowledged",
            self.never_acknowledged as u64,
        );
        must_be_zero(
            "actions answered 2xx missing from the audit trail",
            self.answered_not_in_trail as u64,
        );
        must_be_zero(
            "actions answered 2xx that MiniVoice never carried out",
            self.answered_not_at_minivoice as u64,
        );
        must_be_zero(
            "actions MiniVoice carried out missing from the audit trail",
            self.minivoice_not_in_trail as u64,
        );
        must_be_zero(
            "duplicate starts (one idempotency key started twice)",
            self.duplicate_starts as u64,
        );
        must_be_zero(
            "events missed by a stream without a resync",
            self.missed_without_resync,
        );
        v
    }
}

pub struct Inputs<'a> {
    pub cluster: &'a Cluster,
    pub journal: Value,
    pub intents: &'a [Intent],
    pub deliveries: &'a [Delivery],
    /// (call, what the stream read).
    pub streams: Vec<(String, Vec<Seen>)>,
    /// The run's calls (others, such as the calibration's, are left out).
    pub prefix: &'a str,
}

pub fn reconcile(i: Inputs) -> Totals {
    let mut t = Totals::default();
    webhooks(&i, &mut t);
    actions(&i, &mut t);
    streams(&i, &mut t);
    t
}

fn webhooks(i: &Inputs, t: &mut Totals) {
    let processed: HashMap<String, bool> = i
        .cluster
        .sql("SELECT delivery_id, processed_at IS NOT NULL FROM webhook_inbox")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, done)| (id.to_owned(), done == "t"))
        .collect();
    t.deliveries = i.deliveries.len();
    for d in i.deliveries {
        t.webhook_tries += d.tries;
        let done = processed.get(&d.id).copied().unwrap_or(false);
        if d.acknowledged {
            t.acknowledged += 1;
            if done {
                t.processed += 1;
            } else {
                t.acknowledged_not_processed += 1;
            }
        } else {
            t.never_acknowledged += 1;
        }
    }
}

fn actions(i: &Inputs, t: &mut Totals) {
    let rows: Vec<Row> = i
        .cluster
        .sql(&format!(
            "SELECT call_id, action, coalesce(recording_id, ''), coalesce(error_code, ''),
                    replayed, pending
             FROM actions WHERE call_id LIKE '{}\\_a\\_%' ORDER BY id",
            i.prefix
        ))
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            (f.len() == 6).then(|| Row {
                call_id: f[0].into(),
                action: f[1].into(),
                recording_id: some(f[2]),
                error_code: some(f[3]),
                replayed: f[4] == "t",
                pending: f[5] == "t",
            })
        })
        .collect();
    let journal: Vec<Journaled> = i.journal["data"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            Some(Journaled {
                call_id: e["call_id"].as_str()?.into(),
                action: e["action"].as_str()?.into(),
                recording_id: e["recording_id"].as_str()?.into(),
                key: e["idempotency_key"].as_str().map(str::to_owned),
            })
        })
        .filter(|j| j.call_id.starts_with(&format!("{}_a_", i.prefix)))
        .collect();

    t.intents = i.intents.len();
    t.trail_rows = rows.len();
    t.trail_carried_out = rows.iter().filter(|r| r.carried_out()).count();
    t.trail_pending = rows.iter().filter(|r| r.pending).count();
    t.minivoice_actions = journal.len();

    // The trail's carried-out rows, by (call, action, recording), to be used up one each.
    let mut in_trail: HashMap<(String, String, String), usize> = HashMap::new();
    for r in rows.iter().filter(|r| r.carried_out()) {
        let key = (
            r.call_id.clone(),
            r.action.clone(),
            r.recording_id.clone().unwrap(),
        );
        *in_trail.entry(key).or_default() += 1;
    }
    for intent in i.intents {
        match &intent.answer {
            None => t.unanswered += 1,
            Some(_) if !intent.succeeded() => t.answered_refused += 1,
            Some(_) => {
                t.answered_2xx += 1;
                let rec = intent.recording_id().unwrap_or_default().to_owned();
                let key = (
                    intent.call_id.clone(),
                    intent.action.to_owned(),
                    rec.clone(),
                );
                match in_trail.get_mut(&key) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => {
                        eprintln!("chaos: answered 2xx, not in the trail: {intent:?}");
                        t.answered_not_in_trail += 1;
                    }
                }
                let forwarded = forwarded(intent.action);
                let carried = journal.iter().any(|j| {
                    j.key.as_deref() == Some(&intent.key)
                        && j.recording_id == rec
                        && j.action == forwarded
                });
                if !carried {
                    eprintln!("chaos: answered 2xx, not at MiniVoice: {intent:?}");
                    t.answered_not_at_minivoice += 1;
                }
            }
        }
    }

    // Everything MiniVoice carried out, against the trail: a carried-out row, else a pending
    // row on that call (the answer never reached the trail), else lost.
    let mut carried: HashMap<(String, &str, String), usize> = HashMap::new();
    for r in rows.iter().filter(|r| r.carried_out()) {
        let key = (
            r.call_id.clone(),
            forwarded(&r.action),
            r.recording_id.clone().unwrap(),
        );
        *carried.entry(key).or_default() += 1;
    }
    let mut pending: HashMap<String, usize> = HashMap::new();
    for r in rows.iter().filter(|r| r.pending) {
        *pending.entry(r.call_id.clone()).or_default() += 1;
    }
    for j in &journal {
        let key = (
            j.call_id.clone(),
            forwarded(&j.action),
            j.recording_id.clone(),
        );
        if let Some(n) = carried.get_mut(&key).filter(|n| **n > 0) {
            *n -= 1;
        } else if let Some(n) = pending.get_mut(&j.call_id).filter(|n| **n > 0) {
            *n -= 1;
            t.minivoice_trail_pending += 1;
        } else {
            eprintln!(
                "chaos: MiniVoice carried out {} {} of {} (key {:?}); the trail has no row",
                j.action, j.recording_id, j.call_id, j.key
            );
            t.minivoice_not_in_trail += 1;
        }
    }

    let mut starts: HashMap<&str, usize> = HashMap::new();
    for j in journal.iter().filter(|j| j.action == "start") {
        if let Some(k) = &j.key {
            *starts.entry(k).or_default() += 1;
        }
    }
    t.duplicate_starts = starts.values().filter(|n| **n > 1).map(|n| n - 1).sum();
}

/// What MiniVoice is sent for an action: a pause stops, a resume starts.
fn forwarded(action: &str) -> &'static str {
    match action {
        "start" | "resume" => "start",
        _ => "stop",
    }
}

fn streams(i: &Inputs, t: &mut Totals) {
    let last: HashMap<String, u64> = i
        .cluster
        .sql("SELECT call_id, max(seq) FROM live_events GROUP BY call_id")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(c, s)| (c.to_owned(), s.parse().unwrap_or(0)))
        .collect();
    t.streams = i.streams.len();
    for (call, seen) in &i.streams {
        let events = seen.iter().filter(|s| matches!(s, Seen::Event(_))).count();
        t.stream_events += events;
        t.resyncs += seen.iter().filter(|s| **s == Seen::Resync).count();
        t.reconnects += seen.iter().filter(|s| **s == Seen::Dropped).count();
        let missed = streams::missed(seen, last.get(call).copied().unwrap_or(0));
        if missed > 0 {
            eprintln!("chaos: a stream on {call} missed {missed} event(s) without a resync");
        }
        t.missed_without_resync += missed;
    }
}
