//! Standard Webhooks 1.0 signatures, checked over the raw bytes with any of several secrets.
//!
//! Hand-written on `hmac` + `sha2` rather than the `standardwebhooks` crate: the crate turns
//! the body into a `str` before it signs, so a signed delivery that was not UTF-8 was refused
//! as malformed (and lost, since a sender stops retrying on a 4xx), and it holds one secret,
//! so a secret could not be rotated without refusing valid deliveries for a while.

use axum::http::{HeaderMap, HeaderName};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::HeaderNames;

/// Shorter secrets can be guessed; Standard Webhooks secrets are 24 bytes or more.
pub const MIN_SECRET_BYTES: usize = 24;
/// How far a delivery's timestamp may be from our clock, either way (replays are refused).
const TOLERANCE_S: i64 = super::TIMESTAMP_TOLERANCE.as_secs() as i64;
/// The only signature scheme Standard Webhooks 1.0 defines (symmetric HMAC-SHA256).
const VERSION: &str = "v1";

/// The secrets `MINIVOICE_WEBHOOK_SECRET` lists: any verifies, the first signs.
#[derive(Clone)]
pub struct WebhookKeys {
    keys: Vec<Vec<u8>>,
}

/// Why a delivery's signature does not hold.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    Missing(HeaderName),
    Unreadable(HeaderName),
    BadTimestamp,
    TooOld,
    TooNew,
    NoMatch,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Missing(name) => write!(f, "missing header {name}"),
            Refusal::Unreadable(name) => write!(f, "invalid header {name}"),
            Refusal::BadTimestamp => f.write_str("failed to parse timestamp"),
            Refusal::TooOld => f.write_str("signature timestamp too old"),
            Refusal::TooNew => f.write_str("signature timestamp too far in future"),
            Refusal::NoMatch => f.write_str("signature invalid"),
        }
    }
}

/// One secret: `whsec_<base64>` (or bare base64) that decodes to at least
/// [`MIN_SECRET_BYTES`]. `position` names it in the error ("secret 2 of 3"), never its value.
fn decode_secret(secret: &str, position: Option<(usize, usize)>) -> Result<Vec<u8>, String> {
    let which = match position {
        Some((n, of)) => format!("MINIVOICE_WEBHOOK_SECRET (secret {n} of {of})"),
        None => "MINIVOICE_WEBHOOK_SECRET".into(),
    };
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    // The decoder's own message names an offending character: a piece of the secret.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| format!("{which} must be whsec_<base64>"))?;
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "{which} must decode to at least {MIN_SECRET_BYTES} bytes (it has {})",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// A single secret as [`WebhookKeys::parse`] checks each one.
pub fn check_secret(secret: &str) -> Result<(), String> {
    decode_secret(secret, None).map(drop)
}

impl WebhookKeys {
    /// Secrets separated by whitespace (a space, or a line in a secret file), newest first:
    /// while MiniVoice moves to a new secret, deliveries signed with either verify.
    pub fn parse(list: &str) -> Result<WebhookKeys, String> {
        let secrets: Vec<&str> = list.split_whitespace().collect();
        if secrets.is_empty() {
            return Err("MINIVOICE_WEBHOOK_SECRET is empty".into());
        }
        let several = secrets.len() > 1;
        let keys = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| decode_secret(s, several.then_some((i + 1, secrets.len()))))
            .collect::<Result<_, _>>()?;
        Ok(WebhookKeys { keys })
    }

    /// The `v1,<base64>` signature of `body` sent as `id` at `timestamp`, with the first
    /// secret (what the built-in sandbox sends).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = mac(&self.keys[0], id, timestamp, body)
            .finalize()
            .into_bytes();
        let encoded = base64::engine::general_purpose::STANDARD.encode(tag);
        format!("{VERSION},{encoded}")
    }

    /// Holds when the timestamp is within the tolerance of `now` and any `v1` signature in
    /// the (space-separated) signature header matches the body under any secret: which one
    /// (0 is the first), so that the inspector can tell when the older ones are still in use.
    pub fn verify(
        &self,
        names: &HeaderNames,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<usize, Refusal> {
        let id = header(headers, &names.id)?;
        let signatures = header(headers, &names.signature)?;
        let timestamp: i64 = header(headers, &names.timestamp)?
            .parse()
            .map_err(|_| Refusal::BadTimestamp)?;
        if now - timestamp > TOLERANCE_S {
            return Err(Refusal::TooOld);
        }
        if timestamp > now + TOLERANCE_S {
            return Err(Refusal::TooNew);
        }
        let candidates: Vec<Vec<u8>> = signatures
            .split_ascii_whitespace()
            .filter_map(|s| s.split_once(','))
            .filter(|(version, _)| *version == VERSION)
            .filter_map(|(_, sig)| base64::engine::general_purpose::STANDARD.decode(sig).ok())
            .collect();
        let matching = self.keys.iter().position(|key| {
            let expected = mac(key, id, timestamp, body);
            // `verify_slice` compares in constant time: timing tells nothing of the tag.
            candidates
                .iter()
                .any(|sig| expected.clone().verify_slice(sig).is_ok())
        });
        matching.ok_or(Refusal::NoMatch)
    }
}

/// HMAC-SHA256 over `id.timestamp.` and the body's bytes, as they came.
fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    mac
}

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<&'a str, Refusal> {
    headers
        .get(name)
        .ok_or_else(|| Refusal::Missing(name.clone()))?
        .to_str()
        .map_err(|_| Refusal::Unreadable(name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const B: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn headers(id: &str, ts: i64, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", signature.parse().unwrap());
        h
    }

    #[test]
    fn the_standard_webhooks_test_vector_signs_alike() {
        let keys = WebhookKeys::parse(B).unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            keys.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn any_secret_and_any_signature_verifies_over_any_bytes() {
        let names = HeaderNames::default();
        let body = b"{\"x\":\"\xff\xfe\"}";
        let now = 1_700_000_000;
        let by_b = WebhookKeys::parse(B).unwrap().sign("m", now, body);
        let by_a = WebhookKeys::parse(A).unwrap().sign("m", now, body);
        let both = WebhookKeys::parse(&format!("{A}\n{B}")).unwrap();
        assert_eq!(both.sign("m", now, body), by_a, "the first signs");
        for (sig, signed_by) in [
            (&by_a, 0),
            (&by_b, 1),
            (&format!("v1,AAAA {by_b}"), 1),
            (&format!("v2,x  {by_a}"), 0),
            (&format!("{by_b} {by_a}"), 0),
        ] {
            assert_eq!(
                both.verify(&names, &headers("m", now, sig), body, now),
                Ok(signed_by)
            );
        }
        let only_a = WebhookKeys::parse(A).unwrap();
        let refused = |sig: &str, ts: i64| only_a.verify(&names, &headers("m", ts, sig), body, now);
        assert_eq!(refused(&by_b, now), Err(Refusal::NoMatch));
        assert_eq!(
            refused(&by_a.replace("v1", "v2"), now),
            Err(Refusal::NoMatch)
        );
        assert_eq!(refused(&by_a, now - 301), Err(Refusal::TooOld));
        assert_eq!(refused(&by_a, now + 301), Err(Refusal::TooNew));
        let mut no_id = headers("m", now, &by_a);
        no_id.remove("webhook-id");
        let missing = only_a.verify(&names, &no_id, body, now).unwrap_err();
        assert_eq!(missing.to_string(), "missing header webhook-id");
    }

    #[test]
    fn each_secret_is_checked_and_named_by_its_position() {
        assert!(check_secret("whsec_").is_err());
        assert!(check_secret("whsec_c2hvcnQ=").is_err());
        assert!(check_secret("whsec_not base64!").is_err());
        assert!(check_secret(A).is_ok());
        assert!(check_secret(&crate::sandbox::new_webhook_secret()).is_ok());
        let e = WebhookKeys::parse(&format!("{A} whsec_c2hvcnQ="))
            .err()
            .unwrap();
        assert!(
            e.contains("secret 2 of 2") && e.contains("at least 24"),
            "{e}"
        );
        let e = WebhookKeys::parse(&format!("{A} whsec_n0t-base64!"))
            .err()
            .unwrap();
        assert!(e.contains("secret 2 of 2") && !e.contains("n0t"), "{e}");
        assert!(WebhookKeys::parse(" \n").is_err());
    }
}
