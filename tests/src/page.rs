//! Reading, waiting on and acting in the page, each with the shared deadline.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::Locator;

use crate::{Harness, DEADLINE};

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.proxy, path)
    }

    pub async fn open_call(&self, call_id: &str) {
        self.client
            .goto(&self.url(&format!("/?call_id={call_id}")))
            .await
            .unwrap();
        self.wait_for("[data-testid=widget]").await;
    }

    /// As [`Harness::open_call`], the widget given `token` as an agent's page gives it (in
    /// the URL's fragment, which never reaches a server log).
    pub async fn open_call_as(&self, call_id: &str, token: &str) {
        self.client
            .goto(&self.url(&format!("/?call_id={call_id}#token={token}")))
            .await
            .unwrap();
        self.wait_for("[data-testid=widget]").await;
    }

    /// The first element matching `css`, once one exists.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(DEADLINE)
            .every(Duration::from_millis(25))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// Polls until `check` holds, failing with `what` at the deadline.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let until = Instant::now() + DEADLINE;
        while !check().await {
            assert!(Instant::now() < until, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    pub async fn text(&self, css: &str) -> Option<String> {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.ok(),
            Err(_) => None,
        }
    }

    pub async fn enabled(&self, testid: &str) -> bool {
        let el = self.wait_for(&format!("[data-testid={testid}]")).await;
        el.is_enabled().await.unwrap()
    }

    pub async fn click(&self, testid: &str) {
        self.wait_for(&format!("[data-testid={testid}]"))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Waits for a button's enabled state to become `want`.
    pub async fn wait_enabled(&self, testid: &str, want: bool) {
        self.wait_until(&format!("{testid} enabled == {want}"), || async {
            self.enabled(testid).await == want
        })
        .await;
    }

    /// The statuses of the rows, top to bottom.
    pub async fn row_statuses(&self) -> Vec<String> {
        let mut out = vec![];
        for row in self
            .client
            .find_all(Locator::Css("[data-testid=recording-row]"))
            .await
            .unwrap()
        {
            out.push(row.attr("data-status").await.unwrap().unwrap_or_default());
        }
        out
    }

    /// Evaluates `expr` (JavaScript) in the page and returns its JSON value.
    pub async fn js(&self, expr: &str) -> serde_json::Value {
        self.client
            .execute(&format!("return ({expr});"), vec![])
            .await
            .unwrap()
    }

    /// Polls `expr` until it is truthy.
    pub async fn wait_js(&self, what: &str, expr: &str) {
        self.wait_until(what, || async {
            let v = self.js(expr).await;
            !(v.is_null() || v == false || v == 0 || v == "")
        })
        .await;
    }

    /// Sends `keys` to the focused element (`"\u{E007}"` is Enter, `" "` Space).
    pub async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    /// Presses Tab, from wherever the focus is, until the element `testid` has it.
    pub async fn tab_to(&self, testid: &str) {
        for _ in 0..15 {
            self.keys("\u{E004}").await;
            let focused = self
                .js("document.activeElement?.dataset?.testid ?? ''")
                .await;
            if focused == testid {
                return;
            }
        }
        panic!("Tab never reached {testid}");
    }
}
