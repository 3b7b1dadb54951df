package persistence

import "time"

// retainedTable is one history table the Pruner keeps short: which rows are past
// retention (by which timestamp column, through which index), and how to delete a
// batch of them.
type retainedTable struct {
	// name is the table, and its label in metrics and logs.
	name string
	// retention is how long a row is kept; zero keeps rows forever.
	retention time.Duration
	// deleteSQL deletes up to $2 rows older than $1 microseconds by the database's clock,
	// oldest first, and none that another session holds locked.
	deleteSQL string
	// oldestSQL returns the age in seconds of the oldest row that retention applies to,
	// or NULL when there is none.
	oldestSQL string
}

// Each delete picks its batch in an InitPlan (ARRAY(SELECT … FOR UPDATE SKIP LOCKED)),
// walking the table's time index from the oldest row, then deletes those tuples by
// ctid (a Tid Scan, no second index lookup). SKIP LOCKED lets several nodes prune at
// once: each batch takes rows no other batch holds, and none waits for another. The
// rows it deletes are ones nobody else writes: the sale only inserts keys, attempts and
// notifications (ON CONFLICT DO NOTHING, which takes no row lock) and the relay only
// marks unpublished outbox records, which these deletes never select.
const (
	pruneIdempotencySQL = `
DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM idempotency_keys
	WHERE created_at < now() - $1::bigint * interval '1 microsecond'
	ORDER BY created_at
	LIMIT $2
	FOR UPDATE SKIP LOCKED))`

	// published_at IS NOT NULL is implied by the comparison; it is spelled out because
	// an unpublished record must never be deleted, and it names outbox_published's
	// predicate.
	pruneOutboxSQL = `
DELETE FROM outbox WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM outbox
	WHERE published_at IS NOT NULL
	  AND published_at < now() - $1::bigint * interval '1 microsecond'
	ORDER BY published_at
	LIMIT $2
	FOR UPDATE SKIP LOCKED))`

	pruneNotificationsSQL = `
DELETE FROM notifications WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM notifications
	WHERE received_at < now() - $1::bigint * interval '1 microsecond'
	ORDER BY received_at
	LIMIT $2
	FOR UPDATE SKIP LOCKED))`

	pruneAttemptsSQL = `
DELETE FROM attempts WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM attempts
	WHERE at < now() - $1::bigint * interval '1 microsecond'
	ORDER BY at
	LIMIT $2
	FOR UPDATE SKIP LOCKED))`

	oldestAttemptsSQL      = `SELECT EXTRACT(EPOCH FROM now() - min(at))::float8 FROM attempts`
	oldestIdempotencySQL   = `SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 FROM idempotency_keys`
	oldestOutboxSQL        = `SELECT EXTRACT(EPOCH FROM now() - min(published_at))::float8 FROM outbox WHERE published_at IS NOT NULL`
	oldestNotificationsSQL = `SELECT EXTRACT(EPOCH FROM now() - min(received_at))::float8 FROM notifications`
)

// retainedTables lists the history tables with cfg's retentions, in the order a pass
// visits them.
func retainedTables(cfg PrunerConfig) []retainedTable {
	return []retainedTable{
		{name: "idempotency_keys", retention: cfg.IdempotencyRetention, deleteSQL: pruneIdempotencySQL, oldestSQL: oldestIdempotencySQL},
		{name: "outbox", retention: cfg.OutboxRetention, deleteSQL: pruneOutboxSQL, oldestSQL: oldestOutboxSQL},
		{name: "notifications", retention: cfg.NotificationsRetention, deleteSQL: pruneNotificationsSQL, oldestSQL: oldestNotificationsSQL},
		{name: "attempts", retention: cfg.AttemptsRetention, deleteSQL: pruneAttemptsSQL, oldestSQL: oldestAttemptsSQL},
	}
}
