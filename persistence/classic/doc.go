// Package classic holds the classic reservation designs the section actor is measured
// against, each built as a strong team would build it without actors, so that the
// comparison is fair. Each offers what actors.Client offers (Hold, Release, Extend,
// Confirm, Cancel, with the same domain errors) and keeps the same invariants: no seat
// sold twice, the per-user limit, idempotent retries, one SectionChanged record per
// section version with gap-free versions, outbox records written in the transaction
// that changes the state.
//
//   - Lock (TICKETBLITZ_STRATEGY=lock): a Redis lock per seat, all of a request's seats
//     in one script; a version-checked update of the seat rows; best available takes
//     the first ranked candidate free in Redis.
//   - PG (TICKETBLITZ_STRATEGY=pg): PostgreSQL only. Seat rows locked FOR UPDATE in id
//     order; best available locks ranked candidates with FOR UPDATE SKIP LOCKED.
//
// Neither locks a row that every hold of a section must update: a hold locks the rows
// of its seats (and the user's advisory lock, for the per-user limit), so holds of
// different seats of one section run side by side. General-admission holds are a
// counter on the section row and lock it, briefly, at the end of their transaction.
// Section versions are numbered after the fact by the Sequencer, which both strategies
// share with everything else that is the same in both designs (the engine: release,
// extend, confirm, cancel, expiry, idempotency, the per-user limit, the outbox journal,
// the section cache).
//
// Where the time goes. A reserved hold costs three PostgreSQL round trips (BEGIN with
// the reads and locks, the writes, COMMIT with its WAL flush), plus for Lock two Redis
// round trips (lock, unlock) and for best available one read of the section's taken
// seats; section metadata and seat layouts are cached. The commit's WAL flush is
// shared by concurrent commits (PostgreSQL's group commit), so throughput grows with
// concurrency until the CPU is spent on per-request work: HTTP, statement execution,
// and the index and heap writes of the seat, hold, idempotency and staged rows. The
// sequencer adds one short transaction per section per round, whatever the number of
// holds it numbers. The actor instead decides in memory and writes one transaction per
// batch of hundreds of decisions; that, not a handicap, is the difference measured.
package classic
