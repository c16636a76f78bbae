-- One holder at a time per name (a call's action in flight, a scheduled job), across every
-- replica, as a lease: it ends when released or when it expires (its holder died).
CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
