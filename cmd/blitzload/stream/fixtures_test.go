package stream

import (
	"encoding/json"
	"fmt"
	"time"
)

// stream builds records with envelope ids and offsets that follow on.
type stream struct {
	msgs    []Message
	offsets map[string]int64
	nextID  int
}

func (s *stream) add(topic, key string, data any) Message {
	s.nextID++
	return s.addWithID(topic, key, fmt.Sprintf("env-%d", s.nextID), data)
}

func (s *stream) addWithID(topic, key, id string, data any) Message {
	var event, section string
	for i := range key {
		if key[i] == '/' {
			event, section = key[:i], key[i+1:]
		}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	value, err := json.Marshal(envelope{
		ID: id, Type: envelopeType(topic), Version: 1,
		OccurredAt: time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC),
		EventID:    event, SectionID: section, Data: raw,
	})
	if err != nil {
		panic(err)
	}
	return s.raw(topic, key, value)
}

func (s *stream) raw(topic, key string, value []byte) Message {
	if s.offsets == nil {
		s.offsets = map[string]int64{}
	}
	m := Message{Topic: topic, Partition: 0, Offset: s.offsets[topic], Key: key, Value: value}
	s.offsets[topic]++
	s.msgs = append(s.msgs, m)
	return m
}

func (s *stream) changed(key string, version int64) Message {
	return s.add(TopicSectionChanged, key, map[string]any{
		"version": version, "kind": "reserved",
		"changes":  []map[string]string{{"id": "A-1", "status": "held"}},
		"capacity": 10, "available": 9, "held": 1, "sold": 0,
	})
}

func (s *stream) reserved(key, hold string, version int64) Message {
	return s.add(TopicSeatReserved, key, map[string]any{
		"hold_id": hold, "user_id": "u1", "seats": []string{"A-1"}, "quantity": 1,
		"expires_at": "2026-12-31T20:10:00Z", "section_version": version,
	})
}

func (s *stream) released(key, hold, reason string, version int64) Message {
	return s.add(TopicSeatReleased, key, map[string]any{
		"hold_id": hold, "user_id": "u1", "seats": []string{"A-1"}, "quantity": 1,
		"reason": reason, "section_version": version,
	})
}

func (s *stream) created(key, hold, order string, version int64) Message {
	return s.add(TopicBookingCreated, key, map[string]any{
		"order_id": order, "hold_id": hold, "user_id": "u1", "seats": []string{"A-1"},
		"quantity": 1, "total_cents": 12000, "currency": "USD", "section_version": version,
	})
}

func (s *stream) cancelled(key, order string, version int64) Message {
	return s.add(TopicBookingCancelled, key, map[string]any{
		"order_id": order, "user_id": "u1", "seats": []string{"A-1"}, "quantity": 1,
		"section_version": version,
	})
}

func (s *stream) payment(key, hold, order, status string) Message {
	return s.add(TopicPaymentProcessed, key, map[string]any{
		"hold_id": hold, "order_id": order, "user_id": "u1", "amount_cents": 12000,
		"currency": "USD", "status": status,
	})
}

const keyA, keyB = "e1/A", "e1/B"

// cleanSale is a stream with every kind of record and nothing wrong, and what the
// clients expect of it. Section B also has a hold nobody saw created.
func cleanSale() (*stream, Expect) {
	s := &stream{}
	s.reserved(keyA, "h1", 1)
	s.changed(keyA, 1)
	s.reserved(keyB, "h2", 1)
	s.changed(keyB, 1)
	s.payment(keyA, "h1", "o1", "approved")
	s.created(keyA, "h1", "o1", 2)
	s.changed(keyA, 2)
	s.released(keyB, "h2", ReasonReleased, 2)
	s.changed(keyB, 2)
	s.cancelled(keyA, "o1", 3)
	s.released(keyA, "", "cancelled", 3)
	s.changed(keyA, 3)
	s.reserved(keyB, "h-unseen", 3)
	s.changed(keyB, 3)
	// another event's records are ignored, however wrong
	s.changed("e9/Z", 7)
	s.raw(TopicSeatReserved, "e9/Z", []byte("garbage"))
	return s, Expect{
		FinalVersions: map[string]int64{keyA: 3, keyB: 3},
		Holds:         []string{"h1", "h2"},
		Orders:        []string{"o1"},
		Released:      []string{"h2"},
		Cancelled:     []string{"o1"},
	}
}
