//! What the proxy tells the widget about itself.

use serde::{Deserialize, Serialize};

/// `GET /api/info`: lets the widget label a sandbox so nobody mistakes it for real calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProxyInfo {
    pub sandbox: bool,
    pub version: String,
}
