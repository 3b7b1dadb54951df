-- +goose Up
-- When each attempt's command entered the section's mailbox (database time), next to
-- when it was decided (at): the record shows the mailbox as it was at each decision.
-- Observation, not decision: the chain digest does not cover it. Null for expiries, for
-- attempts written before this column, and where the arrival is unknown.
ALTER TABLE attempts ADD COLUMN received_at timestamptz;

-- +goose Down
ALTER TABLE attempts DROP COLUMN received_at;
