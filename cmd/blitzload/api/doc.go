// Package api is blitzload's view of the public TicketBlitz API: the typed calls of
// package client (the one place the HTTP calls and JSON types live), each reported as
// a Result the load tool can count. Every call reports a stats.Sample to an Observer,
// and every state-changing call an audit.Record. It adds what only a load tool needs:
// per-fan connection pools, locally minted tokens, the audit's read-back of the final
// state, and websocket readers for the scenarios.
package api
