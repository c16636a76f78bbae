use serde::{Deserialize, Serialize};

use crate::minivoice::RecordingStatus;
use crate::Extra;

/// A recording's metadata as MiniVoice returns it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub id: String,
    pub status: RecordingStatus,
    pub duration_seconds: u64,
    pub size_bytes: u64,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

/// What an agent asks for, as the proxy's API and audit trail name it. Closed on purpose: the
/// proxy refuses anything else. `start` and `stop` are MiniVoice's own; `pause` and `resume`
/// are the proxy's (MiniVoice documents only start/stop, so a pause stops the current segment
/// and a resume starts the next one): see [`Action::forwarded`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Start,
    Stop,
    Pause,
    Resume,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Pause => "pause",
            Action::Resume => "resume",
        }
    }

    pub fn from_known(text: &str) -> Option<Action> {
        [Action::Start, Action::Stop, Action::Pause, Action::Resume]
            .into_iter()
            .find(|a| a.as_str() == text)
    }

    /// What MiniVoice is sent for it: always `start` or `stop`, the only actions it documents.
    pub fn forwarded(self) -> Action {
        match self {
            Action::Start | Action::Resume => Action::Start,
            Action::Stop | Action::Pause => Action::Stop,
        }
    }

    /// Whether MiniVoice itself takes this action (what `POST …/recordings` accepts).
    pub fn is_minivoice(self) -> bool {
        self.forwarded() == self
    }
}

/// Body of `POST …/recordings`, to the proxy and to MiniVoice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// Only `start` or `stop`: what MiniVoice takes. Pause and resume have routes of their
    /// own, so `{"action":"pause"}` here is refused as it always was.
    #[serde(deserialize_with = "minivoice_action")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::minivoice_action))]
    pub action: Action,
}

fn minivoice_action<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
    let action = Action::deserialize(d)?;
    if action.is_minivoice() {
        Ok(action)
    } else {
        Err(serde::de::Error::unknown_variant(
            action.as_str(),
            &["start", "stop"],
        ))
    }
}

// The body of `POST …/pause`, which may also be empty: a pause without a reason. (A `//`
// comment: a doc comment would become the OpenAPI schema's description.) The proxy checks the
// reason's bounds (`server/src/recordings/pause_body.rs`), as the schema states them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    /// Why, in a few words: at most 200 characters, none of them control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")
    )]
    pub reason: Option<String>,
}

/// `data` of MiniVoice's answer to a start or stop.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub call_id: String,
    pub action: Action,
    pub recording: Recording,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

/// MiniVoice's success envelope, `{"data": …}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Data<T> {
    pub data: T,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

impl<T> Data<T> {
    pub fn new(data: T) -> Self {
        Data {
            data,
            extra: Extra::new(),
        }
    }
}
