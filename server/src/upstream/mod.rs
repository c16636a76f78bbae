//! The reqwest client to MiniVoice: the one place that knows its base URL and key, bounds every
//! request in time and size, and checks answers against the documented shapes.

mod shape;

use std::time::Duration;

use tokio::time::Instant;

use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use minivoice_shared::{minivoice, ActionRequest, ActionResult, Data, ErrorEnvelope};

use crate::error::AppError;
use crate::secret::Secret;
use crate::telemetry;
use shape::Validate;

/// Larger answers are refused: a recording list is kilobytes, so megabytes mean a fault.
pub const MAX_UPSTREAM_BODY: usize = 1 << 20;

#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    base_url: std::sync::Arc<str>,
    /// `base_url` parsed once, when it parses: a request then only sets its path (parsing the
    /// whole URL, host and all, per request was 4% of the proxy's CPU under load, `perf`).
    base: Option<reqwest::Url>,
    key: Secret,
    timeout: Duration,
}

/// A validated success: MiniVoice's status and its JSON, byte for byte.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Upstream {
    pub fn new(base_url: &str, key: Secret, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            // A redirect would re-send an action (and our key) somewhere we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("minivoice-proxy/", env!("CARGO_PKG_VERSION")))
            // reqwest's default, said here: a request in two segments (head, then body) must
            // not wait for MiniVoice's delayed ACK.
            .tcp_nodelay(true)
            .build()?;
        let base_url: std::sync::Arc<str> = base_url.trim_end_matches('/').into();
        Ok(Upstream {
            client,
            base: reqwest::Url::parse(&base_url).ok(),
            base_url,
            key,
            timeout,
        })
    }

    /// The bound on one MiniVoice exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub async fn list(&self, call_id: &str) -> Result<Reply, AppError> {
        let path = minivoice::recordings_path(call_id);
        observed("list", self.read("list", &path, shape::list).await)
    }

    pub async fn get(&self, call_id: &str, recording_id: &str) -> Result<Reply, AppError> {
        let path = minivoice::recording_path(call_id, recording_id);
        observed("get", self.read("get", &path, shape::one).await)
    }

    /// Starts or stops recording. Sent once, never retried here: a lost answer may hide a
    /// recording that did start, so repeating is the caller's decision, under its
    /// idempotency key, which MiniVoice receives too.
    pub async fn act(
        &self,
        call_id: &str,
        body: &ActionRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Reply, AppError> {
        let path = minivoice::recordings_path(call_id);
        let json = serde_json::to_vec(body).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut req = self
            .request(reqwest::Method::POST, self.url(&path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json);
        if let Some(key) = idempotency_key {
            req = req.header("idempotency-key", key);
        }
        let exchanged = self.exchange("act", req, self.timeout).await;
        observed(
            "act",
            exchanged.and_then(|(status, body)| check(status, body, acted)),
        )
    }

    /// `path` (`/v1/…`, made of validated IDs) under the base URL.
    fn url(&self, path: &str) -> Result<reqwest::Url, String> {
        match &self.base {
            Some(base) => {
                let mut url = base.clone();
                url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
                Ok(url)
            }
            // Not a URL: reqwest says so when the request is sent, as it always has.
            None => Err(format!("{}{path}", self.base_url)),
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: Result<reqwest::Url, String>,
    ) -> reqwest::RequestBuilder {
        match url {
            Ok(url) => self.client.request(method, url),
            Err(text) => self.client.request(method, text),
        }
    }

    /// A read, retried on transient failures (refused connection, 502, 503, 504) with capped,
    /// jittered backoff, all inside one overall `timeout`.
    async fn read(&self, op: &'static str, path: &str, valid: Validate) -> Result<Reply, AppError> {
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let result = self
                .exchange(
                    op,
                    self.request(reqwest::Method::GET, self.url(path)),
                    remaining,
                )
                .await;
            let transient = match &result {
                Err(AppError::UpstreamUnavailable) => true,
                Ok((status, _)) => RETRY_STATUSES.contains(&status.as_u16()),
                Err(_) => false,
            };
            if transient {
                let pause = backoff(attempt);
                if Instant::now() + pause < deadline {
                    tracing::debug!(attempt, ?pause, "retrying MiniVoice read");
                    telemetry::upstream_retry();
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                    continue;
                }
            }
            let (status, body) = result?;
            return check(status, body, valid);
        }
    }

    /// One bounded exchange: the whole of it (connect, headers, body) fits in `limit`. Its
    /// duration is measured under `op`, whatever the outcome.
    async fn exchange(
        &self,
        op: &'static str,
        req: reqwest::RequestBuilder,
        limit: Duration,
    ) -> Result<(StatusCode, Bytes), AppError> {
        let req = req.bearer_auth(self.key.expose());
        let exchange = async {
            let mut resp = req.send().await.map_err(classify)?;
            let status = StatusCode::from_u16(resp.status().as_u16())
                .map_err(|e| AppError::UpstreamInvalidResponse(e.to_string()))?;
            let body = read_capped(&mut resp).await?;
            Ok::<_, AppError>((status, body))
        };
        let started = Instant::now();
        let result = tokio::time::timeout(limit, exchange)
            .await
            .map_err(|_| AppError::UpstreamTimeout)
            .and_then(|r| r);
        telemetry::upstream_latency(op, started.elapsed().as_secs_f64());
        result
    }
}

const RETRY_STATUSES: [u16; 3] = [502, 503, 504];
const BACKOFF_BASE: Duration = Duration::from_millis(50);
const BACKOFF_CAP: Duration = Duration::from_secs(1);

/// Exponential, capped, with jitter over its upper half so that many proxies retrying the
/// same outage do not arrive in step.
fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    full / 2 + full.mul_f64(rand::random::<f64>() / 2.0)
}

/// Counts an operation, and its failure, once, after its retries. MiniVoice's own 4xx answers
/// (a recording already stopped, say) are answers, not failures of the upstream.
fn observed(op: &'static str, result: Result<Reply, AppError>) -> Result<Reply, AppError> {
    telemetry::upstream_operation(op);
    if let Err(e) = &result {
        if let Some(kind) = failure_kind(e) {
            telemetry::upstream_failure(kind);
        }
    }
    result
}

fn failure_kind(err: &AppError) -> Option<&'static str> {
    match err {
        AppError::UpstreamTimeout => Some("timeout"),
        AppError::UpstreamUnavailable => Some("unavailable"),
        AppError::UpstreamInvalidResponse(_) => Some("invalid_response"),
        AppError::UpstreamAuthFailed => Some("auth"),
        AppError::UpstreamError(_) => Some("status"),
        AppError::Upstream { status, .. } if status.is_server_error() => Some("status"),
        _ => None,
    }
}

fn classify(err: reqwest::Error) -> AppError {
    if err.is_timeout() {
        AppError::UpstreamTimeout
    } else if err.is_connect() {
        AppError::UpstreamUnavailable
    } else {
        AppError::UpstreamInvalidResponse(err.without_url().to_string())
    }
}

async fn read_capped(resp: &mut reqwest::Response) -> Result<Bytes, AppError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_UPSTREAM_BODY as u64)
    {
        return Err(AppError::UpstreamInvalidResponse("answer too large".into()));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| AppError::UpstreamInvalidResponse(e.without_url().to_string()))?
    {
        if buf.len() + chunk.len() > MAX_UPSTREAM_BODY {
            return Err(AppError::UpstreamInvalidResponse("answer too large".into()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// An action's answer is read whole (it is small, rare, and its recording is then linked).
fn acted(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Data<ActionResult>>(body).map(drop)
}

/// Success must have the documented shape; failure passes through when it is MiniVoice's own
/// error shape, and is ours to describe otherwise.
fn check(status: StatusCode, body: Bytes, valid: Validate) -> Result<Reply, AppError> {
    if status.is_success() {
        return match valid(&body) {
            Ok(_) => Ok(Reply { status, body }),
            Err(e) => Err(AppError::UpstreamInvalidResponse(e.to_string())),
        };
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        // Passing this through would tell the agent *they* are not allowed; it is our key.
        tracing::error!(%status, "MiniVoice refused the API key: check MINIVOICE_API_KEY");
        return Err(AppError::UpstreamAuthFailed);
    }
    if (status.is_client_error() || status.is_server_error())
        && serde_json::from_slice::<ErrorEnvelope>(&body).is_ok()
    {
        tracing::info!(%status, body = %String::from_utf8_lossy(&body), "MiniVoice refused");
        return Err(AppError::Upstream { status, body });
    }
    Err(AppError::UpstreamError(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Bytes {
        let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).unwrap().into()
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        for attempt in 0..40 {
            let d = backoff(attempt);
            let full = BACKOFF_BASE
                .saturating_mul(1 << attempt.min(16))
                .min(BACKOFF_CAP);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert!(backoff(30) <= BACKOFF_CAP);
    }

    #[test]
    fn documented_success_passes() {
        let body = fixture("start_recording.response.json");
        let reply = check(StatusCode::OK, body.clone(), acted).unwrap();
        assert_eq!(reply.body, body);
    }

    #[test]
    fn documented_error_passes_through() {
        let body = fixture("error.recording_not_started.json");
        match check(StatusCode::CONFLICT, body.clone(), acted) {
            Err(AppError::Upstream { status, body: b }) => {
                assert_eq!(status, StatusCode::CONFLICT);
                assert_eq!(b, body);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let bad = Bytes::from_static(br#"{"data":{"call_id":"c"}}"#);
        assert!(matches!(
            check(StatusCode::OK, bad, acted),
            Err(AppError::UpstreamInvalidResponse(_))
        ));
        let html = Bytes::from_static(b"<html>bad gateway</html>");
        assert!(matches!(
            check(StatusCode::SERVICE_UNAVAILABLE, html, acted),
            Err(AppError::UpstreamError(StatusCode::SERVICE_UNAVAILABLE))
        ));
        let trunc = Bytes::from_static(br#"{"data":[{"id":"r","#);
        assert!(matches!(
            check(StatusCode::OK, trunc, shape::list),
            Err(AppError::UpstreamInvalidResponse(_))
        ));
    }
}
