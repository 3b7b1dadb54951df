-- +goose Up
-- Activation loads a section's held and expired holds: expired ones so that a late
-- confirm or release of one is answered HOLD_EXPIRED, not HOLD_NOT_ACTIVE.
CREATE INDEX holds_section_live ON holds (event_id, section_id) WHERE status IN ('held', 'expired');

-- +goose Down
DROP INDEX holds_section_live;
