//! A TCP relay between the replicas and PostgreSQL that the run can cut: every relayed
//! connection is reset and new ones are refused until it is restored, as a lost network path
//! to the database looks to the replicas.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Relay {
    pub addr: SocketAddr,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    cut: AtomicBool,
    open: Mutex<Vec<AbortHandle>>,
}

impl Relay {
    pub async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let accepting = state.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                // Reset, not closed politely, on every way out: as a broken path looks. (Deprecated
                // because a lingering close blocks; a zero linger resets at once.)
                #[allow(deprecated)]
                let _ = inbound.set_linger(Some(Duration::ZERO));
                if accepting.cut.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(pipe(inbound, upstream));
                let mut open = accepting.open.lock().unwrap();
                open.retain(|t| !t.is_finished());
                open.push(task.abort_handle());
            }
        });
        Relay { addr, state }
    }

    /// Resets every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        for task in self.state.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

async fn pipe(mut inbound: TcpStream, upstream: SocketAddr) {
    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    #[allow(deprecated)]
    let _ = outbound.set_linger(Some(Duration::ZERO));
    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
}
