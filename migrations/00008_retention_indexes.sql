-- +goose NO TRANSACTION
-- +goose Up
-- The indexes the retention pruner walks, oldest row first, so that each of its batches
-- reads only the rows it deletes however long the history is; and an unpublished-outbox
-- index that carries created_at, so the relay's lag query (count and oldest of the
-- unpublished records) reads the index alone instead of the whole table when Kafka has
-- been away for a while.
--
-- Every sale writes these tables: a plain CREATE INDEX would block its writes for as
-- long as the build takes, so each index is built CONCURRENTLY, outside a transaction.
-- A concurrent build that fails leaves an invalid index behind, and a failure here
-- means the whole file runs again: each build drops its index first.
DROP INDEX CONCURRENTLY IF EXISTS idempotency_keys_created;
CREATE INDEX CONCURRENTLY idempotency_keys_created ON idempotency_keys (created_at);

DROP INDEX CONCURRENTLY IF EXISTS outbox_published;
CREATE INDEX CONCURRENTLY outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

DROP INDEX CONCURRENTLY IF EXISTS notifications_received;
CREATE INDEX CONCURRENTLY notifications_received ON notifications (received_at);

-- outbox_unpublished (id) becomes outbox_unpublished (id) INCLUDE (created_at): the same
-- entries in the same order for the relay's reads, one index write per record as before.
DROP INDEX CONCURRENTLY IF EXISTS outbox_unpublished_covering;
CREATE INDEX CONCURRENTLY outbox_unpublished_covering ON outbox (id) INCLUDE (created_at) WHERE published_at IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS outbox_unpublished;
ALTER INDEX outbox_unpublished_covering RENAME TO outbox_unpublished;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS outbox_unpublished_plain;
CREATE INDEX CONCURRENTLY outbox_unpublished_plain ON outbox (id) WHERE published_at IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS outbox_unpublished;
ALTER INDEX outbox_unpublished_plain RENAME TO outbox_unpublished;
DROP INDEX CONCURRENTLY IF EXISTS notifications_received;
DROP INDEX CONCURRENTLY IF EXISTS outbox_published;
DROP INDEX CONCURRENTLY IF EXISTS idempotency_keys_created;
