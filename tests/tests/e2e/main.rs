//! The browser and end-to-end tests, one binary: each module was its own test binary once,
//! and each of those linked the whole dependency graph again. Metrics are per process, so
//! `alerts` finds in its scrape what its own two proxies counted and, now, what the others'
//! did too: series only ever appear, so that can make a scrape fuller, never emptier.

mod alerts;
mod budget;
mod crm;
mod element;
mod embed;
mod guide;
mod i18n;
mod live;
mod openapi;
mod pause;
mod replicas;
mod supervisor;
mod widget;
