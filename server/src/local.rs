//! Whether a request comes from this machine: the one place that decides it. What needs no
//! credential (the API without agent tokens, unsigned webhooks, the delivery inspector without
//! tokens) is held to such requests.
//!
//! A TCP peer on loopback is not enough: a reverse proxy on the same host (the reference
//! nginx) connects from 127.0.0.1 for every client it serves, and passes the client's `Host`.
//! So a request is local only when its peer is loopback, it carries none of the headers a
//! reverse proxy adds (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`), and the proxy is not
//! configured as served to others (`PUBLIC_URL`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName};

use crate::config::ServeConfig;

/// Headers a reverse proxy adds: any one of them means the client is somewhere else.
const FORWARDED: [HeaderName; 3] = [
    HeaderName::from_static("forwarded"),
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-real-ip"),
];

/// What the operator said about who reaches this proxy, read once at start-up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Trust {
    /// `PUBLIC_URL` is set: served to others through a reverse proxy, so no request is local.
    pub public: bool,
    /// `--allow-anonymous`: the API without tokens answers requests from elsewhere too.
    pub anonymous_from_anywhere: bool,
    /// `--allow-unsigned-webhooks`: unsigned webhooks are taken from elsewhere too.
    pub unsigned_from_anywhere: bool,
}

impl Trust {
    pub fn new(cfg: &ServeConfig) -> Trust {
        Trust {
            public: cfg.public_url.is_some(),
            anonymous_from_anywhere: cfg.allow_anonymous,
            unsigned_from_anywhere: cfg.allow_unsigned_webhooks,
        }
    }

    /// Whether a request with these headers and extensions comes from this machine. Without
    /// a known peer (a router driven without [`crate::serve::serve`]) it does not.
    pub fn is_local(&self, headers: &HeaderMap, extensions: &Extensions) -> bool {
        let peer_on_loopback = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
        !self.public && peer_on_loopback && !FORWARDED.iter().any(|h| headers.contains_key(h))
    }
}

/// Whether others reach this proxy: it listens beyond loopback, or `PUBLIC_URL` says a
/// reverse proxy serves it. Then what is unsafe in front of real agents must be asked for.
pub fn served_to_others(cfg: &ServeConfig) -> bool {
    cfg.public_url.is_some() || !cfg.listen_addr.ip().is_loopback()
}

/// `true` when the request comes from this machine ([`Trust::is_local`]).
pub struct FromThisMachine(pub bool);

impl<S> FromRequestParts<S> for FromThisMachine
where
    Trust: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let trust = Trust::from_ref(state);
        Ok(FromThisMachine(
            trust.is_local(&parts.headers, &parts.extensions),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(trust: Trust, peer: Option<&str>, header: Option<(&str, &str)>) -> bool {
        let mut headers = HeaderMap::new();
        if let Some((k, v)) = header {
            headers.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let mut extensions = Extensions::new();
        if let Some(peer) = peer {
            extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        trust.is_local(&headers, &extensions)
    }

    #[test]
    fn only_loopback_without_forwarding_headers_and_not_public_is_local() {
        let closed = Trust::default();
        assert!(local(closed, Some("127.0.0.1:5000"), None));
        assert!(local(closed, Some("[::1]:5000"), None));
        assert!(!local(closed, Some("10.0.0.7:5000"), None));
        assert!(!local(closed, None, None));
        for h in ["Forwarded", "X-Forwarded-For", "x-real-ip"] {
            assert!(
                !local(closed, Some("127.0.0.1:5000"), Some((h, "127.0.0.1"))),
                "{h}"
            );
        }
        let public = Trust {
            public: true,
            ..Trust::default()
        };
        assert!(!local(public, Some("127.0.0.1:5000"), None));
    }
}
