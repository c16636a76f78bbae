//! What settings parse into beyond std's types, kept here so the configuration needs nothing
//! from the modules that use it: the log format, origins, the public URL, exempt addresses and
//! the webhook timestamp tolerance the retention range is measured against.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use ipnet::IpNet;

/// `LOG_FORMAT` / `--log-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, the request's span fields before it.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields` (the event's, with
    /// `message`), `target`, `span` (the innermost span's fields: `request_id`, `call_id`,
    /// `agent`, …) and `spans`.
    Json,
}

/// How far a delivery's timestamp may be from our clock, either way (Standard Webhooks' 5
/// minutes): the verifier's, and what `WEBHOOK_RETENTION` must outlast (config/ranges.rs).
pub const TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// An origin as browsers send it: `scheme://host[:port]`, nothing more.
pub fn parse_origin(s: &str) -> Result<HeaderValue, String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("origin {s:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err(format!("origin {s:?} must be scheme://host[:port] only"));
    }
    HeaderValue::from_str(s).map_err(|e| e.to_string())
}

/// `PUBLIC_URL`: an `http://` or `https://` URL with a host, such as
/// `https://recordings.example.com`.
pub fn parse_public_url(s: &str) -> Result<reqwest::Url, String> {
    let hint = "PUBLIC_URL (--public-url) must be the http:// or https:// address others reach \
                the proxy at, such as https://recordings.example.com";
    let url = reqwest::Url::parse(s.trim()).map_err(|e| format!("{hint}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{hint}; {s:?} is not"));
    }
    Ok(url)
}

/// Client addresses not held to the per-client cap (`PER_CLIENT_CAP_EXEMPT`): reverse
/// proxies, which bring many clients on one address. Behind the reference nginx every client
/// is 127.0.0.1, so loopback is the default; nginx limits its own clients.
#[derive(Clone, Debug)]
pub struct Exempt(Arc<[IpNet]>);

impl Exempt {
    /// `127.0.0.0/8,::1`-style lists (an address alone is its own range); `none` for none.
    pub fn parse(s: &str) -> Result<Exempt, String> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(Exempt(Arc::new([])));
        }
        s.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{part:?} is neither an IP address nor a CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| Exempt(nets.into()))
    }

    pub fn loopback() -> Exempt {
        Exempt::parse("127.0.0.0/8,::1").expect("a valid list")
    }

    pub fn none() -> Exempt {
        Exempt(Arc::new([]))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn exempt_lists_parse_addresses_ranges_and_none() {
        let list = Exempt::parse("10.0.0.0/8, 192.0.2.7,::1").unwrap();
        assert!(list.contains(ip("10.1.2.3")));
        assert!(list.contains(ip("192.0.2.7")));
        assert!(!list.contains(ip("192.0.2.8")));
        assert!(list.contains(ip("::1")));
        assert!(!Exempt::parse("none").unwrap().contains(ip("127.0.0.1")));
        assert!(Exempt::loopback().contains(ip("127.0.0.2")));
        let err = Exempt::parse("10.0.0.0/33").unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn public_urls() {
        assert!(parse_public_url("https://recordings.example.com").is_ok());
        assert!(parse_public_url("http://10.0.0.5:8080/").is_ok());
        for bad in ["recordings.example.com", "ftp://x.example", "https://", ""] {
            let e = parse_public_url(bad).unwrap_err();
            assert!(e.contains("PUBLIC_URL"), "{bad}: {e}");
        }
    }

    #[test]
    fn origins() {
        assert!(parse_origin("https://crm.example.com").is_ok());
        assert!(parse_origin("http://127.0.0.1:3000").is_ok());
        for bad in [
            "crm.example.com",
            "https://x.com/",
            "https://*.x.com",
            "https://",
            "ftp://x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
