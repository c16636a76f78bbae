//! The caps on open connections: in all (`MAX_CONNECTIONS`) and per client address
//! (`MAX_CONNECTIONS_PER_CLIENT`). Checked in the accept loop, before a connection costs
//! anything but its descriptor, so holding idle sockets cannot exhaust the file limit and take
//! `/healthz` down with it; one address cannot take every connection either.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use ipnet::IpNet;

use crate::telemetry;

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

/// Which cap refused a connection: the metric's label and the log's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    Total,
    PerClient,
}

impl Cap {
    pub fn label(self) -> &'static str {
        match self {
            Cap::Total => "total",
            Cap::PerClient => "per_client",
        }
    }
}

pub struct Caps {
    total: usize,
    per_client: usize,
    exempt: Exempt,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    /// Only addresses with a connection open: at most `total` entries.
    by_client: HashMap<IpAddr, usize>,
}

impl Caps {
    pub fn new(total: usize, per_client: usize, exempt: Exempt) -> Arc<Caps> {
        telemetry::connections_max(total);
        Arc::new(Caps {
            total,
            per_client,
            exempt,
            open: Mutex::default(),
        })
    }

    /// A permit for a connection from `ip`, held while it is open; or the cap it would pass.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Cap> {
        // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`.
        let ip = ip.to_canonical();
        let counted = !self.exempt.contains(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= self.total {
            return Err(Cap::Total);
        }
        if counted {
            let held = open.by_client.entry(ip).or_default();
            if *held >= self.per_client {
                return Err(Cap::PerClient);
            }
            *held += 1;
        }
        open.total += 1;
        telemetry::connections_open(open.total);
        Ok(Permit {
            caps: self.clone(),
            client: counted.then_some(ip),
        })
    }
}

/// One open connection's place under the caps; given back when dropped.
pub struct Permit {
    caps: Arc<Caps>,
    /// `None` for an exempt address (counted in all only).
    client: Option<IpAddr>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        if let Some(ip) = self.client {
            if let Some(held) = open.by_client.get_mut(&ip) {
                *held -= 1;
                if *held == 0 {
                    open.by_client.remove(&ip);
                }
            }
        }
        telemetry::connections_open(open.total);
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
    fn caps_count_per_client_and_in_all_and_give_back_on_drop() {
        let caps = Caps::new(3, 1, Exempt::loopback());
        let a = caps.admit(ip("192.0.2.1")).unwrap();
        assert_eq!(caps.admit(ip("192.0.2.1")).err(), Some(Cap::PerClient));
        // The same client as an IPv4-mapped IPv6 address is the same client.
        assert_eq!(
            caps.admit(ip("::ffff:192.0.2.1")).err(),
            Some(Cap::PerClient)
        );
        let _b = caps.admit(ip("127.0.0.1")).unwrap();
        let _c = caps.admit(ip("127.0.0.1")).unwrap();
        assert_eq!(caps.admit(ip("192.0.2.2")).err(), Some(Cap::Total));
        drop(a);
        assert!(caps.admit(ip("192.0.2.1")).is_ok());
    }
}
