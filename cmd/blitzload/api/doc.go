// Package api is blitzload's client of the public TicketBlitz API (HTTP and
// websockets), written against the contract alone: its own types, its own tokens.
// Every call reports a stats.Sample, and every state-changing call an audit.Record.
package api
