-- State that several replicas must agree on (the same tables exist in the PostgreSQL schema).

-- Live events, stored so that a stream resumes from any replica (and after a restart).
-- Each call has its own sequence: `live_calls.seq` is bumped in the same transaction that
-- inserts the event, so a call's events commit in sequence order.
CREATE TABLE IF NOT EXISTS live_calls (
    call_id TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS live_events (
    call_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    at      TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX IF NOT EXISTS live_events_by_time ON live_events (at);

-- Idempotency answers: the first request with a key claims it (status NULL while in flight);
-- MiniVoice's answer is stored under the key; a repeat gets it back without a second call.
CREATE TABLE IF NOT EXISTS idempotency (
    call_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    action     TEXT NOT NULL,
    status     INTEGER,
    body       BLOB,
    created_at TEXT NOT NULL,
    PRIMARY KEY (call_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_by_time ON idempotency (created_at);
