//! PostgreSQL: every replica `LISTEN`s for announced events and hands each to its own streams
//! on that call. After a lost connection, every open stream is told to resync, since
//! announcements made meanwhile were missed.

use std::sync::Weak;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::{Hub, Stamped};
use crate::store::NOTIFY_CHANNEL;

#[derive(serde::Deserialize)]
struct Announced {
    call_id: String,
    seq: i64,
}

/// A listener on the announcement channel.
pub async fn listener(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    Ok(listener)
}

/// Relays announcements through `first` (listening already, so nothing published after the
/// replica started is missed), then through fresh listeners whenever one fails, telling every
/// stream to resync each time since announcements may have been missed meanwhile.
pub async fn announced(hub: Weak<Hub>, pool: PgPool, first: PgListener) {
    let mut current = Some(first);
    loop {
        if let Some(mut listening) = current.take() {
            relay(&hub, &mut listening).await;
        }
        let Some(strong) = hub.upgrade() else { return };
        strong.resync_all();
        drop(strong);
        tokio::time::sleep(Duration::from_millis(500)).await;
        match listener(&pool).await {
            Ok(l) => current = Some(l),
            Err(e) => tracing::warn!(error = %e, "cannot listen for live events; retrying"),
        }
    }
}

/// Until the listener fails for good (or the hub is gone).
async fn relay(hub: &Weak<Hub>, listener: &mut PgListener) {
    loop {
        let note = match listener.try_recv().await {
            Ok(Some(note)) => note,
            // The connection was lost (the listener reconnects by itself on the next call):
            // announcements may have been missed meanwhile.
            Ok(None) => {
                if let Some(hub) = hub.upgrade() {
                    hub.resync_all();
                }
                continue;
            }
            Err(_) => return,
        };
        let Some(hub) = hub.upgrade() else { return };
        let Ok(a) = serde_json::from_str::<Announced>(note.payload()) else {
            continue;
        };
        if !hub.is_watched(&a.call_id) {
            continue;
        }
        match hub.store.events_after(&a.call_id, a.seq - 1, 1).await {
            Ok(events) => {
                for e in events.into_iter().filter(|e| e.seq == a.seq) {
                    if let Some(event) = Stamped::stored(e.seq as u64, e.body) {
                        hub.deliver(&a.call_id, event);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "announced event unreadable; streams resync");
                hub.resync_all();
            }
        }
    }
}
