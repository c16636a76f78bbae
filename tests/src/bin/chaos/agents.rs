//! Agents at work: each acts on its own call (start, pause, resume, stop), one intent at a
//! time with a fresh `Idempotency-Key`, retried with the SAME key after a failure to get an
//! answer, as a browser retrying a request does; a final failure or a refusal refetches the
//! call's state, as the widget does after every action.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::log::{Kind, Log};

/// Answers that mean "try again": nginx or a replica failing, the store unavailable, or the
/// call's lock (or this key) held by an action in flight.
fn worth_retrying(status: u16, code: Option<&str>) -> bool {
    status >= 500 || code == Some("action_in_progress")
}

/// Retries of one intent (then it is given up): 0.25 s doubling, about 8 s in all.
const RETRIES: u32 = 5;
/// The browser's patience with one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone, Debug)]
pub struct Intent {
    pub key: String,
    pub call_id: String,
    pub action: &'static str,
    /// The final answer: status, the recording in it (2xx), the error code (otherwise);
    /// `None` when every attempt failed to get an answer.
    pub answer: Option<(u16, Option<String>, Option<String>)>,
    pub attempts: u32,
}

impl Intent {
    pub fn succeeded(&self) -> bool {
        self.answer
            .as_ref()
            .is_some_and(|a| (200..300).contains(&a.0))
    }

    pub fn recording_id(&self) -> Option<&str> {
        self.answer.as_ref().and_then(|a| a.1.as_deref())
    }
}

pub struct Agent {
    pub base: String,
    pub call_id: String,
    pub token: String,
    pub client: reqwest::Client,
    pub log: Arc<Log>,
}

#[derive(Clone, Copy, PartialEq)]
enum Belief {
    Idle,
    Recording,
    Paused,
}

impl Agent {
    /// Acts until `stop` flips, then returns every intent with its outcome.
    pub async fn run(self, seed: u64, stop: tokio::sync::watch::Receiver<bool>) -> Vec<Intent> {
        let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let mut next = move || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) as u32
        };
        let mut belief = Belief::Idle;
        let mut done = vec![];
        while !*stop.borrow() {
            let action = match belief {
                Belief::Idle => "start",
                Belief::Recording if next() % 2 == 0 => "pause",
                Belief::Recording => "stop",
                Belief::Paused if next() % 4 == 0 => "stop",
                Belief::Paused => "resume",
            };
            let key = format!("{}-{}-{:08x}", self.call_id, done.len(), next());
            let intent = self.intend(key, action).await;
            belief = match (&intent.answer, action) {
                (Some((200..=299, _, _)), "start" | "resume") => Belief::Recording,
                (Some((200..=299, _, _)), "pause") => Belief::Paused,
                (Some((200..=299, _, _)), _) => Belief::Idle,
                _ => self.state().await.unwrap_or(belief),
            };
            done.push(intent);
            // An agent's pace: an action every half second or so.
            tokio::time::sleep(Duration::from_millis(300 + u64::from(next() % 400))).await;
        }
        done
    }

    async fn intend(&self, key: String, action: &'static str) -> Intent {
        let (url, body) = match action {
            "start" | "stop" => (
                format!("{}/api/calls/{}/recordings", self.base, self.call_id),
                format!(r#"{{"action":"{action}"}}"#),
            ),
            _ => (
                format!("{}/api/calls/{}/{action}", self.base, self.call_id),
                String::new(),
            ),
        };
        let mut intent = Intent {
            key,
            call_id: self.call_id.clone(),
            action,
            answer: None,
            attempts: 0,
        };
        let mut pause = Duration::from_millis(250);
        loop {
            intent.attempts += 1;
            let at = self.log.now();
            let sent = self
                .client
                .post(&url)
                .bearer_auth(&self.token)
                .header("content-type", "application/json")
                .header("idempotency-key", &intent.key)
                .body(body.clone())
                .timeout(REQUEST_TIMEOUT)
                .send()
                .await;
            let mut replayed = false;
            let retry = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    replayed = resp.headers().contains_key("idempotent-replayed");
                    let json: Value = resp.json().await.unwrap_or(Value::Null);
                    let code = json["error"]["code"].as_str().map(str::to_owned);
                    let recording = json["data"]["recording"]["id"].as_str().map(str::to_owned);
                    let retry = worth_retrying(status, code.as_deref());
                    self.log.note(at, Kind::Action, !retry);
                    intent.answer = Some((status, recording, code));
                    retry
                }
                Err(_) => {
                    self.log.note(at, Kind::Action, false);
                    true
                }
            };
            // A replayed answer is the key's for good: asking again changes nothing.
            if !retry || replayed || intent.attempts > RETRIES {
                if retry && !replayed {
                    // Never answered for good: the outcome is unknown to the agent.
                    intent.answer = intent
                        .answer
                        .filter(|a| !worth_retrying(a.0, a.2.as_deref()));
                }
                return intent;
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }

    async fn state(&self) -> Option<Belief> {
        let url = format!("{}/api/calls/{}/status", self.base, self.call_id);
        let resp = self
            .client
            .get(url)
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .ok()?;
        let json: Value = resp.json().await.ok()?;
        match json["data"]["recording"].as_str()? {
            "recording" => Some(Belief::Recording),
            "paused" => Some(Belief::Paused),
            _ => Some(Belief::Idle),
        }
    }
}
