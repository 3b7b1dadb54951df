package live

import (
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// The messages of /ws/events and /ws/queue, and the hello of /ws/visualizer (API.md). Traces go out as
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
}

func toQueueMessage(t waitingroom.Ticket) queueMessageJSON {
	out := queueMessageJSON{Type: "queue", ID: t.ID, EventID: t.EventID, UserID: t.UserID, Ahead: t.Ahead,
		ETASeconds: t.ETASeconds, Status: string(t.Status), JoinedAt: t.JoinedAt.UTC()}
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
