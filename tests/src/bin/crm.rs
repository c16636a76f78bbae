//! Serves the sample CRM pages (`examples/crm/`) for people to try the embedded widget:
//!
//! ```sh
//! cargo xtask run --allowed-origins http://127.0.0.1:8090   # the proxy, in sandbox mode
//! cargo run -p minivoice-e2e --bin crm                        # then open the printed URLs
//! ```
//!
//! Arguments: the proxy's origin (default `http://127.0.0.1:8080`) and where to listen
//! (default `127.0.0.1:8090`). The pages are on their own origin, as a CRM's would be, so the
//! proxy must allow it (`ALLOWED_ORIGINS`).

use std::net::SocketAddr;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let proxy = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let listen: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8090".into())
        .parse()
        .expect("a listen address such as 127.0.0.1:8090");
    let addr = minivoice_e2e::serve_crm_pages(&proxy, listen).await;
    println!("CRM pages for the proxy at {proxy} (allow http://{addr} in ALLOWED_ORIGINS):");
    println!("  http://{addr}/          two calls, in a page with hostile styles");
    println!("  http://{addr}/payment   a card payment form that pauses recording");
    std::future::pending::<()>().await;
}
