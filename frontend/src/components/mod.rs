//! The widget's parts, one file each. [`Widget`] holds the call's data and wires it to them.

mod activity;
mod controls;
mod details;
mod error;
mod header;
mod no_call;
mod recordings;
mod widget;

pub use no_call::NoCall;
pub use widget::Widget;
