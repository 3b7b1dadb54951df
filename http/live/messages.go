package live

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// The messages of /ws/events and /ws/queue, and the hello of /ws/visualizer (docs/api.md). Traces go out as
// actors.Trace encodes itself.

// helloJSON greets a viewer of /ws/visualizer before the first trace: this node and
// the sections active on it, and every node the hub knows of with its sections.
type helloJSON struct {
	Type     string         `json:"type"`
	At       time.Time      `json:"at"`
	Node     string         `json:"node"`
	Sections []string       `json:"sections"`
	Nodes    []NodeSections `json:"nodes"`
}

type snapshotJSON struct {
	Type     string `json:"type"`
	EventID  string `json:"event_id"`
	Sections []any  `json:"sections"`
}

type reservedSectionJSON struct {
	SectionID string     `json:"section_id"`
	Kind      string     `json:"kind"`
	Version   int64      `json:"version"`
	Seats     []seatJSON `json:"seats"`
}

type capacitySectionJSON struct {
	SectionID string `json:"section_id"`
	Kind      string `json:"kind"`
	Version   int64  `json:"version"`
	Capacity  int    `json:"capacity"`
	Available int    `json:"available"`
	Held      int    `json:"held"`
	Sold      int    `json:"sold"`
}

type seatJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type seatsDeltaJSON struct {
	Type      string     `json:"type"`
	EventID   string     `json:"event_id"`
	SectionID string     `json:"section_id"`
	Version   int64      `json:"version"`
	Changes   []seatJSON `json:"changes"`
}

type capacityDeltaJSON struct {
	Type      string `json:"type"`
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	Version   int64  `json:"version"`
	Available int    `json:"available"`
	Held      int    `json:"held"`
	Sold      int    `json:"sold"`
}

// encodeDelta encodes a committed version as the "seats" or "capacity" message.
func encodeDelta(eventID, sectionID string, ch actors.SectionChanged) (*frame, error) {
	if ch.Kind == actors.KindGeneralAdmission {
		return prepareJSON(capacityDeltaJSON{
			Type: "capacity", EventID: eventID, SectionID: sectionID, Version: ch.Version,
			Available: ch.Available, Held: ch.Held, Sold: ch.Sold,
		})
	}
	out := seatsDeltaJSON{Type: "seats", EventID: eventID, SectionID: sectionID, Version: ch.Version,
		Changes: make([]seatJSON, 0, len(ch.Changes))}
	for _, c := range ch.Changes {
		out.Changes = append(out.Changes, seatJSON{ID: c.ID, Status: string(c.Status)})
	}
	return prepareJSON(out)
}

// queueMessageJSON is a message of /ws/queue: the ticket, as GET /api/v1/queue/{id}
// answers it, with its type.
type queueMessageJSON struct {
	Type          string     `json:"type"`
	ID            string     `json:"id"`
	EventID       string     `json:"event_id"`
	UserID        string     `json:"user_id"`
	Position      *int64     `json:"position"`
	Ahead         int64      `json:"ahead"`
	ETASeconds    int64      `json:"eta_seconds"`
	Status        string     `json:"status"`
	Pass          *string    `json:"pass"`
	PassExpiresAt *time.Time `json:"pass_expires_at"`
	JoinedAt      time.Time  `json:"joined_at"`
	// FollowAfterMS tells a client that loses the websocket how long to wait before
	// it opens it again (or reads the ticket).
	FollowAfterMS int64 `json:"follow_after_ms"`
}

func toQueueMessage(t waitingroom.Ticket) queueMessageJSON {
	out := queueMessageJSON{Type: "queue", ID: t.ID, EventID: t.EventID, UserID: t.UserID, Ahead: t.Ahead,
		ETASeconds: t.ETASeconds, Status: string(t.Status), JoinedAt: t.JoinedAt.UTC(),
		FollowAfterMS: t.FollowAfter.Milliseconds()}
	if t.Position > 0 {
		p := t.Position
		out.Position = &p
	}
	if t.Pass != "" {
		pass := t.Pass
		out.Pass = &pass
	}
	if !t.PassExpiresAt.IsZero() {
		at := t.PassExpiresAt.UTC()
		out.PassExpiresAt = &at
	}
	return out
}

// encodeQueueMessage encodes t as the /ws/queue message: the bytes encoding/json makes
// of toQueueMessage(t), appended by hand into the frame's own buffer. A room sends a
// message of its own to every fan (first ticket, heartbeats, admission, sold out), ten
// thousand at a time, and reflection and a copy of each payload into its frame were
// most of what building one cost.
func encodeQueueMessage(t waitingroom.Ticket) (*frame, error) {
	b := make([]byte, frameHeaderMax, frameHeaderMax+320)
	b = append(b, `{"type":"queue","id":`...)
	b = appendJSONString(b, t.ID)
	b = append(b, `,"event_id":`...)
	b = appendJSONString(b, t.EventID)
	b = append(b, `,"user_id":`...)
	b = appendJSONString(b, t.UserID)
	b = append(b, `,"position":`...)
	if t.Position > 0 {
		b = strconv.AppendInt(b, t.Position, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"ahead":`...)
	b = strconv.AppendInt(b, t.Ahead, 10)
	b = append(b, `,"eta_seconds":`...)
	b = strconv.AppendInt(b, t.ETASeconds, 10)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(t.Status))
	b = append(b, `,"pass":`...)
	if t.Pass != "" {
		b = appendJSONString(b, t.Pass)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"pass_expires_at":`...)
	var err error
	if !t.PassExpiresAt.IsZero() {
		if b, err = appendJSONTime(b, t.PassExpiresAt.UTC()); err != nil {
			return nil, err
		}
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"joined_at":`...)
	if b, err = appendJSONTime(b, t.JoinedAt.UTC()); err != nil {
		return nil, err
	}
	b = append(b, `,"follow_after_ms":`...)
	b = strconv.AppendInt(b, t.FollowAfter.Milliseconds(), 10)
	b = append(b, '}')
	return textFrameAt(b), nil
}

// appendJSONString appends s as encoding/json writes a string. Ids, statuses and
// passes are plain ASCII; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s) // a string always encodes
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONTime appends t as encoding/json writes a time.Time.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, fmt.Errorf("encode websocket message: %w", err)
	}
	return append(b, '"'), nil
}
