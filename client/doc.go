// Package client is a typed Go client of the TicketBlitz HTTP API (docs/openapi.yaml,
// docs/api.md): one method per route, request and response structs that match the
// document field for field, and failures as *Error carrying the API's stable error
// code, so that callers can write errors.Is(err, client.ErrSeatUnavailable).
//
// A Client speaks for one caller: give it a bearer token with WithToken (fans get
// one from DevToken on a development server). Every method takes a context and
// per-call options: IdempotencyKey makes holds and confirms safe to retry, Capture
// records the exchange (status, headers, timing) for callers that measure.
//
// The package imports nothing of the server: it is what a program outside the
// repository would write against the contract.
package client
