-- The recordings in one state (the supervisor's list reads those `started`) by an index, not by
-- reading every recording ever kept: the same index as the SQLite migration 0009.
CREATE INDEX recordings_by_status ON recordings (status, call_id, updated_at);
