-- +goose Up
-- Every change of a seat raises its version, whichever strategy writes it; the lock
-- strategy's conditional update checks the version it read.
ALTER TABLE seats ADD COLUMN version bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE seats DROP COLUMN version;
