//! MiniVoice's webhooks: a steady flow of signed deliveries, each retried with the same
//! `webhook-id` (and a fresh signature) with backoff until it is answered 2xx, as MiniVoice's
//! sender does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::log::{Kind, Log};

/// Backoff between tries: 0.5 s doubling to 8 s (MiniVoice's schedule, compressed to a run).
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(8);

#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: String,
    pub acknowledged: bool,
    pub tries: u32,
}

pub struct Sender {
    pub nginx: SocketAddr,
    pub secret: String,
    pub client: reqwest::Client,
    pub log: Arc<Log>,
    pub run: String,
}

impl Sender {
    /// `per_second` new deliveries until `stop` flips; each then retries until acknowledged
    /// or `give_up` flips. Returns every delivery.
    pub async fn run(
        self,
        per_second: u64,
        stop: tokio::sync::watch::Receiver<bool>,
        give_up: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<Delivery> {
        let me = Arc::new(self);
        let mut tasks = vec![];
        let mut tick = tokio::time::interval(Duration::from_millis(1000 / per_second));
        let mut n = 0u64;
        while !*stop.borrow() {
            tick.tick().await;
            let call = format!("{}_wh_{}", me.run, (n / 2) % 2);
            let recording = format!("rec_{}_wh_{}", me.run, n / 2);
            let event = if n.is_multiple_of(2) {
                "started"
            } else {
                "stopped"
            };
            let body = serde_json::json!({
                "event": format!("recording.{event}"),
                "call": {"id": call, "status": "in_progress"},
                "recording": {"id": recording, "status": event, "duration_seconds": 1, "size_bytes": 16000}
            })
            .to_string();
            let id = format!("msg_{}_{n}", me.run);
            tasks.push(tokio::spawn(me.clone().deliver(id, body, give_up.clone())));
            n += 1;
        }
        let mut all = vec![];
        for t in tasks {
            all.push(t.await.unwrap());
        }
        all
    }

    async fn deliver(
        self: Arc<Self>,
        id: String,
        body: String,
        give_up: tokio::sync::watch::Receiver<bool>,
    ) -> Delivery {
        let mut pause = FIRST_RETRY;
        let mut tries = 0;
        loop {
            tries += 1;
            let at = self.log.now();
            let sent = minivoice_e2e::try_send_webhook(
                &self.client,
                self.nginx,
                &self.secret,
                &id,
                body.clone(),
                Duration::from_secs(15),
            )
            .await;
            let acknowledged = sent.is_ok_and(|s| s.is_success());
            self.log.note(at, Kind::Webhook, acknowledged);
            if acknowledged || *give_up.borrow() {
                return Delivery {
                    id,
                    acknowledged,
                    tries,
                };
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_RETRY);
        }
    }
}
