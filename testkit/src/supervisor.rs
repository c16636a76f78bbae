//! The supervisor's routes: the calls recorded or paused now, every call's event stream, and
//! the pause report.

use super::app::{Answer, TestApp};
use super::sse::Events;

impl TestApp {
    /// `GET /api/calls{query}` as `token`'s holder.
    pub async fn live_calls(&self, query: &str, token: Option<&str>) -> Answer {
        self.call_as("GET", &format!("/api/calls{query}"), token, None)
            .await
    }

    /// The call IDs `GET /api/calls{query}` lists, which must be answered.
    pub async fn live_call_ids(&self, query: &str, token: Option<&str>) -> Vec<String> {
        let answer = self.live_calls(query, token).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["call_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Opens `GET /api/events` (every call's), resuming after `last_id`, with `token` in the
    /// query; the answer as is.
    pub async fn open_every_call_events(
        &self,
        last_id: Option<&str>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut path = "/api/events".to_owned();
        if let Some(t) = token {
            path.push_str(&format!("?access_token={t}"));
        }
        let mut req = self.request("GET", &path);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id);
        }
        req.send().await.unwrap()
    }

    /// [`TestApp::open_every_call_events`], which must succeed, as [`Events`].
    pub async fn every_call_events(&self, last_id: Option<&str>, token: Option<&str>) -> Events {
        let resp = self.open_every_call_events(last_id, token).await;
        assert_eq!(resp.status(), 200);
        Events::new(resp)
    }

    /// `GET /api/reports/pauses{query}` with `accept` as `token`'s holder.
    pub async fn pause_report(&self, query: &str, accept: &str, token: Option<&str>) -> Answer {
        let mut req = self
            .request("GET", &format!("/api/reports/pauses{query}"))
            .header("accept", accept);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        self.send(req).await
    }
}
