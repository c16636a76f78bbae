//! Who may press the button: the widget sends `Authorization: Bearer <token>`, an HS256 JWT
//! naming the agent (`sub`), the calls it may act on (`calls`, `["*"]` for supervisors) and an
//! expiry. Checked before anything is forwarded; without a configured secret the proxy runs
//! anonymous (allowed on loopback, or with `--allow-anonymous`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::TokenPolicy;
use crate::error::AppError;
use crate::secret::Secret;

mod gate;

pub use gate::{require_agent, Supervisor};

/// Scope entry that grants every call.
pub const ALL_CALLS: &str = "*";
/// Clock difference tolerated between the proxy and whoever minted a token, in seconds.
const LEEWAY: u64 = 5;
/// Longest agent name (`sub`), in characters: a name, not a payload.
pub const MAX_AGENT_NAME: usize = 128;
/// Who the audit trail and the widgets name for the automatic resume; no token may claim it.
pub use minivoice_shared::SYSTEM_AGENT;

/// An agent name as the trail, the timeline and the logs show it: 1 to [`MAX_AGENT_NAME`]
/// characters, none of them a control character (a newline or an escape would forge log
/// lines or colours), and never the name of the automatic resume, which it would impersonate.
pub fn check_agent_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("token names no agent".into());
    }
    if name.chars().count() > MAX_AGENT_NAME {
        return Err(format!(
            "the agent name (sub) is longer than {MAX_AGENT_NAME} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the agent name (sub) holds a control character".into());
    }
    if name == SYSTEM_AGENT {
        return Err(format!(
            "the agent name (sub) {name:?} is reserved for the automatic resume"
        ));
    }
    Ok(())
}

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
            name: minivoice_shared::ANONYMOUS_AGENT.into(),
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

/// The signing secrets, as keys for both directions: any verifies, the first signs.
#[derive(Clone)]
pub struct TokenKeys {
    keys: Vec<TokenKey>,
    policy: TokenPolicy,
}

/// One secret and the `kid` that names it in a token's header.
#[derive(Clone)]
struct TokenKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// The `kid` of a secret: the first 8 hex digits of its SHA-256. Derived, not configured, so
/// rotating needs no new syntax and a CRM backend holding the secret computes the same one
/// (`printf %s "$SECRET" | sha256sum | cut -c1-8`). It cannot be turned back into the secret,
/// and tells a guesser nothing a signed token does not already let them check.
pub fn key_id(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(secret.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> Result<Self, String> {
        Self::with_policy(secret, TokenPolicy::default())
    }

    /// `secret` lists one or more secrets separated by whitespace (a space, or a line in a
    /// secret file), newest first: while agents' tokens move to a new secret, both verify.
    /// Each is checked; an error names which one by its position, never its value.
    pub fn with_policy(secret: &Secret, policy: TokenPolicy) -> Result<Self, String> {
        let secrets: Vec<&str> = secret.expose().split_whitespace().collect();
        let mut keys = Vec::with_capacity(secrets.len());
        for (i, s) in secrets.iter().enumerate() {
            if s.len() < MIN_SECRET_LEN {
                let which = match secrets.len() {
                    1 => String::new(),
                    n => format!(" (secret {} of {n})", i + 1),
                };
                return Err(format!(
                    "the widget token secret{which} must be at least {MIN_SECRET_LEN} bytes"
                ));
            }
            keys.push(TokenKey {
                kid: key_id(s),
                encoding: EncodingKey::from_secret(s.as_bytes()),
                decoding: DecodingKey::from_secret(s.as_bytes()),
            });
        }
        if keys.is_empty() {
            return Err("the widget token secret is empty".into());
        }
        Ok(TokenKeys { keys, policy })
    }

    /// The `kid` minted tokens carry: the first secret's.
    pub fn signing_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// A token for `agent` on `calls`; refused when `ttl` exceeds the policy's maximum.
    pub fn try_mint(&self, agent: &str, calls: &[String], ttl: Duration) -> Result<String, String> {
        check_agent_name(agent).map_err(|why| format!("--agent: {why}"))?;
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

    /// Signs arbitrary claims with the first secret, naming it by its `kid` (tests use it
    /// for expired tokens).
    pub fn sign(&self, claims: &Claims) -> String {
        let signing = &self.keys[0];
        let header = Header {
            kid: Some(signing.kid.clone()),
            ..Header::new(Algorithm::HS256)
        };
        jsonwebtoken::encode(&header, claims, &signing.encoding).expect("HS256 signing cannot fail")
    }

    /// The claims of a token signed by one of our secrets: the one its `kid` names (a `kid`
    /// we do not know is refused, even if some secret would match), or, without a `kid`,
    /// whichever matches. A signature that holds decides: its claims' verdict is final.
    fn decode(&self, token: &str, validation: &Validation) -> Result<Claims, AppError> {
        let unauthorized = |e: jsonwebtoken::errors::Error| AppError::Unauthorized(e.to_string());
        let kid = jsonwebtoken::decode_header(token)
            .map_err(unauthorized)?
            .kid;
        let mut refusal = AppError::Unauthorized("token names no secret we hold (kid)".into());
        let candidates = self
            .keys
            .iter()
            .filter(|k| kid.as_ref().is_none_or(|kid| *kid == k.kid));
        for key in candidates {
            match jsonwebtoken::decode::<Claims>(token, &key.decoding, validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) if *e.kind() == ErrorKind::InvalidSignature => refusal = unauthorized(e),
                Err(e) => return Err(unauthorized(e)),
            }
        }
        Err(refusal)
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
        let claims = self.decode(token, &validation)?;
        check_agent_name(&claims.sub).map_err(AppError::Unauthorized)?;
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
        let expired =
            jsonwebtoken::encode(&Header::default(), &claims, &k.keys[0].encoding).unwrap();
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
        let second = TokenKeys::new(&Secret::new("0123456789abcdef0123456789abcdef short"));
        let why = second.err().unwrap();
        assert!(
            why.contains("secret 2 of 2") && !why.contains("short"),
            "{why}"
        );
    }

    #[test]
    fn any_secret_verifies_the_first_signs_and_a_kid_picks_one() {
        const NEW: &str = "ffffffffffffffffffffffffffffffff";
        const OLD: &str = "0123456789abcdef0123456789abcdef";
        let both = TokenKeys::new(&Secret::new(format!("{NEW}\n {OLD}"))).unwrap();
        assert_eq!(key_id(OLD), "3eb1bd43", "SHA-256's first 8 hex digits");
        assert_eq!(both.signing_kid(), key_id(NEW));
        let calls = ["c".to_owned()];
        let minted = both.mint("alice", &calls, Duration::from_secs(60));
        let new_only = TokenKeys::new(&Secret::new(NEW)).unwrap();
        assert!(new_only.verify(&minted).is_ok());
        let old = TokenKeys::new(&Secret::new(OLD)).unwrap();
        assert!(both
            .verify(&old.mint("bob", &calls, Duration::from_secs(60)))
            .is_ok());
        let claims = Claims {
            sub: "carol".into(),
            calls: calls.to_vec(),
            exp: unix_now() + 60,
            ..Claims::default()
        };
        let with_kid = |kid: &str, key: &TokenKeys| {
            let header = Header {
                kid: Some(kid.into()),
                ..Header::default()
            };
            jsonwebtoken::encode(&header, &claims, &key.keys[0].encoding).unwrap()
        };
        assert!(both.verify(&with_kid(&key_id(OLD), &old)).is_ok());
        assert!(both.verify(&with_kid(&key_id(NEW), &old)).is_err());
        assert!(both.verify(&with_kid("00000000", &old)).is_err());
        let bare = jsonwebtoken::encode(&Header::default(), &claims, &old.keys[0].encoding);
        assert!(both.verify(&bare.unwrap()).is_ok(), "no kid: every secret");
        let expired = Claims {
            exp: unix_now() - 600,
            ..claims.clone()
        };
        let stale = jsonwebtoken::encode(&Header::default(), &expired, &old.keys[0].encoding);
        let Err(AppError::Unauthorized(why)) = both.verify(&stale.unwrap()) else {
            panic!("an expired token verified");
        };
        assert!(
            why.contains("xpired"),
            "the matching secret's verdict: {why}"
        );
    }
}
