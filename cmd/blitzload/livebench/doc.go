// Package livebench measures the live layer of a TicketBlitz server from the outside:
// commit-to-delivery latency of seat deltas at every websocket subscriber, memory per
// idle subscriber, and server CPU per 1,000 delivered messages a second
// (blitzload live).
package livebench
