//! What the handlers share: [`AppState`], its parts, and the `FromRef` impls that let a handler
//! or a router ask for only the parts it needs. Low in the house: it names the parts' types and
//! nothing that serves a request; `startup` assembles it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::HeaderValue;
use minivoice_shared::ProxyInfo;

use crate::auth::TokenKeys;
use crate::events::Hub;
use crate::local::Trust;
use crate::secret::Secret;
use crate::store::Store;
use crate::upstream::Upstream;
use crate::webhooks::Webhooks;
use crate::widget::Widget;

/// Everything the handlers share. axum hands every handler and middleware its own copy of the
/// state on every request, so it is one `Arc` (a clone is a counter increment): as a plain
/// struct its clones and drops were 5% of a forwarded request in the profile.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

pub struct Parts {
    pub upstream: Upstream,
    pub info: ProxyInfo,
    pub widget: Widget,
    /// Origins other than our own that may call `/api` (CORS); empty means same-origin only.
    pub allowed_origins: Arc<[HeaderValue]>,
    /// Agent-token keys; `None` runs anonymous.
    pub tokens: Option<Arc<TokenKeys>>,
    pub store: Store,
    pub hub: Arc<Hub>,
    pub webhooks: Arc<Webhooks>,
    /// A request body must arrive whole within this, so slow clients cannot hold connections.
    pub body_timeout: Duration,
    /// Bearer token `/metrics` requires; `None` serves it to anyone.
    pub metrics_token: Option<Secret>,
    /// How long a pause lasts before the server resumes by itself; `None`: never.
    pub pause_max: Option<Duration>,
    /// Which requests count as this machine's, and what the operator opened beyond it.
    pub trust: Trust,
}

impl AppState {
    /// The parts, shared. Nothing starts here: `startup` starts the background tasks.
    pub fn new(parts: Parts) -> AppState {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// What handlers extract with `State<T>`: each part, cloned out of the shared state.
macro_rules! parts {
    ($($field:ident: $ty:ty,)+) => {
        $(impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> $ty {
                state.0.$field.clone()
            }
        })+
    };
}

parts! {
    upstream: Upstream,
    info: ProxyInfo,
    widget: Widget,
    allowed_origins: Arc<[HeaderValue]>,
    tokens: Option<Arc<TokenKeys>>,
    store: Store,
    hub: Arc<Hub>,
    webhooks: Arc<Webhooks>,
    body_timeout: Duration,
    metrics_token: Option<Secret>,
    pause_max: Option<Duration>,
    trust: Trust,
}
