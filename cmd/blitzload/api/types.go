package api

import "github.com/ticketblitz/ticketblitz/client"

// The JSON types of the API, as package client defines them.
type (
	// EventSpec is the body of POST /api/v1/events.
	EventSpec = client.EventSpec
	// SectionSpec is one section of an EventSpec.
	SectionSpec = client.SectionSpec
	// RowSpec is one row of a reserved section.
	RowSpec = client.RowSpec
	// Event is an event as the API returns it.
	Event = client.Event
	// Section is one section of an Event, with its live counts.
	Section = client.Section
	// SeatMap is GET …/seats: Seats for a reserved section, the counts for general
	// admission.
	SeatMap = client.SeatMap
	// Seat is one seat of a reserved map.
	Seat = client.Seat
	// HoldRequest is the body of POST …/holds: explicit Seats or a Quantity.
	HoldRequest = client.HoldRequest
	// Hold is a hold as the API returns it.
	Hold = client.Hold
	// Order is an order as the API returns it.
	Order = client.Order
	// WaitingRoomRequest is the body of PUT …/waiting-room.
	WaitingRoomRequest = client.WaitingRoomRequest
	// WaitingRoom is an event's waiting room as the API returns it.
	WaitingRoom = client.WaitingRoom
	// QueueTicket is a fan's place in an event's queue.
	QueueTicket = client.QueueTicket
)

// The error codes blitzload acts on, as Result.Code carries them.
const (
	CodeSeatUnavailable = string(client.CodeSeatUnavailable)
	CodeSoldOut         = string(client.CodeSoldOut)
	CodePaymentDeclined = string(client.CodePaymentDeclined)
	CodeHoldNotActive   = string(client.CodeHoldNotActive)
	CodeHoldExpired     = string(client.CodeHoldExpired)
	CodeLimitExceeded   = string(client.CodeLimitExceeded)
	CodeRateLimited     = string(client.CodeRateLimited)
	CodeUnavailable     = string(client.CodeUnavailable)
	CodeIdempotency     = string(client.CodeIdempotencyConflict)
	CodeQueueRequired   = string(client.CodeQueueRequired)
)

// The payment tokens of the simulated payment step.
const (
	PaymentOK      = client.PaymentTokenOK
	PaymentDecline = client.PaymentTokenDeclined
)
