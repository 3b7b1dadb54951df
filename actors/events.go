package actors

import (
	"encoding/json"
	"time"
)

// The Kafka topics of docs/api.md.
const (
	TopicSeatReserved     = "seat.reserved"
	TopicSeatReleased     = "seat.released"
	TopicBookingCreated   = "booking.created"
	TopicBookingCancelled = "booking.cancelled"
	TopicPaymentProcessed = "payment.processed"
	// TopicSectionChanged carries one SectionChanged per committed version of a
	// section: what the live seat maps need, in order, with no gaps.
	TopicSectionChanged = "section.changed"
)

// DomainTopics lists the topics of business events, the ones the notifications log keeps.
var DomainTopics = []string{TopicSeatReserved, TopicSeatReleased, TopicBookingCreated, TopicBookingCancelled, TopicPaymentProcessed}

// Topics lists every topic TicketBlitz publishes to.
var Topics = []string{TopicSeatReserved, TopicSeatReleased, TopicBookingCreated, TopicBookingCancelled, TopicPaymentProcessed, TopicSectionChanged}

// The envelope types, one per topic.
const (
	TypeSeatReserved     = "SeatReserved"
	TypeSeatReleased     = "SeatReleased"
	TypeBookingCreated   = "BookingCreated"
	TypeBookingCancelled = "BookingCancelled"
	TypePaymentProcessed = "PaymentProcessed"
	TypeSectionChanged   = "SectionChanged"
)

// The reasons a SeatReleased event gives.
const (
	ReasonReleased      = "released"
	ReasonExpired       = "expired"
	ReasonCancelled     = "cancelled"
	ReasonPaymentFailed = "payment_failed"
)

// Envelope is the versioned JSON value of every Kafka record (docs/api.md).
type Envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Version    int             `json:"version"`
	OccurredAt time.Time       `json:"occurred_at"`
	EventID    string          `json:"event_id"`
	SectionID  string          `json:"section_id"`
	Data       json.RawMessage `json:"data"`
}

// SeatReserved is the data of a seat.reserved event: a hold was placed.
type SeatReserved struct {
	HoldID         string    `json:"hold_id"`
	UserID         string    `json:"user_id"`
	Seats          []string  `json:"seats"`
	Quantity       int       `json:"quantity"`
	ExpiresAt      time.Time `json:"expires_at"`
	SectionVersion int64     `json:"section_version"`
}

// SeatReleased is the data of a seat.released event: seats became available again.
type SeatReleased struct {
	HoldID         string   `json:"hold_id,omitempty"`
	OrderID        string   `json:"order_id,omitempty"`
	UserID         string   `json:"user_id"`
	Seats          []string `json:"seats"`
	Quantity       int      `json:"quantity"`
	Reason         string   `json:"reason"`
	SectionVersion int64    `json:"section_version"`
}

// BookingCreated is the data of a booking.created event: held seats were sold.
type BookingCreated struct {
	OrderID        string   `json:"order_id"`
	HoldID         string   `json:"hold_id"`
	UserID         string   `json:"user_id"`
	Seats          []string `json:"seats"`
	Quantity       int      `json:"quantity"`
	TotalCents     int64    `json:"total_cents"`
	Currency       string   `json:"currency"`
	SectionVersion int64    `json:"section_version"`
}

// BookingCancelled is the data of a booking.cancelled event.
type BookingCancelled struct {
	OrderID        string   `json:"order_id"`
	UserID         string   `json:"user_id"`
	Seats          []string `json:"seats"`
	Quantity       int      `json:"quantity"`
	SectionVersion int64    `json:"section_version"`
}

// PaymentProcessed is the data of a payment.processed event.
type PaymentProcessed struct {
	HoldID      string `json:"hold_id"`
	OrderID     string `json:"order_id,omitempty"`
	UserID      string `json:"user_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Status      string `json:"status"` // approved or declined
}

// SectionChanged is the data of a section.changed event: the section's new version and
// the final state of every seat the version changed (reserved sections), or its
// counters (both kinds). Every committed version has exactly one.
type SectionChanged struct {
	Version   int64              `json:"version"`
	Kind      SectionKind        `json:"kind"`
	Changes   []SeatStatusChange `json:"changes"`
	Capacity  int                `json:"capacity"`
	Available int                `json:"available"`
	Held      int                `json:"held"`
	Sold      int                `json:"sold"`
	// Chain is the version's link in the section's hash chain (hex; see ChainLink) and
	// AttemptSeq the number of the last attempt it covers.
	Chain      string `json:"chain,omitempty"`
	AttemptSeq int64  `json:"attempt_seq,omitempty"`
}

// SeatStatusChange is one seat's new status.
type SeatStatusChange struct {
	ID     string     `json:"id"`
	Status SeatStatus `json:"status"`
}

// TopicOf returns the topic an envelope type is published to.
func TopicOf(envelopeType string) string {
	switch envelopeType {
	case TypeSeatReserved:
		return TopicSeatReserved
	case TypeSeatReleased:
		return TopicSeatReleased
	case TypeBookingCreated:
		return TopicBookingCreated
	case TypeBookingCancelled:
		return TopicBookingCancelled
	case TypePaymentProcessed:
		return TopicPaymentProcessed
	case TypeSectionChanged:
		return TopicSectionChanged
	}
	return ""
}

// NewOutboxMessage encodes data in an envelope for the section.
func NewOutboxMessage(id string, envelopeType string, at time.Time, key SectionKey, data any) (OutboxMessage, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return OutboxMessage{}, err
	}
	payload, err := json.Marshal(Envelope{
		ID: id, Type: envelopeType, Version: 1, OccurredAt: at.UTC(),
		EventID: key.EventID, SectionID: key.SectionID, Data: raw,
	})
	if err != nil {
		return OutboxMessage{}, err
	}
	return OutboxMessage{Topic: TopicOf(envelopeType), Key: key.Identity(), Payload: payload}, nil
}

// Notification is one envelope as the notifications log keeps it, with where it was read.
type Notification struct {
	EnvelopeID string
	Topic      string
	Key        string
	Type       string
	Partition  int32
	Offset     int64
	Payload    []byte
}
