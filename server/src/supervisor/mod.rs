//! What supervisors see across every call and every replica (they share the store): the calls
//! being recorded or paused now (`GET /api/calls`), every call's live events (`GET
//! /api/events`) and the pause report (`GET /api/reports/pauses`). A supervisor's token
//! (`calls: ["*"]`), or without tokens a request from this machine; an agent's token gets 403
//! `supervisor_required`. A supervisor's Resume is an ordinary resume in their own name
//! (`POST /api/calls/{call_id}/resume`): the same exactly-once path, on record.

mod calls;
mod events;
mod report;

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::events::Hub;
use crate::local::Trust;
use crate::store::Store;

/// The routes; they sit behind `auth::require_agent` (`openapi::agent_only`), which puts the
/// request's [`Agent`] in its extensions.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Store: FromRef<S>,
    Trust: FromRef<S>,
    Arc<Hub>: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(calls::list))
        .routes(routes!(events::stream))
        .routes(routes!(report::pauses))
}
