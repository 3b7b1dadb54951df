// Package http is TicketBlitz's public HTTP API (docs/api.md) on Fiber: the routes (all listed
// in routes.go), bearer-token auth, the per-user rate limit, request decoding and
// validation, the one table from domain error codes to HTTP statuses, request ids and
// request metrics.
//
// It makes no seat decision itself. Every claim, release, confirm and cancel goes to a
// Reservations port; every read goes to a Catalog port. Both are defined here, where they
// are consumed, and implemented elsewhere. The websockets come in as handlers
// (LiveHandlers, served by http/live) and the admin flash-sale control through the
// FlashSales port (served by http/flashsale); http routes them, decodes the flash-sale
// request and answers their errors like any other. The waiting room's routes, and the
// queue pass every hold on an event with an enabled room needs, go to the WaitingRooms
// port (waitingroom's Service). The package imports only actors, waitingroom and its own
// subpackages from TicketBlitz.
package http
