-- +goose NO TRANSACTION
-- +goose Up
-- A seat's history ("Why not this seat?") finds the attempts that named or touched the
-- seat through this index instead of walking every attempt of the section: a seat
-- touched twice in a section of 500,000 attempts was a 250 ms scan. A GIN index on the
-- seats array (seat ids repeat across events and sections; the query filters those and
-- the index narrows to the seat). Built CONCURRENTLY, as in 00008, so that a sale keeps
-- writing while it builds; a failed build is dropped and built again.
DROP INDEX CONCURRENTLY IF EXISTS attempts_seats;
CREATE INDEX CONCURRENTLY attempts_seats ON attempts USING gin (seats);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS attempts_seats;
