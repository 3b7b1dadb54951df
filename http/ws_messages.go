package http

import (
	"encoding/json"
	"fmt"

	fws "github.com/fasthttp/websocket"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The messages of /ws/events (API.md).

type wsSnapshotJSON struct {
	Type     string `json:"type"`
	EventID  string `json:"event_id"`
	Sections []any  `json:"sections"`
}

type wsReservedSectionJSON struct {
	SectionID string       `json:"section_id"`
	Kind      string       `json:"kind"`
	Version   int64        `json:"version"`
	Seats     []wsSeatJSON `json:"seats"`
}

type wsCapacitySectionJSON struct {
	SectionID string `json:"section_id"`
	Kind      string `json:"kind"`
	Version   int64  `json:"version"`
	Capacity  int    `json:"capacity"`
	Available int    `json:"available"`
	Held      int    `json:"held"`
	Sold      int    `json:"sold"`
}

type wsSeatJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type wsSeatsDeltaJSON struct {
	Type      string       `json:"type"`
	EventID   string       `json:"event_id"`
	SectionID string       `json:"section_id"`
	Version   int64        `json:"version"`
	Changes   []wsSeatJSON `json:"changes"`
}

type wsCapacityDeltaJSON struct {
	Type      string `json:"type"`
	EventID   string `json:"event_id"`
	SectionID string `json:"section_id"`
	Version   int64  `json:"version"`
	Available int    `json:"available"`
	Held      int    `json:"held"`
	Sold      int    `json:"sold"`
}

func toSnapshotSection(m actors.SeatMap) any {
	if m.Kind == actors.KindGeneralAdmission {
		return wsCapacitySectionJSON{
			SectionID: m.SectionID, Kind: string(m.Kind), Version: m.Version,
			Capacity: m.Capacity, Available: m.Available, Held: m.Held, Sold: m.Sold,
		}
	}
	out := wsReservedSectionJSON{SectionID: m.SectionID, Kind: string(actors.KindReserved), Version: m.Version,
		Seats: make([]wsSeatJSON, 0, len(m.Seats))}
	for _, st := range m.Seats {
		out.Seats = append(out.Seats, wsSeatJSON{ID: st.ID, Status: string(st.Status)})
	}
	return out
}

// encodeDelta encodes a committed version as the "seats" or "capacity" message.
func encodeDelta(eventID, sectionID string, ch actors.SectionChanged) (*fws.PreparedMessage, error) {
	if ch.Kind == actors.KindGeneralAdmission {
		return prepareJSON(wsCapacityDeltaJSON{
			Type: "capacity", EventID: eventID, SectionID: sectionID, Version: ch.Version,
			Available: ch.Available, Held: ch.Held, Sold: ch.Sold,
		})
	}
	out := wsSeatsDeltaJSON{Type: "seats", EventID: eventID, SectionID: sectionID, Version: ch.Version,
		Changes: make([]wsSeatJSON, 0, len(ch.Changes))}
	for _, c := range ch.Changes {
		out.Changes = append(out.Changes, wsSeatJSON{ID: c.ID, Status: string(c.Status)})
	}
	return prepareJSON(out)
}

// prepareJSON encodes v once as a text frame that any number of connections can write.
func prepareJSON(v any) (*fws.PreparedMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode websocket message: %w", err)
	}
	msg, err := fws.NewPreparedMessage(fws.TextMessage, raw)
	if err != nil {
		return nil, fmt.Errorf("prepare websocket message: %w", err)
	}
	return msg, nil
}
