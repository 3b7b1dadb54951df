// Package persistence holds TicketBlitz's PostgreSQL and Redis adapters: the fenced,
// group-committing section store, the read model the HTTP API serves, the outbox, the
// Redis leases and rate limiter with the circuit breaker every Redis call passes
// (RedisBreaker), and the migrations runner. The classic baseline
// strategies live in persistence/classic and share its hold and order scanning and its
// outbox writes.
package persistence
