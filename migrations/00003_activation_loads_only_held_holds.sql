-- +goose Up
-- Activation loads only held holds (through holds_active); a finished hold is answered
-- from its row. The index of held and expired holds would grow with every hold that ever
-- expired, and nothing reads it.
DROP INDEX holds_section_live;

-- +goose Down
CREATE INDEX holds_section_live ON holds (event_id, section_id) WHERE status IN ('held', 'expired');
