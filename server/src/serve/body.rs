//! `BODY_TIMEOUT_MS` as a deadline for the whole request body, counted from the moment its
//! headers are in (when the request reaches the router). tower-http's body timeout restarts
//! at every chunk, so one byte every few seconds held a request (and its connection) for as
//! long as the client liked. With the header timeout, which counts from accept, no request
//! takes longer than `HEADER_READ_TIMEOUT_MS + BODY_TIMEOUT_MS` to arrive.
//!
//! Only request bodies: a response (an event stream) is never cut by this.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The error a body's reader sees once the deadline has passed ([`crate::extract::body_error`]
/// turns it into 408 `request_timeout`).
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within its deadline")]
pub struct BodyDeadlinePassed;

/// What the router does to each request (`tower::util::MapRequestLayer`: no future to box, as
/// `middleware::from_fn` would per request): its body ends in [`BodyDeadlinePassed`] once
/// `limit` has passed.
pub fn body_deadline(limit: Duration) -> impl Fn(Request) -> Request + Clone + Send + Sync {
    move |req: Request| {
        if req.body().is_end_stream() {
            // Nothing to wait for (a GET, an event stream's request): no timer either.
            return req;
        }
        let deadline = Instant::now() + limit;
        req.map(|body| Body::new(DeadlineBody::new(body, deadline)))
    }
}

struct DeadlineBody {
    inner: Body,
    deadline: Instant,
    /// Made on the first wait only: a body already in the buffer needs no timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Body, deadline: Instant) -> Self {
        DeadlineBody {
            inner,
            deadline,
            timer: None,
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Some(Err(axum::Error::new(BodyDeadlinePassed))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
