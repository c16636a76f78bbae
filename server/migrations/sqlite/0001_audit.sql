-- Every start/stop attempt, whoever made it and however it ended.
CREATE TABLE IF NOT EXISTS actions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    agent        TEXT    NOT NULL,
    call_id      TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    recording_id TEXT,
    error_code   TEXT,
    request_id   TEXT,
    replayed     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS actions_by_call ON actions (call_id, id);

-- MiniVoice's advice: keep the call ID beside every recording ID.
CREATE TABLE IF NOT EXISTS recordings (
    recording_id TEXT PRIMARY KEY,
    call_id      TEXT NOT NULL,
    first_seen   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS recordings_by_call ON recordings (call_id);
