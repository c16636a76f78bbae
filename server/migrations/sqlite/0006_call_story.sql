-- The call's whole story (issue 5/6): the timeline, the delivery inspector, pause and resume.

-- Each verified delivery keeps the IDs found in it and, once processed, what it changed: the
-- timeline lists a call's deliveries from here, and the inspector shows the effect. They go
-- with the row after WEBHOOK_RETENTION, like the row itself.
ALTER TABLE webhook_inbox ADD COLUMN call_id TEXT;
ALTER TABLE webhook_inbox ADD COLUMN recording_id TEXT;
ALTER TABLE webhook_inbox ADD COLUMN event_type TEXT;
ALTER TABLE webhook_inbox ADD COLUMN effect TEXT;
CREATE INDEX IF NOT EXISTS webhook_inbox_by_call ON webhook_inbox (call_id);
CREATE INDEX IF NOT EXISTS webhook_inbox_by_recording ON webhook_inbox (recording_id);

-- The reason an agent gave for a pause, on the pause's own audit row (the open pause is
-- deleted when it ends; the trail keeps why it happened).
ALTER TABLE actions ADD COLUMN reason TEXT;

-- Every delivery as it arrived, refused ones included, for whoever wires MiniVoice up.
-- Bounded by WEBHOOK_INSPECT_KEEP rows (oldest dropped) and by WEBHOOK_RETENTION.
-- `inbox_key` is the inbox's de-duplication key of an accepted delivery: its effect is read
-- from the inbox row, so the worker never races this best-effort write.
CREATE TABLE IF NOT EXISTS webhook_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT    NOT NULL,
    delivery_id TEXT,
    inbox_key   TEXT,
    verdict     TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    detail      TEXT,
    verified    INTEGER NOT NULL DEFAULT 0,
    headers     TEXT    NOT NULL,
    body        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_log_by_time ON webhook_log (received_at);

-- Open pauses, one per call at most. `resume_at` is when the server starts the next segment
-- by itself (NULL: never); a replica claims a due row (`claimed_until`, a lease) before it
-- resumes, so the resume runs once however many replicas see it due. The row is deleted when
-- the pause ends (resumed, cancelled, or the call ended).
CREATE TABLE IF NOT EXISTS pauses (
    call_id       TEXT PRIMARY KEY,
    paused_by     TEXT NOT NULL,
    reason        TEXT,
    paused_at     TEXT NOT NULL,
    resume_at     TEXT,
    recording_id  TEXT,
    claimed_until TEXT
);
CREATE INDEX IF NOT EXISTS pauses_due ON pauses (resume_at) WHERE resume_at IS NOT NULL;
