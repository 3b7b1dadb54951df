-- +goose Up
-- The classic strategies' transactions on reserved sections do not lock the section
-- row, so they cannot number the section's versions themselves. They write their outbox
-- records here, after locking the rows they change; the sequencer (persistence/classic)
-- moves them into outbox under the section row's lock, one section version per
-- transaction (txid), in an order that keeps every seat's changes in commit order, and
-- applies held_delta and sold_delta to the section's counters.
CREATE TABLE outbox_staged (
    id         bigserial   PRIMARY KEY,
    txid       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    topic      text        NOT NULL,
    key        text        NOT NULL,
    payload    bytea       NOT NULL,
    held_delta integer     NOT NULL DEFAULT 0,
    sold_delta integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_staged_key ON outbox_staged (key, id);

-- +goose Down
DROP TABLE outbox_staged;
