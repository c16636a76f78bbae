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
