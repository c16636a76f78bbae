//! What the widget keeps of a recording. The wire type (`minivoice_shared::Recording`) keeps
//! fields it does not know as JSON values, so that the proxy re-serialises them unchanged; the
//! widget only shows them, as text, and a list of pairs costs its wasm 1.7 KB less than a
//! JSON map (measured, `BENCHMARKS.md`).

use minivoice_shared::RecordingStatus;

#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    pub id: String,
    pub status: RecordingStatus,
    pub duration_seconds: u64,
    pub size_bytes: u64,
    /// Fields MiniVoice sent that the widget does not know, as (name, text), in its order.
    pub more: Vec<(String, String)>,
}
