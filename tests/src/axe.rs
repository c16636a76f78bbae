//! axe-core in the page: accessibility violations as JSON.

use std::path::PathBuf;

use crate::Harness;

impl Harness {
    /// Runs axe-core in the page over `context` (an axe context object as JSON; null for the
    /// whole document) and returns
    /// its violations.
    pub async fn axe(&self, context: serde_json::Value) -> Vec<serde_json::Value> {
        let path = std::env::var("AXE_CORE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../.tools/node_modules/axe-core/axe.min.js")
            });
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core not found at {} ({e}): run `cargo xtask test`",
                path.display()
            )
        });
        self.client.execute(&source, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(arguments[0] ?? document, { resultTypes: ['violations'] }) \
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, \
                     help: v.help, nodes: v.nodes.map(n => n.target.join(' > ') + ' :: ' + n.failureSummary) })))) \
                   .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
                vec![context],
            )
            .await
            .unwrap();
        result.as_array().cloned().unwrap_or_default()
    }
}
