package stream

import (
	"encoding/json"
	"fmt"
	"time"
)

// The topics the server publishes to (docs/api.md).
const (
	TopicSeatReserved     = "seat.reserved"
	TopicSeatReleased     = "seat.released"
	TopicBookingCreated   = "booking.created"
	TopicBookingCancelled = "booking.cancelled"
	TopicPaymentProcessed = "payment.processed"
	TopicSectionChanged   = "section.changed"
)

// Topics returns every topic Check understands, for Read and WaitComplete.
func Topics() []string {
	return []string{
		TopicSeatReserved, TopicSeatReleased, TopicBookingCreated,
		TopicBookingCancelled, TopicPaymentProcessed, TopicSectionChanged,
	}
}

// envelopeType returns the envelope type a topic's records carry, "" for a topic the
// contract does not name.
func envelopeType(topic string) string {
	switch topic {
	case TopicSeatReserved:
		return "SeatReserved"
	case TopicSeatReleased:
		return "SeatReleased"
	case TopicBookingCreated:
		return "BookingCreated"
	case TopicBookingCancelled:
		return "BookingCancelled"
	case TopicPaymentProcessed:
		return "PaymentProcessed"
	case TopicSectionChanged:
		return "SectionChanged"
	}
	return ""
}

// ReasonReleased is the seat.released reason of a hold its owner released.
const ReasonReleased = "released"

// Message is one Kafka record as read back.
type Message struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	Value     []byte
}

// String names where the record is, as "topic/partition@offset".
func (m Message) String() string {
	return fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset)
}

// envelope is the value of every record.
type envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Version    int             `json:"version"`
	OccurredAt time.Time       `json:"occurred_at"`
	EventID    string          `json:"event_id"`
	SectionID  string          `json:"section_id"`
	Data       json.RawMessage `json:"data"`
}

// domainData holds the fields of the domain events' data that Check reads; each topic
// fills the ones it has.
type domainData struct {
	HoldID         string   `json:"hold_id"`
	OrderID        string   `json:"order_id"`
	UserID         string   `json:"user_id"`
	Seats          []string `json:"seats"`
	Quantity       int      `json:"quantity"`
	Reason         string   `json:"reason"`
	Status         string   `json:"status"`
	SectionVersion *int64   `json:"section_version"`
}

// sectionChanged is the data of a section.changed record.
type sectionChanged struct {
	Version *int64 `json:"version"`
	Kind    string `json:"kind"`
	Changes []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"changes"`
	Capacity  int `json:"capacity"`
	Available int `json:"available"`
	Held      int `json:"held"`
	Sold      int `json:"sold"`
}

// decoded is a record whose envelope and data were understood.
type decoded struct {
	msg     Message
	env     envelope
	domain  domainData     // every topic but section.changed
	section sectionChanged // section.changed
}

// decode parses a record's envelope and data and checks that they agree with the topic
// and key.
func decode(m Message) (decoded, error) {
	d := decoded{msg: m}
	if err := json.Unmarshal(m.Value, &d.env); err != nil {
		return d, fmt.Errorf("envelope: %w", err)
	}
	if d.env.ID == "" {
		return d, fmt.Errorf("envelope without an id")
	}
	if want := envelopeType(m.Topic); want != "" && d.env.Type != want {
		return d, fmt.Errorf("type %q on topic %s, want %q", d.env.Type, m.Topic, want)
	}
	if key := d.env.EventID + "/" + d.env.SectionID; key != m.Key {
		return d, fmt.Errorf("envelope names %q but the key is %q", key, m.Key)
	}
	if len(d.env.Data) == 0 {
		return d, fmt.Errorf("envelope without data")
	}
	if m.Topic == TopicSectionChanged {
		if err := json.Unmarshal(d.env.Data, &d.section); err != nil {
			return d, fmt.Errorf("section.changed data: %w", err)
		}
		if d.section.Version == nil || *d.section.Version < 1 {
			return d, fmt.Errorf("section.changed without a version of at least 1")
		}
		return d, nil
	}
	if err := json.Unmarshal(d.env.Data, &d.domain); err != nil {
		return d, fmt.Errorf("%s data: %w", m.Topic, err)
	}
	if m.Topic != TopicPaymentProcessed && d.domain.SectionVersion == nil {
		return d, fmt.Errorf("%s data without section_version", m.Topic)
	}
	return d, nil
}
