-- The inspector's two bounds (issue 19): the same column and index as the SQLite migration
-- 0007, which explains them.
ALTER TABLE webhook_log ADD COLUMN passed BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE webhook_log SET passed = FALSE
    WHERE verdict NOT IN ('accepted', 'duplicate', 'queue_full', 'store_unavailable');
CREATE INDEX webhook_log_by_kind ON webhook_log (passed, id);
