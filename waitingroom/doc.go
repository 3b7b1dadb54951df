// Package waitingroom is TicketBlitz's fair queue in front of an event: the room's
// settings, the tickets fans hold in it, the passes that let admitted fans hold seats,
// and the admission controller that lets fans in, in position order, at the rate the
// event's section actors decide without their mailboxes growing (their live headroom)
// or at a fixed rate an admin sets.
//
// Its state lives behind the QueueStore port (Redis, in persistence), so that it
// survives the loss of any node: a ticket's position is fixed once assigned, and
// admission is one watermark per event that only rises. Every node runs a Service (the
// routes' side: joins, tickets, the per-node cache of open rooms that checks passes
// without a round trip) and a Publisher (its sections' signals); one node at a time,
// chosen by a lease, runs the Controller. It imports only actors from TicketBlitz.
package waitingroom
