-- +goose Up
-- Hold expiry is durable: every batch writes the earliest expiry of the section's live
-- holds (NULL when it has none) on the section's row, and the expiry reminder wakes the
-- sections whose next_expiry has passed, whether or not any node runs them (their node
-- crashed, was drained, or they passivated). The partial index holds only sections with
-- live holds, so the reminder's query costs what is due, not the number of sections.
ALTER TABLE sections ADD COLUMN next_expiry timestamptz;
UPDATE sections AS s SET next_expiry = h.next_expiry
FROM (SELECT event_id, section_id, min(expires_at) AS next_expiry
      FROM holds WHERE status = 'held' GROUP BY event_id, section_id) AS h
WHERE s.event_id = h.event_id AND s.id = h.section_id;
CREATE INDEX sections_next_expiry ON sections (next_expiry) WHERE next_expiry IS NOT NULL;

-- The cluster runs one expiry reminder, on the member that holds this lease: holder is
-- its member id (new for every process start), expires_at is database time.
CREATE TABLE reminder_leases (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE reminder_leases;
DROP INDEX sections_next_expiry;
ALTER TABLE sections DROP COLUMN next_expiry;
