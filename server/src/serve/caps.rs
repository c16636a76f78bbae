//! The caps on open connections: in all (`MAX_CONNECTIONS`) and per client address
//! (`MAX_CONNECTIONS_PER_CLIENT`). Checked in the accept loop, before a connection costs
//! anything but its descriptor, so holding idle sockets cannot exhaust the file limit and take
//! `/healthz` down with it; one address cannot take every connection either.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::config::Exempt;
use crate::telemetry;

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
