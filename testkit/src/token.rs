//! Agent tokens, minted in one place with the one secret test proxies are given.

use std::time::Duration;

use minivoice_proxy::auth::{Claims, TokenKeys};
use minivoice_proxy::{Secret, ServeConfig};

/// The widget token secret of every proxy that requires tokens (long enough to be accepted).
pub const TOKEN_SECRET: &str = "test-secret-0123456789abcdef-0123456789";

/// Makes `cfg` require agents' tokens signed with [`TOKEN_SECRET`].
pub fn require_tokens(cfg: &mut ServeConfig) {
    cfg.token_secret.secret = Some(Secret::new(TOKEN_SECRET));
}

/// [`TOKEN_SECRET`] as signing keys, without audience or issuer.
pub fn keys() -> TokenKeys {
    TokenKeys::new(&Secret::new(TOKEN_SECRET)).unwrap()
}

/// A token for `agent` on `calls`, valid for ten minutes.
pub fn token(agent: &str, calls: &[&str]) -> String {
    token_for(agent, calls, Duration::from_secs(600))
}

/// A token for `agent` on `calls`, valid for `ttl`.
pub fn token_for(agent: &str, calls: &[&str], ttl: Duration) -> String {
    let calls: Vec<String> = calls.iter().map(|c| c.to_string()).collect();
    keys().mint(agent, &calls, ttl)
}

/// Arbitrary claims (expired, not yet valid, foreign audience…) signed with [`TOKEN_SECRET`].
pub fn signed(claims: &Claims) -> String {
    keys().sign(claims)
}

/// Another token secret, for rotation.
pub const NEW_TOKEN_SECRET: &str = "new-token-secret-rotated-in-0123456789abcdef";

/// A ten-minute token for `agent` on `calls`, signed with `secret` by `jsonwebtoken` itself
/// (not the proxy's minting), with `kid` in its header when given.
pub fn token_signed_by(secret: &str, kid: Option<&str>, agent: &str, calls: &[&str]) -> String {
    let now = minivoice_proxy::auth::unix_now();
    let claims = Claims {
        sub: agent.into(),
        calls: calls.iter().map(|c| c.to_string()).collect(),
        iat: Some(now),
        exp: now + 600,
        ..Claims::default()
    };
    let header = jsonwebtoken::Header {
        kid: kid.map(str::to_owned),
        ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
    };
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// The `kid` in a token's header, if any.
pub fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).unwrap().kid
}
