//! `GET /api/calls?state=recording|paused|active`: the calls being recorded or paused now,
//! newest first, a page at a time, from the store, so every replica answers the same.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use minivoice_shared::{LiveCallPage, RecordingState};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Supervisor;
use crate::error::AppError;
use crate::failures;
use crate::openapi::SupervisorRefusals;
use crate::store::{ListPlace, Store};

/// Calls listed when the query does not say.
const DEFAULT_LIMIT: i64 = 50;
/// Most calls one page lists.
const MAX_LIMIT: i64 = 200;

/// The list's query: described here, read by [`list`] itself so that its refusals are the
/// shared error shape.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CallsQuery {
    /// `recording`, `paused`, or `active` (both; the default).
    #[param(pattern = "^(recording|paused|active)$")]
    state: Option<String>,
    /// How many to list (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The calls being recorded or paused now, newest first (supervisors).
///
/// Each with its current segment, who started it and when; a paused one with who paused it,
/// why, and when the server resumes it by itself (`resume_at`). A supervisor's token
/// (`calls: ["*"]`) or, without tokens, a request from this machine.
#[utoipa::path(
    get,
    path = "/calls",
    tag = "supervisor",
    operation_id = "listLiveCalls",
    params(CallsQuery),
    responses(
        (status = 200, description = "A page of calls", body = LiveCallPage),
        SupervisorRefusals,
    )
)]
pub(super) async fn list(
    State(store): State<Store>,
    _: Supervisor,
    uri: Uri,
) -> Result<Json<LiveCallPage>, AppError> {
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&uri)
        .map_err(|e| AppError::InvalidQuery(e.body_text()))?;
    let states = match query.get("state").map(String::as_str) {
        None | Some("active") => [RecordingState::Recording, RecordingState::Paused],
        Some("recording") => [RecordingState::Recording, RecordingState::Recording],
        Some("paused") => [RecordingState::Paused, RecordingState::Paused],
        Some(_) => {
            return Err(AppError::InvalidQuery(
                "state is recording, paused or active".into(),
            ))
        }
    };
    let limit = crate::extract::page_limit(&query, DEFAULT_LIMIT, MAX_LIMIT)?;
    let place = match query.get("cursor") {
        None => ListPlace::default(),
        Some(c) => read_cursor(c)
            .ok_or_else(|| AppError::InvalidQuery("cursor is not one this list gave".into()))?,
    };
    let (data, next) = store
        .calls_in_state(states, &place, limit)
        .await
        .map_err(|e| failures::store("calls_in_state", e))?;
    Ok(Json(LiveCallPage {
        data,
        next_cursor: next.as_ref().map(write_cursor),
    }))
}

/// Opaque to clients: where the next page starts, so that they cannot come to depend on it.
fn write_cursor(place: &ListPlace) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", place.since, place.call_id))
}

fn read_cursor(cursor: &str) -> Option<ListPlace> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (since, call_id) = text.split_once('|')?;
    let looks_like_a_time = since.len() <= 32 && since.bytes().all(|b| b.is_ascii_graphic());
    (looks_like_a_time && crate::extract::is_valid_id(call_id)).then(|| ListPlace {
        since: since.to_owned(),
        call_id: call_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_others_are_refused() {
        let place = ListPlace {
            since: "2026-03-01T10:00:00.000Z".into(),
            call_id: "call_1".into(),
        };
        assert_eq!(read_cursor(&write_cursor(&place)), Some(place));
        for junk in ["", "!!", "bm9waXBl", &URL_SAFE_NO_PAD.encode("a|b/c")] {
            assert_eq!(read_cursor(junk), None, "{junk}");
        }
    }
}
