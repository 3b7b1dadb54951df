-- +goose Up
-- The outbox relay's lease: one row, held by at most one relay at a time until
-- expires_at (database time). Every acquisition bumps epoch, the fencing token: the
-- relay marks records published only in a statement that finds its epoch still
-- current (under a share lock on this row, so a takeover waits for a mark in progress
-- and a mark after a takeover finds the new epoch), so a relay that lost the lease, to
-- a pause, a partition or a killed session, cannot mark anything afterwards.
CREATE TABLE relay_lease (
    name       text        PRIMARY KEY,
    epoch      bigint      NOT NULL DEFAULT 0,
    holder     text        NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO relay_lease (name) VALUES ('outbox');

-- +goose Down
DROP TABLE relay_lease;
