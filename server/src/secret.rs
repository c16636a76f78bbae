//! A secret that never prints: `Debug` is redacted, so neither a log line nor a panic message
//! can carry the MiniVoice key, the token secret or the webhook secret.

use std::path::Path;
use std::sync::Arc;

/// Shared, not copied: a request's clone of the state (which holds the key) is a counter.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret given as a flag or variable, or else the one read from `file` (the `…_FILE`
    /// variables, for secret mounts; clap lets only one of the two be set).
    pub fn given_or_read(
        given: Option<&Secret>,
        file: Option<&Path>,
    ) -> std::io::Result<Option<Secret>> {
        match file {
            Some(path) => Secret::from_file(path).map(Some),
            None => Ok(given.cloned()),
        }
    }

    /// Reads a secret from a file (for secret mounts), trimmed.
    pub fn from_file(path: &Path) -> std::io::Result<Secret> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("reading {}: {e}", path.display()))
        })?;
        text.parse::<Secret>().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the secret is empty".into());
        }
        Ok(Secret(s.into()))
    }
}
