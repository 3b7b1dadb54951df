package client

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// queueMessage is one message of /ws/queue/{ticket_id}: its type and the ticket.
type queueMessage struct {
	Type string `json:"type"`
	QueueTicket
}

// decodeQueueMessage decodes a message of the queue websocket. A follower of 10,000
// fans reads tens of thousands of them, so the flat object the server sends (strings
// without escapes, integers, nulls, the ticket's keys) is read without reflection; any
// other message goes to encoding/json, which gives the same result or error.
func decodeQueueMessage(data []byte) (queueMessage, error) {
	if m, ok := fastQueueMessage(data); ok {
		return m, nil
	}
	var m queueMessage
	err := json.Unmarshal(data, &m)
	return m, err
}

// fastQueueMessage reads a flat queue message; ok is false for anything it does not
// read exactly as encoding/json would (escapes, floats, unknown or differently cased
// keys, nested values, malformed JSON), left to encoding/json.
func fastQueueMessage(data []byte) (m queueMessage, ok bool) {
	s := scanner{b: data}
	s.space()
	if !s.eat('{') {
		return m, false
	}
	s.space()
	if s.eat('}') {
		return m, s.end()
	}
	for {
		s.space()
		key, ok := s.str()
		if !ok {
			return m, false
		}
		s.space()
		if !s.eat(':') {
			return m, false
		}
		s.space()
		if !s.field(&m, key) {
			return m, false
		}
		s.space()
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return m, s.end()
		}
		return m, false
	}
}

// scanner walks a JSON text.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// str reads a string without escapes or control characters, in valid UTF-8.
func (s *scanner) str() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// null reads a null.
func (s *scanner) null() bool {
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// int reads an integer in JSON's syntax (no fraction, no exponent) that fits an int64.
func (s *scanner) int() (int64, bool) {
	start := s.i
	s.eat('-')
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	n := s.i - digits
	if n == 0 || (n > 1 && s.b[digits] == '0') {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return v, err == nil
}

// field reads the value of key into m.
func (s *scanner) field(m *queueMessage, key []byte) bool {
	t := &m.QueueTicket
	switch string(key) {
	case "type":
		return s.text(&m.Type)
	case "id":
		return s.text(&t.ID)
	case "event_id":
		return s.text(&t.EventID)
	case "user_id":
		return s.text(&t.UserID)
	case "status":
		return s.text(&t.Status)
	case "ahead":
		return s.integer(&t.Ahead)
	case "eta_seconds":
		return s.integer(&t.ETASeconds)
	case "follow_after_ms":
		return s.integer(&t.FollowAfterMS)
	case "position":
		if s.null() {
			t.Position = nil
			return true
		}
		v, ok := s.int()
		t.Position = &v
		return ok
	case "pass":
		if s.null() {
			t.Pass = nil
			return true
		}
		v, ok := s.str()
		p := string(v)
		t.Pass = &p
		return ok
	case "pass_expires_at":
		if s.null() {
			t.PassExpiresAt = nil
			return true
		}
		var at time.Time
		if !s.time(&at) {
			return false
		}
		t.PassExpiresAt = &at
		return true
	case "joined_at":
		return s.time(&t.JoinedAt)
	}
	return false
}

// text reads a string (or a null, which leaves *v as it is, as encoding/json does).
func (s *scanner) text(v *string) bool {
	if s.null() {
		return true
	}
	b, ok := s.str()
	*v = string(b)
	return ok
}

// integer reads an integer (or a null, which leaves *v as it is).
func (s *scanner) integer(v *int64) bool {
	if s.null() {
		return true
	}
	n, ok := s.int()
	*v = n
	return ok
}

// time reads an RFC 3339 time (or a null, which leaves *v as it is), as
// time.Time.UnmarshalJSON does.
func (s *scanner) time(v *time.Time) bool {
	if s.null() {
		return true
	}
	b, ok := s.str()
	return ok && v.UnmarshalText(b) == nil
}
