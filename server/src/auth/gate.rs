//! The HTTP side of agent tokens: the route layer that lets a request through only with a
//! valid token for its call, and the extractor that lets only a supervisor through.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRef, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Agent, TokenKeys};
use crate::error::AppError;
use crate::local::{FromThisMachine, Trust};

/// Route layer for everything under `/api/calls/{call_id}`: 401 without a valid token, 403
/// for a call outside its scope; nothing reaches a handler (or MiniVoice) otherwise.
pub async fn require_agent(
    State(keys): State<Option<Arc<TokenKeys>>>,
    // A path that does not decode is refused by the route's own extractor (400), after the
    // token check; there is no call to scope-check here.
    params: Result<RawPathParams, RawPathParamsRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let agent = match &keys {
        None => Agent::anonymous(),
        Some(keys) => {
            let bearer = crate::extract::bearer(req.headers())
                .map(str::to_owned)
                .or_else(|| event_stream_token(&req));
            let Some(token) = bearer.as_deref() else {
                return AppError::Unauthorized("missing bearer token".into()).into_response();
            };
            match keys.verify(token.trim()) {
                Ok(agent) => agent,
                Err(e) => return e.into_response(),
            }
        }
    };
    // Read in place, not collected into a map: this runs on every call route.
    let params = params.ok();
    let call_id = params
        .iter()
        .flat_map(|p| p.iter())
        .find_map(|(k, v)| (k == "call_id").then_some(v));
    if let Some(call_id) = call_id {
        if !agent.may_act_on(call_id) {
            return AppError::ForbiddenCall.into_response();
        }
    }
    tracing::Span::current().record("agent", tracing::field::display(&agent.name));
    req.extensions_mut().insert(agent);
    next.run(req).await
}

/// Browsers' EventSource cannot send headers, so the event stream (and only it) also takes
/// the token as `?access_token=` (never logged: request logs carry the path alone).
fn event_stream_token(req: &Request) -> Option<String> {
    if !req.uri().path().ends_with("/events") {
        return None;
    }
    let axum::extract::Query(mut query) =
        axum::extract::Query::<HashMap<String, String>>::try_from_uri(req.uri()).ok()?;
    query.remove("access_token").filter(|t| !t.is_empty())
}

/// A request a supervisor made: a token for every call, or anonymous from this machine (not
/// a client whose reverse proxy runs here: `crate::local`).
pub struct Supervisor(pub Agent);

impl<S> FromRequestParts<S> for Supervisor
where
    Trust: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let agent = parts
            .extensions
            .get::<Agent>()
            .cloned()
            .ok_or_else(|| AppError::Unauthorized("no agent".into()))?;
        let Ok(FromThisMachine(local)) = FromThisMachine::from_request_parts(parts, state).await;
        if !agent.sees_every_call() || (agent.is_anonymous() && !local) {
            return Err(AppError::SupervisorRequired);
        }
        Ok(Supervisor(agent))
    }
}
