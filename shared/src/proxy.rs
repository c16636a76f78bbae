//! What the proxy tells the widget about itself.

use serde::{Deserialize, Serialize};

/// `GET /api/info`: lets the widget label a sandbox so nobody mistakes it for real calls.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProxyInfo {
    pub sandbox: bool,
    pub version: String,
    /// Live event streams open now (an operational figure; also how tests see a removed
    /// widget let go of its stream).
    #[serde(default)]
    pub event_streams: usize,
}
