//! The proxy's integration tests, one binary: each module was its own test binary once, and
//! each of those linked the whole dependency graph again. The harness is the `testkit` crate.
//!
//! `secrets.rs` stays its own binary: it installs the process's log subscriber.

mod auth;
mod concurrency;
mod crash;
mod deliveries;
mod forwarding;
mod http_surface;
mod lifecycle;
mod live;
mod pause;
mod production;
mod replicas;
mod retries;
mod sandbox;
mod signatures;
mod single_binary;
mod soak;
mod supervisor;
mod supervisor_scale;
mod timeline;
mod validation;
