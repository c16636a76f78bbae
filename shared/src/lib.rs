//! Wire types shared by the proxy (`server/`) and the widget (`frontend/`).
//!
//! Depends on serde alone (serde_json only for `Value`, to keep unknown fields), so it builds
//! for the host and for `wasm32-unknown-unknown`; the `openapi` feature, which only the proxy
//! enables, adds utoipa schemas for its OpenAPI document. Every type is tolerant: unknown
//! fields, statuses, event types and error codes are kept and re-serialised unchanged.

#[macro_use]
mod macros;
pub mod activity;
pub mod error;
pub mod live;
pub mod minivoice;
#[cfg(feature = "openapi")]
mod openapi;
pub mod proxy;
pub mod recording;
pub mod supervisor;
pub mod timeline;
pub mod webhook;

pub use activity::{ActivityEntry, ANONYMOUS_AGENT, SYSTEM_AGENT};
pub use error::{ClientCode, ErrorBody, ErrorCode, ErrorEnvelope, ProxyCode};
pub use live::{call_is_over, CallState, LiveEvent, RecordingState, CALL_COMPLETED, CALL_ENDED};
pub use minivoice::{EventType, MiniVoiceCode, RecordingStatus};
pub use proxy::ProxyInfo;
pub use recording::{Action, ActionRequest, ActionResult, Data, PauseRequest, Recording};
pub use supervisor::{LiveCall, LiveCallPage, PauseEnd, PauseReportRow};
pub use timeline::{TimelineEntry, TimelineKind, Verdict, WebhookDelivery};
pub use webhook::{WebhookCall, WebhookEvent};

/// Fields a type does not name, kept so that re-serialising loses nothing.
pub type Extra = serde_json::Map<String, serde_json::Value>;
