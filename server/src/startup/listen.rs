//! The listening socket: bound as `TcpListener::bind` binds one, with a deeper queue.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// Connections the kernel holds for us until they are accepted. `TcpListener::bind` asks for
/// the standard library's 128: a shift's agents opening the widget at once (half a dozen
/// connections a page) overflow that while the accept loop is busy, and each dropped
/// connection waits a second for its SYN to be sent again. The kernel caps the figure at
/// `net.core.somaxconn` (4096 since Linux 5.4).
const LISTEN_BACKLOG: u32 = 4096;

/// `addr`, bound as `TcpListener::bind` binds it, but with [`LISTEN_BACKLOG`].
pub(super) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
