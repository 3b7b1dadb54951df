package http

import (
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

// encodeDelta encodes a committed version as the "seats" or "capacity" message.
func encodeDelta(eventID, sectionID string, ch actors.SectionChanged) (*wsFrame, error) {
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
