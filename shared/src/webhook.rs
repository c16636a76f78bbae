use serde::{Deserialize, Serialize};

use crate::minivoice::EventType;
use crate::recording::Recording;
use crate::Extra;

/// A webhook delivery. Everything but `event` is optional because events differ in what they
/// carry, and a verified delivery is never refused for its shape; whatever else arrives is kept
/// in `extra`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub event: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<WebhookCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<Recording>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookCall {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}
