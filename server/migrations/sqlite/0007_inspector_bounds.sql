-- The inspector keeps two bounds (issue 19): deliveries that passed the signature check (or had
-- none to pass: no secret configured) are kept up to WEBHOOK_INSPECT_KEEP, and those refused
-- before it, which anyone can send, up to a smaller bound of their own. Each insert trims only
-- its own kind, so a flood of refused deliveries can never push a verified one out.
ALTER TABLE webhook_log ADD COLUMN passed INTEGER NOT NULL DEFAULT 1;
UPDATE webhook_log SET passed = 0
    WHERE verdict NOT IN ('accepted', 'duplicate', 'queue_full', 'store_unavailable');
CREATE INDEX IF NOT EXISTS webhook_log_by_kind ON webhook_log (passed, id);
