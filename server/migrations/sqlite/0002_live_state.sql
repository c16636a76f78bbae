-- What webhooks and our own actions tell us of calls and recordings.
CREATE TABLE IF NOT EXISTS calls (
    call_id    TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

ALTER TABLE recordings ADD COLUMN status TEXT;
ALTER TABLE recordings ADD COLUMN duration_seconds INTEGER;
ALTER TABLE recordings ADD COLUMN size_bytes INTEGER;
ALTER TABLE recordings ADD COLUMN updated_at TEXT;

-- Webhook IDs already accepted: a redelivery is acknowledged but not processed again.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
