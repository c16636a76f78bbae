//! Who may press the button: the widget sends `Authorization: Bearer <token>`, an HS256 JWT
//! naming the agent (`sub`), the calls it may act on (`calls`, `["*"]` for supervisors) and an
//! expiry. Checked before anything is forwarded; without a configured secret the proxy runs
//! anonymous (allowed on loopback, or with `--allow-anonymous`).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::config::TokenPolicy;
use crate::error::AppError;
use crate::secret::Secret;

/// Scope entry that grants every call.
pub const ALL_CALLS: &str = "*";
/// Clock difference tolerated between the proxy and whoever minted a token, in seconds.
const LEEWAY: u64 = 5;
/// Shorter secrets are refused: HS256 is only as strong as its key.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The agent.
    pub sub: String,
    /// Call IDs this token may act on; `["*"]` for all.
    pub calls: Vec<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not valid before (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

/// The agent a request acts for, put in the request's extensions by [`require_agent`].
#[derive(Clone, Debug, PartialEq)]
pub struct Agent {
    pub name: String,
    calls: Vec<String>,
    /// When the token stops being valid (Unix seconds); `None` when anonymous.
    pub expires_at: Option<u64>,
}

impl Agent {
    /// The identity recorded when no token secret is configured.
    pub fn anonymous() -> Self {
        Agent {
            name: "anonymous".into(),
            calls: vec![ALL_CALLS.into()],
            expires_at: None,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.expires_at.is_none()
    }

    /// A supervisor's token (`calls: ["*"]`), or anonymous: may see what spans every call.
    pub fn sees_every_call(&self) -> bool {
        self.calls.iter().any(|c| c == ALL_CALLS)
    }

    pub fn may_act_on(&self, call_id: &str) -> bool {
        self.calls.iter().any(|c| c == ALL_CALLS || c == call_id)
    }
}

/// The signing secret, as keys for both directions.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    policy: TokenPolicy,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> Result<Self, String> {
        Self::with_policy(secret, TokenPolicy::default())
    }

    pub fn with_policy(secret: &Secret, policy: TokenPolicy) -> Result<Self, String> {
        let bytes = secret.expose().as_bytes();
        if bytes.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the widget token secret must be at least {MIN_SECRET_LEN} bytes"
            ));
        }
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            policy,
        })
    }

    /// A token for `agent` on `calls`; refused when `ttl` exceeds the policy's maximum.
    pub fn try_mint(&self, agent: &str, calls: &[String], ttl: Duration) -> Result<String, String> {
        if ttl > self.policy.max_token_ttl {
            return Err(format!(
                "--ttl {}s is longer than MAX_TOKEN_TTL ({}s)",
                ttl.as_secs(),
                self.policy.max_token_ttl.as_secs()
            ));
        }
        let now = unix_now();
        Ok(self.sign(&Claims {
            sub: agent.to_owned(),
            calls: calls.to_vec(),
            iat: Some(now),
            exp: now + ttl.as_secs(),
            nbf: None,
            aud: self.policy.token_audience.clone(),
            iss: self.policy.token_issuer.clone(),
        }))
    }

    /// [`TokenKeys::try_mint`] for lifetimes known to be within the policy (tests, sandbox).
    pub fn mint(&self, agent: &str, calls: &[String], ttl: Duration) -> String {
        self.try_mint(agent, calls, ttl)
            .expect("ttl within MAX_TOKEN_TTL")
    }

    /// Signs arbitrary claims (tests use it for expired tokens).
    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Agent, AppError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &self.policy.token_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.policy.token_issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| AppError::Unauthorized(e.to_string()))?
            .claims;
        if claims.sub.is_empty() {
            return Err(AppError::Unauthorized("token names no agent".into()));
        }
        // Without `iat` the lifetime still left is what counts; a future `iat` cannot shorten
        // a lifetime on paper.
        let now = unix_now();
        if claims.iat.is_some_and(|iat| iat > now + LEEWAY) {
            return Err(AppError::Unauthorized("token issued in the future".into()));
        }
        let issued = claims.iat.unwrap_or(now).min(now);
        if claims.exp.saturating_sub(issued) > self.policy.max_token_ttl.as_secs() {
            return Err(AppError::Unauthorized(format!(
                "token lifetime exceeds {}s (MAX_TOKEN_TTL)",
                self.policy.max_token_ttl.as_secs()
            )));
        }
        Ok(Agent {
            name: claims.sub,
            calls: claims.calls,
            expires_at: Some(claims.exp),
        })
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Route layer for everything under `/api/calls/{call_id}`: 401 without a valid token, 403
/// for a call outside its scope; nothing reaches a handler (or MiniVoice) otherwise.
pub async fn require_agent(
    State(keys): State<Option<Arc<TokenKeys>>>,
    // A path that does not decode is refused by the route's own extractor (400), after the
    // token check; there is no call to scope-check here.
    params: Result<Path<HashMap<String, String>>, PathRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let agent = match &keys {
        None => Agent::anonymous(),
        Some(keys) => {
            let bearer = crate::extract::bearer(req.headers())
                .map(str::to_owned)
                .or_else(|| event_stream_token(&req));
            let Some(token) = bearer.as_deref() else {
                return AppError::Unauthorized("missing bearer token".into()).into_response();
            };
            match keys.verify(token.trim()) {
                Ok(agent) => agent,
                Err(e) => return e.into_response(),
            }
        }
    };
    let params = params.map(|Path(p)| p).unwrap_or_default();
    if let Some(call_id) = params.get("call_id") {
        if !agent.may_act_on(call_id) {
            return AppError::ForbiddenCall.into_response();
        }
    }
    tracing::Span::current().record("agent", tracing::field::display(&agent.name));
    req.extensions_mut().insert(agent);
    next.run(req).await
}

/// Browsers' EventSource cannot send headers, so the event stream (and only it) also takes
/// the token as `?access_token=` (never logged: request logs carry the path alone).
fn event_stream_token(req: &Request) -> Option<String> {
    if !req.uri().path().ends_with("/events") {
        return None;
    }
    let axum::extract::Query(mut query) =
        axum::extract::Query::<HashMap<String, String>>::try_from_uri(req.uri()).ok()?;
    query.remove("access_token").filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&Secret::new("0123456789abcdef0123456789abcdef")).unwrap()
    }

    #[test]
    fn minted_tokens_verify_and_scope_calls() {
        let k = keys();
        let t = k.mint("alice", &["call_1".into()], Duration::from_secs(60));
        let agent = k.verify(&t).unwrap();
        assert_eq!(agent.name, "alice");
        assert!(agent.may_act_on("call_1"));
        assert!(!agent.may_act_on("call_2"));
        let sup = k.verify(&k.mint("sup", &[ALL_CALLS.into()], Duration::from_secs(60)));
        assert!(sup.unwrap().may_act_on("anything"));
    }

    #[test]
    fn forged_expired_and_malformed_tokens_fail() {
        let k = keys();
        let other = TokenKeys::new(&Secret::new("ffffffffffffffffffffffffffffffff")).unwrap();
        let forged = other.mint("mallory", &["call_1".into()], Duration::from_secs(60));
        assert!(matches!(k.verify(&forged), Err(AppError::Unauthorized(_))));
        let claims = Claims {
            sub: "alice".into(),
            calls: vec!["call_1".into()],
            iat: Some(1),
            exp: unix_now() - 120,
            nbf: None,
            aud: None,
            iss: None,
        };
        let expired = jsonwebtoken::encode(&Header::default(), &claims, &k.encoding).unwrap();
        assert!(matches!(k.verify(&expired), Err(AppError::Unauthorized(_))));
        for junk in ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
            assert!(
                matches!(k.verify(junk), Err(AppError::Unauthorized(_))),
                "{junk}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(&Secret::new("short")).is_err());
    }
}
