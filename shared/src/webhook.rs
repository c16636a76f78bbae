use serde::{Deserialize, Serialize};

use crate::minivoice::EventType;
use crate::recording::Recording;
use crate::Extra;

/// A webhook delivery. `call` and `recording` are optional because events differ in what they
/// carry; whatever else arrives is kept in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub event: EventType,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<WebhookCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<Recording>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookCall {
    pub id: String,
    pub status: String,
    #[serde(flatten)]
    pub extra: Extra,
}
