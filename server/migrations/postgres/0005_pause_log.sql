-- Every pause, for the pause report: the same table as the SQLite migration 0008, which
-- explains each column.
CREATE TABLE pause_log (
    id                BIGSERIAL PRIMARY KEY,
    call_id           TEXT NOT NULL,
    paused_by         TEXT NOT NULL,
    reason            TEXT,
    paused_at         TEXT NOT NULL,
    resume_at         TEXT,
    recording_id      TEXT,
    next_recording_id TEXT,
    ended_at          TEXT,
    ended_by          TEXT,
    resumed_by        TEXT
);
CREATE INDEX pause_log_by_time ON pause_log (paused_at, id);
CREATE INDEX pause_log_open ON pause_log (call_id) WHERE ended_at IS NULL;
-- Pauses open at the upgrade are in the report too.
INSERT INTO pause_log (call_id, paused_by, reason, paused_at, resume_at, recording_id)
    SELECT call_id, paused_by, reason, paused_at, resume_at, recording_id FROM pauses;
