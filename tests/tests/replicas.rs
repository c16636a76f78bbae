//! Several replicas behind nginx, as a contact centre runs them: two windows on one call stay
//! in step across replicas, and when a replica dies its windows go on live through the other.

use minivoice_e2e::deployment::Deployment;
use minivoice_e2e::Harness;

async fn live(h: &Harness) {
    h.wait_until("the stream is live", || async {
        h.text("[data-testid=live-state]").await.as_deref() == Some("Live")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_on_two_replicas_stay_in_step_and_survive_one_dying() {
    let mut d = Deployment::start(2).await;
    // One window straight on each replica, so the change must cross between them...
    let on_a = Harness::at(d.replicas[0].addr).await;
    let on_b = Harness::at(d.replicas[1].addr).await;
    // ...and one through nginx, which must carry on when a replica dies.
    let via_nginx = Harness::at(d.addr).await;
    for h in [&on_a, &on_b, &via_nginx] {
        h.open_call("e2e_replicas").await;
        h.wait_for("[data-testid=empty]").await;
        live(h).await;
    }
    on_a.click("start").await;
    for h in [&on_b, &via_nginx] {
        h.wait_until("the start reached every replica's window", || async {
            h.row_statuses().await == ["started"]
        })
        .await;
    }

    d.stop_replica(0).await;
    on_a.close().await;
    live(&via_nginx).await;
    on_b.click("stop").await;
    via_nginx
        .wait_until("the stop arrived through the surviving replica", || async {
            via_nginx.row_statuses().await == ["stopped"]
        })
        .await;
    via_nginx.click("start").await;
    on_b.wait_until("a start through nginx reached the other window", || async {
        on_b.row_statuses().await == ["started", "stopped"]
    })
    .await;
    via_nginx.close().await;
    on_b.close().await;
}
