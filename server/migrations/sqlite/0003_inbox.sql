-- Attempts are written before they are forwarded and finished when the answer comes, so an
-- action whose answer never arrived (a crash) is still on record, as pending.
ALTER TABLE actions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
-- Made against the built-in sandbox: nothing was really recorded.
ALTER TABLE actions ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0;

-- Every accepted webhook delivery, stored (body and de-duplication key in one row) before it
-- is acknowledged; a worker processes it and sets processed_at. Rows left unprocessed by a
-- crash are processed after the restart. Processed rows expire after the retention period.
CREATE TABLE IF NOT EXISTS webhook_inbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  TEXT NOT NULL UNIQUE,
    received_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    body         BLOB NOT NULL,
    processed_at TEXT
);
CREATE INDEX IF NOT EXISTS webhook_inbox_pending ON webhook_inbox (id) WHERE processed_at IS NULL;
CREATE INDEX IF NOT EXISTS webhook_inbox_processed ON webhook_inbox (processed_at);

-- Deliveries seen before the inbox existed keep de-duplicating until they expire.
INSERT OR IGNORE INTO webhook_inbox (delivery_id, received_at, body, processed_at)
    SELECT delivery_id, received_at, x'', received_at FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
