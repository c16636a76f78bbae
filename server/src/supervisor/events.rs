//! `GET /api/events`: every call's live events in one stream, for supervisors. It is the
//! call streams' machinery on the stream of every call (`events::EVERY_CALL`): stored with
//! its own sequence, so it resumes after a `Last-Event-ID` on any replica, and counted under
//! the same caps (in total, and per agent).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;

use crate::auth::Supervisor;
use crate::error::AppError;
use crate::events::{Hub, EVERY_CALL};
use crate::extract::CallId;
use crate::serve::ClientAddr;

/// Every call's live events, as server-sent events (supervisors).
///
/// The events of `GET /api/calls/{call_id}/events`, for every call: `recording` (a segment
/// started or stopped), `call` (`completed`, `ended`), `pause`, `resume`; each `LiveEvent`
/// names its call. `resync` (its `call_id` is `*`) means events were missed: refetch `GET
/// /api/calls`. Each event but `resync` has an `id` to resume from with `Last-Event-ID`, on
/// any replica. A supervisor's token (`calls: ["*"]`, in the header or as `?access_token=`)
/// or, without tokens, a request from this machine.
#[utoipa::path(
    get,
    path = "/events",
    tag = "supervisor",
    operation_id = "streamEveryCallEvents",
    params(crate::openapi::EventsParams),
    security(("agent_token" = []), ("access_token" = [])),
    responses(
        (
            status = 200,
            description = "Server-sent events, each one's `data` a `LiveEvent` naming its call \
                and its name that event's `type`: `recording` (`RecordingEvent`), `call` \
                (`CallEvent`), `pause` (`PauseEvent`), `resume` (`ResumeEvent`), `resync` \
                (`ResyncEvent`)",
            content_type = "text/event-stream",
            body = minivoice_shared::LiveEvent,
        ),
        crate::openapi::SupervisorEventsRefusals,
    )
)]
pub(super) async fn stream(
    State(hub): State<Arc<Hub>>,
    Supervisor(agent): Supervisor,
    peer: ClientAddr,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let every_call = CallId(EVERY_CALL.to_owned());
    crate::events::stream(State(hub), Extension(agent), peer, every_call, headers).await
}
