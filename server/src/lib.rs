//! The MiniVoice recording proxy: the widget's only server. It holds the API key, validates
//! every request, forwards to MiniVoice (or to the built-in sandbox) and serves the widget.

pub mod app;
pub mod auth;
pub mod config;
pub mod embed;
pub mod error;
pub mod events;
pub mod extract;
pub mod failures;
pub mod local;
pub mod openapi;
pub mod ops;
pub mod recordings;
pub mod request_id;
pub mod sandbox;
pub mod schedule;
pub mod secret;
pub mod security;
pub mod serve;
pub mod site;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod telemetry;
pub mod upstream;
pub mod webhooks;
pub mod widget;

mod startup;

pub use app::app;
pub use config::ServeConfig;
pub use secret::Secret;
pub use startup::{start, start_on, Running, StartError};
pub use state::AppState;
