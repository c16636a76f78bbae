use serde::{Deserialize, Serialize};

use crate::minivoice::RecordingStatus;
use crate::Extra;

/// A recording's metadata as MiniVoice returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub id: String,
    pub status: RecordingStatus,
    pub duration_seconds: u64,
    pub size_bytes: u64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What an agent asks for. Closed on purpose: the proxy refuses anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Start,
    Stop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
        }
    }
}

/// Body of `POST …/recordings`, to the proxy and to MiniVoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: Action,
}

/// `data` of MiniVoice's answer to a start or stop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub call_id: String,
    pub action: Action,
    pub recording: Recording,
    #[serde(flatten)]
    pub extra: Extra,
}

/// MiniVoice's success envelope, `{"data": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Data<T> {
    pub data: T,
    #[serde(flatten)]
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
