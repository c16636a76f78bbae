-- Every pause, kept once it ends (the `pauses` table holds only open ones): the pause report
-- (`GET /api/reports/pauses`) reads it. Kept with the audit trail, for good.
CREATE TABLE IF NOT EXISTS pause_log (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id           TEXT NOT NULL,
    paused_by         TEXT NOT NULL,
    reason            TEXT,
    paused_at         TEXT NOT NULL,
    -- The automatic resume's first deadline (PAUSE_MAX_S after paused_at); NULL: none.
    resume_at         TEXT,
    -- The segment the pause stopped, and the one that followed it.
    recording_id      TEXT,
    next_recording_id TEXT,
    -- NULL while open; then `resumed`, `auto_resumed`, `stopped` or `call_completed`.
    ended_at          TEXT,
    ended_by          TEXT,
    resumed_by        TEXT
);
CREATE INDEX IF NOT EXISTS pause_log_by_time ON pause_log (paused_at, id);
CREATE INDEX IF NOT EXISTS pause_log_open ON pause_log (call_id) WHERE ended_at IS NULL;
-- Pauses open at the upgrade are in the report too.
INSERT INTO pause_log (call_id, paused_by, reason, paused_at, resume_at, recording_id)
    SELECT call_id, paused_by, reason, paused_at, resume_at, recording_id FROM pauses;
