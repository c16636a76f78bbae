-- The call's whole story (issue 5/6): the timeline, the delivery inspector, pause and resume.
-- The same tables and columns as the SQLite migration 0006, which explains each.

ALTER TABLE webhook_inbox ADD COLUMN call_id TEXT;
ALTER TABLE webhook_inbox ADD COLUMN recording_id TEXT;
ALTER TABLE webhook_inbox ADD COLUMN event_type TEXT;
ALTER TABLE webhook_inbox ADD COLUMN effect TEXT;
CREATE INDEX webhook_inbox_by_call ON webhook_inbox (call_id);
CREATE INDEX webhook_inbox_by_recording ON webhook_inbox (recording_id);

ALTER TABLE actions ADD COLUMN reason TEXT;

CREATE TABLE webhook_log (
    id          BIGSERIAL PRIMARY KEY,
    received_at TEXT    NOT NULL,
    delivery_id TEXT,
    inbox_key   TEXT,
    verdict     TEXT    NOT NULL,
    status      BIGINT  NOT NULL,
    detail      TEXT,
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    headers     TEXT    NOT NULL,
    body        TEXT    NOT NULL
);
CREATE INDEX webhook_log_by_time ON webhook_log (received_at);

CREATE TABLE pauses (
    call_id       TEXT PRIMARY KEY,
    paused_by     TEXT NOT NULL,
    reason        TEXT,
    paused_at     TEXT NOT NULL,
    resume_at     TEXT,
    recording_id  TEXT,
    claimed_until TEXT
);
CREATE INDEX pauses_due ON pauses (resume_at) WHERE resume_at IS NOT NULL;
