//! The proxy holds to its OpenAPI document: schemathesis fuzzes every operation of the
//! document it serves (`GET /api/openapi.json`), with valid and invalid input, through the
//! real proxy in sandbox mode with agent tokens, and every check must pass: no 5xx, every
//! answer's status, content type, headers and body as documented, invalid input refused with
//! a 4xx, unauthenticated requests refused. `cargo xtask test` installs schemathesis (pinned)
//! and names it in `SCHEMATHESIS`; without it this test fails rather than skips.
//!
//! Left out: the event stream (`GET …/events`) never ends by design, and schemathesis reads
//! every answer to its end, so it is excluded here and held to its description by the live
//! tests (`live.rs`). Checks left out: `positive_data_acceptance` (valid input is refused
//! when the sandbox's call is in the wrong state, e.g. stop with nothing recording: 409, as
//! documented), `use_after_free` and `ensure_resource_availability` (nothing here is deleted
//! or created at a location of its own).

use std::time::Duration;

use minivoice_e2e::InProcess;
use minivoice_proxy::auth::{TokenKeys, ALL_CALLS};
use minivoice_proxy::{Secret, ServeConfig};

const SECRET: &str = "schemathesis-secret-0123456789abcdef";
/// Test cases per operation: the whole run stays within a couple of minutes on two cores.
const MAX_EXAMPLES: &str = "300";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_holds_to_its_openapi_document() {
    let schemathesis = std::env::var_os("SCHEMATHESIS").expect(
        "SCHEMATHESIS must name the schemathesis executable: run `cargo xtask test`, which \
         installs it",
    );
    let widget = tempfile::tempdir().unwrap();
    let mut cfg = ServeConfig::sandbox_on_loopback(widget.path().to_owned());
    cfg.token_secret.secret = Some(Secret::new(SECRET));
    let mut proxy = InProcess::start(cfg, None).await;
    // A supervisor's token: every call, and the delivery inspector.
    let token = TokenKeys::new(&Secret::new(SECRET)).unwrap().mint(
        "schemathesis",
        &[ALL_CALLS.to_owned()],
        Duration::from_secs(3600),
    );
    // Its own working directory: schemathesis may leave files behind.
    let work = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(schemathesis)
        .current_dir(work.path())
        .arg("run")
        .arg(format!("http://{}/api/openapi.json", proxy.addr))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "all"])
        .args([
            "--exclude-checks",
            "positive_data_acceptance,use_after_free,ensure_resource_availability",
        ])
        .args(["--exclude-path", "/api/calls/{call_id}/events"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "15"])
        .arg("--no-color")
        .kill_on_drop(true)
        .output()
        .await
        .expect("schemathesis runs");
    proxy.stop().await;
    // Its report: shown when the test fails, or with --nocapture.
    println!("{}", String::from_utf8_lossy(&run.stdout));
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        run.status.success(),
        "schemathesis found answers that break the OpenAPI document ({}); its report is above",
        run.status
    );
}
