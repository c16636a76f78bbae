//! The committed `openapi.json` is what the proxy serves, and every route it describes is one
//! the router answers.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tower::ServiceExt;

use crate::app::app;
use crate::startup::test_state;
use crate::state::AppState;

async fn state() -> AppState {
    test_state(true).await
}

async fn served() -> String {
    let resp = app(state().await)
        .oneshot(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body = axum::body::to_bytes(resp.into_body(), 1 << 22)
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn openapi_document_is_the_committed_one() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi.json");
    let served = served().await;
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&committed, &served).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        on_disk == served,
        "openapi.json differs from the document the proxy serves (GET /api/openapi.json): \
         regenerate it with `UPDATE_OPENAPI=1 cargo test -p minivoice-proxy openapi` and \
         commit it"
    );
}

/// The document comes from the routes (`routes!`), so a route cannot be missing from it; this
/// holds the other direction: everything it describes is routed, at the method it says.
#[tokio::test]
async fn openapi_every_documented_operation_is_routed() {
    let doc: serde_json::Value = serde_json::from_str(&served().await).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "{:?}", paths.keys());
    let app = app(state().await);
    for (path, item) in paths {
        let uri = path
            .replace("{call_id}", "call_1")
            .replace("{recording_id}", "rec_1");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let req = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header("host", "127.0.0.1")
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            // Only a 404's body is read: the event stream's never ends.
            if status == StatusCode::NOT_FOUND {
                let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
                    .await
                    .unwrap();
                // A route's own 404 is in the error shape; an empty one is no route at all
                // (the widget's files answer for every path outside `/api`).
                let code = crate::error::error_code(&body);
                assert!(
                    code.is_some() && code.as_deref() != Some("not_found"),
                    "{method} {uri}: no route"
                );
            }
        }
    }
}

/// The limits the document states (typed in its attributes) are the ones the proxy enforces.
#[tokio::test]
async fn the_documents_limits_are_the_validators() {
    let doc: serde_json::Value = serde_json::from_str(&served().await).unwrap();
    let mut ids = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "call_id" || p["name"] == "recording_id" {
                    ids += 1;
                    assert_eq!(p["schema"]["pattern"], crate::extract::ID_PATTERN, "{path}");
                }
            }
        }
    }
    assert!(ids >= 10, "every call and recording ID is described: {ids}");
    let deliveries = &doc["paths"]["/api/webhooks/deliveries"]["get"]["parameters"][0];
    assert_eq!(deliveries["name"], "limit");
    assert_eq!(
        deliveries["schema"]["maximum"],
        crate::webhooks::inspect::MAX_LIMIT
    );
    let default = crate::webhooks::inspect::DEFAULT_LIMIT;
    assert!(deliveries["description"]
        .as_str()
        .unwrap()
        .contains(&format!("default {default}")));
    let reason = &doc["components"]["schemas"]["PauseRequest"]["properties"]["reason"];
    assert_eq!(reason["maxLength"], crate::recordings::MAX_REASON_CHARS);
}
