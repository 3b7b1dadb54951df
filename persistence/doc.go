// Package persistence holds TicketBlitz's PostgreSQL and Redis adapters: the fenced,
// group-committing section store, the read model the HTTP API serves, the outbox, the
// Redis leases and rate limiter, the classic lock strategy, and the migrations runner.
package persistence
