// Package classic holds the classic reservation designs the section actor is measured
// against. Each offers what actors.Client offers (Hold, Release, Extend, Confirm,
// Cancel, with the same domain errors) and keeps the same invariants: no seat sold
// twice, the per-user limit, idempotent retries, one SectionChanged record per section
// version, outbox records written in the transaction that changes the state. They are
// built as a strong team would build them without actors, so that the comparison is
// fair.
//
// Lock (TICKETBLITZ_STRATEGY=lock) takes a Redis lock per seat, then locks the seat rows
// and writes with a version check on the section row. What any classic design needs
// (transactions retried on a version conflict, idempotency replay, outbox writes, the
// per-user limit, the expiry sweep) lives in files of its own beside the parts that
// belong to the Redis-lock design (seat locks, seat claims, the version-checked update).
package classic
