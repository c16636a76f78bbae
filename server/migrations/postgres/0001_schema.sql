-- The PostgreSQL schema: the same tables as the SQLite migrations, for several replicas.
-- Times are text in one format (RFC 3339, milliseconds, UTC) in both engines, written by the
-- proxy, so that both compare and read them alike.

-- Every start/stop attempt, whoever made it and however it ended.
CREATE TABLE actions (
    id           BIGSERIAL PRIMARY KEY,
    at           TEXT    NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    agent        TEXT    NOT NULL,
    call_id      TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    recording_id TEXT,
    error_code   TEXT,
    request_id   TEXT,
    replayed     BOOLEAN NOT NULL DEFAULT FALSE,
    pending      BOOLEAN NOT NULL DEFAULT FALSE,
    sandbox      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX actions_by_call ON actions (call_id, id);

-- MiniVoice's advice: keep the call ID beside every recording ID.
CREATE TABLE recordings (
    recording_id     TEXT PRIMARY KEY,
    call_id          TEXT NOT NULL,
    first_seen       TEXT NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    status           TEXT,
    duration_seconds BIGINT,
    size_bytes       BIGINT,
    updated_at       TEXT
);
CREATE INDEX recordings_by_call ON recordings (call_id);

-- What webhooks and our own actions tell us of calls.
CREATE TABLE calls (
    call_id    TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Webhook deliveries, stored before they are acknowledged; processed by whichever replica's
-- worker claims them first (FOR UPDATE SKIP LOCKED).
CREATE TABLE webhook_inbox (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  TEXT  NOT NULL UNIQUE,
    received_at  TEXT  NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    body         BYTEA NOT NULL,
    processed_at TEXT
);
CREATE INDEX webhook_inbox_pending ON webhook_inbox (id) WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_processed ON webhook_inbox (processed_at);

-- Live events with a per-call sequence (see the SQLite migration 0004).
CREATE TABLE live_calls (
    call_id TEXT PRIMARY KEY,
    seq     BIGINT NOT NULL
);
CREATE TABLE live_events (
    call_id TEXT   NOT NULL,
    seq     BIGINT NOT NULL,
    at      TEXT   NOT NULL,
    body    TEXT   NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX live_events_by_time ON live_events (at);

-- Idempotency answers shared by every replica.
CREATE TABLE idempotency (
    call_id    TEXT   NOT NULL,
    key        TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    status     BIGINT,
    body       BYTEA,
    created_at TEXT   NOT NULL,
    PRIMARY KEY (call_id, key)
);
CREATE INDEX idempotency_by_time ON idempotency (created_at);
