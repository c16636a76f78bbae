//! The call's whole story: the stores a test runs on, and helpers for pause, resume, the
//! call's state, its timeline and the delivery inspector.

use minivoice_proxy::{Secret, ServeConfig};
use serde_json::Value;

use super::app::{Answer, TestApp};
use super::postgres::{database_server, test_database};
use super::sse::Events;

/// The stores a test runs against, each fresh: a SQLite file always, and a PostgreSQL
/// database when `TEST_DATABASE_URL` names a server (`cargo xtask test` sets it).
pub struct Databases {
    pub urls: Vec<String>,
    _dir: tempfile::TempDir,
}

pub async fn databases() -> Databases {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.path().join("story.db").display()
    )];
    if let Some(server) = database_server() {
        urls.push(test_database(&server).await);
    }
    Databases { urls, _dir: dir }
}

/// Points `cfg` at the store `url`.
pub fn on_database(cfg: &mut ServeConfig, url: &str) {
    cfg.database_url = Some(Secret::new(url));
}

impl TestApp {
    /// `POST …/pause` with `body` (JSON; none: an empty body), as `token`'s agent.
    pub async fn pause(&self, call_id: &str, body: Option<&str>, token: Option<&str>) -> Answer {
        let path = format!("/api/calls/{call_id}/pause");
        self.call_as("POST", &path, token, body).await
    }

    /// `POST …/resume`, as `token`'s agent.
    pub async fn resume(&self, call_id: &str, token: Option<&str>) -> Answer {
        let path = format!("/api/calls/{call_id}/resume");
        self.call_as("POST", &path, token, None).await
    }

    /// The call's state (`data` of `GET …/status`), which must be answered.
    pub async fn state(&self, call_id: &str, token: Option<&str>) -> Value {
        let path = format!("/api/calls/{call_id}/status");
        let answer = self.call_as("GET", &path, token, None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["data"].clone()
    }

    /// Whether the call is `recording`, `paused` or `idle`.
    pub async fn recording_state(&self, call_id: &str) -> String {
        let state = self.state(call_id, None).await;
        state["recording"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn timeline(&self, call_id: &str, token: Option<&str>) -> Answer {
        let path = format!("/api/calls/{call_id}/timeline");
        self.call_as("GET", &path, token, None).await
    }

    /// `GET /api/webhooks/deliveries{query}` as `token`'s holder.
    pub async fn deliveries(&self, query: &str, token: Option<&str>) -> Answer {
        let path = format!("/api/webhooks/deliveries{query}");
        self.call_as("GET", &path, token, None).await
    }

    /// The call's audit trail entries for `action`, oldest first.
    pub async fn actions_of(&self, call_id: &str, action: &str, token: Option<&str>) -> Vec<Value> {
        let answer = self.activity(call_id, token).await;
        let mut entries: Vec<Value> = answer.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .cloned()
            .collect();
        entries.reverse();
        entries
    }
}

impl Events {
    /// The data of the next event named `name` (others, such as the sandbox's own webhooks'
    /// `recording` events, are passed over), each within the stream's deadline.
    pub async fn until(&mut self, name: &str) -> Value {
        loop {
            let e = self.next().await;
            if e.event == name {
                return serde_json::from_str(&e.data).unwrap();
            }
        }
    }
}
