-- The recordings in one state, by an index: the supervisor's list reads the `started` ones, the
-- latest of each call (`call_id`, `updated_at`), without reading every recording ever kept.
CREATE INDEX IF NOT EXISTS recordings_by_status ON recordings (status, call_id, updated_at);
