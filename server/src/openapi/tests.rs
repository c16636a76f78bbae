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

fn each_operation(doc: &serde_json::Value) -> Vec<(String, &serde_json::Value)> {
    let mut ops = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((format!("{} {path}", method.to_uppercase()), op));
        }
    }
    ops
}

/// Generators name a client's methods and types after operationIds: each one unique (the
/// document is invalid otherwise) and saying what it does, not a handler's name (`list`).
#[tokio::test]
async fn openapi_operation_ids_are_unique_and_meaningful() {
    let doc: serde_json::Value = serde_json::from_str(&served().await).unwrap();
    let mut seen = std::collections::HashSet::new();
    for (op_name, op) in each_operation(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        let camel = id.len() > 4
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric())
            && id.chars().any(|c| c.is_ascii_uppercase());
        assert!(camel, "{op_name}: operation_id = \"verbNoun\", not {id:?}");
        assert!(seen.insert(id.to_owned()), "{op_name}: {id} is taken");
    }
    for id in ["listRecordings", "changeRecording", "listWebhookDeliveries"] {
        assert!(seen.contains(id), "{id}");
    }
}

/// Who may call each operation is stated: a token scheme, or `security: []` for public ones;
/// each tag an operation names is described; there is somewhere to send requests.
#[tokio::test]
async fn openapi_security_tags_and_servers_are_declared() {
    let doc: serde_json::Value = serde_json::from_str(&served().await).unwrap();
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for scheme in ["agent_token", "access_token", "metrics_token"] {
        assert!(schemes[scheme]["description"].is_string(), "{scheme}");
    }
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|t| assert!(t["description"].is_string(), "{t}"))
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for (op_name, op) in each_operation(&doc) {
        let security = op["security"].as_array();
        assert!(security.is_some(), "{op_name} says nothing of who may call");
        for tag in op["tags"].as_array().unwrap() {
            assert!(
                tags.contains(&tag.as_str().unwrap()),
                "{op_name}: add {tag} to TAGS in openapi/document.rs"
            );
        }
    }
    let security = |path: &str| doc["paths"][path]["get"]["security"].clone();
    assert_eq!(security("/healthz"), serde_json::json!([]));
    assert_eq!(security("/api/info"), serde_json::json!([]));
    assert_eq!(
        security("/metrics"),
        serde_json::json!([{ "metrics_token": [] }, {}])
    );
    assert_eq!(
        security("/api/calls/{call_id}/status"),
        serde_json::json!([{ "agent_token": [] }])
    );
    assert_eq!(
        doc["paths"]["/webhooks/minivoice"]["post"]["security"],
        serde_json::json!([])
    );
    assert!(doc["servers"][0]["url"].is_string());
}

/// Every path answers a method it does not take with 405 in the error shape, so every
/// operation lists 405; the actions, whose task can fail unforeseen, list 500.
#[tokio::test]
async fn openapi_lists_405_everywhere_and_500_where_it_can_happen() {
    let doc: serde_json::Value = serde_json::from_str(&served().await).unwrap();
    let app = app(state().await);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let listed = op["responses"]["405"]["description"].as_str();
            assert!(
                listed.is_some_and(|d| d.contains("`method_not_allowed`")),
                "{method} {path}"
            );
        }
        let uri = path
            .replace("{call_id}", "call_1")
            .replace("{recording_id}", "rec_1");
        let req = Request::builder()
            .method(Method::PATCH)
            .uri(&uri)
            .header("host", "127.0.0.1")
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "PATCH {uri}");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let code = crate::error::error_code(&body);
        assert_eq!(code.as_deref(), Some("method_not_allowed"), "PATCH {uri}");
    }
    for path in ["recordings", "pause", "resume"] {
        let op = &doc["paths"][format!("/api/calls/{{call_id}}/{path}")]["post"];
        let listed = op["responses"]["500"]["description"].as_str();
        assert!(
            listed.is_some_and(|d| d.contains("`internal_error`")),
            "{path}"
        );
    }
}

/// Envelopes are components named for what they hold, which they reference, so a generator
/// names `RecordingList`, not `Data2`; the event stream is typed with each event named.
#[tokio::test]
async fn openapi_envelopes_and_live_events_are_named() {
    let served = served().await;
    assert!(!served.contains("Data_"), "an envelope is left unnamed");
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    let schemas = &doc["components"]["schemas"];
    let schema_of = |path: &str, method: &str, content: &str| {
        doc["paths"][path][method]["responses"]["200"]["content"][content]["schema"]["$ref"].clone()
    };
    let recordings = "/api/calls/{call_id}/recordings";
    assert_eq!(
        schema_of(recordings, "get", "application/json"),
        "#/components/schemas/RecordingList"
    );
    assert_eq!(
        schemas["RecordingList"]["properties"]["data"]["items"]["$ref"],
        "#/components/schemas/Recording"
    );
    assert_eq!(
        schema_of(recordings, "post", "application/json"),
        "#/components/schemas/ActionResultResponse"
    );
    assert_eq!(
        schemas["ActionResultResponse"]["properties"]["data"]["$ref"],
        "#/components/schemas/ActionResult"
    );
    assert_eq!(
        schema_of("/api/webhooks/deliveries", "get", "application/json"),
        "#/components/schemas/WebhookDeliveryList"
    );
    assert_eq!(
        schema_of("/api/calls/{call_id}/events", "get", "text/event-stream"),
        "#/components/schemas/LiveEvent"
    );
    let live = &schemas["LiveEvent"];
    for name in ["recording", "call", "resync", "pause", "resume"] {
        let pascal = name[..1].to_uppercase() + &name[1..];
        let component = format!("#/components/schemas/{pascal}Event");
        assert_eq!(live["discriminator"]["mapping"][name], component.as_str());
        assert!(live["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["$ref"] == component.as_str()));
        assert_eq!(
            schemas[format!("{pascal}Event")]["properties"]["type"]["enum"][0],
            name
        );
    }
}
